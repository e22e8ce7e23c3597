/** The `Content-Type` (and, for active types, the sandboxing CSP) a served file gets. */
import type { FileStat } from '../../core/types.js'
import { guessType } from '../../core/mime.js'

// Types a browser runs scripts in when opened directly: served with a sandboxing CSP, so an
// uploaded page or SVG cannot act with the site's origin.
const ACTIVE_TYPES = /^(?:text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/xsl)\b/i

/** The CSP sent with active types. */
export const SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"

// Django's FileResponse rule: a compressed file named after its inner type (`x.css.gz`) is sent as
// the archive it is, never with `Content-Encoding`, so clients do not unpack it silently.
const COMPRESSED_TYPES: Record<string, string> = {
  gzip: 'application/gzip',
  bzip2: 'application/x-bzip',
  xz: 'application/x-xz',
  br: 'application/x-brotli',
  compress: 'application/x-compress',
}

/** The type to send `name` with: the stored type, else guessed; text types get `charset=utf-8`. */
export function contentTypeOf(name: string, st: Pick<FileStat, 'contentType'>): string {
  const guessed = guessType(name)
  const type = st.contentType ?? guessed.type
  if (guessed.encoding && (!st.contentType || st.contentType === guessed.type))
    return COMPRESSED_TYPES[guessed.encoding] ?? 'application/octet-stream'
  if (!type) return 'application/octet-stream'
  return /^text\/|^application\/(?:json|javascript|xml)/i.test(type) && !/charset=/i.test(type) ? `${type}; charset=utf-8` : type
}

/** Whether a browser would run scripts in a file of this type opened directly. */
export function isActiveType(type: string): boolean {
  return ACTIVE_TYPES.test(type)
}
