/** The GET/HEAD side of `serveStorage`: headers, 304s, ranges and the body. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'
import type { Storage } from '../../core/storage.js'
import type { FileStat } from '../../core/types.js'
import { guessType } from '../../core/mime.js'
import { notModified, parseRange, rangeAllowed, type ByteRange } from './conditional.js'
import { codeOf, header, sendText } from './respond.js'

/** What a GET/HEAD ended with, for the caller to act on. */
export type ServeOutcome = 'served' | 'miss'

// Types a browser runs scripts in when opened directly: served with a sandboxing CSP, so an
// uploaded page or SVG cannot act with the site's origin.
const ACTIVE_TYPES = /^(?:text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/xsl)\b/i

// Django's FileResponse rule: a compressed file named after its inner type (`x.css.gz`) is sent as
// the archive it is, never with `Content-Encoding`, so clients do not unpack it silently.
const COMPRESSED_TYPES: Record<string, string> = {
  gzip: 'application/gzip',
  bzip2: 'application/x-bzip',
  xz: 'application/x-xz',
  br: 'application/x-brotli',
  compress: 'application/x-compress',
}

function contentTypeOf(name: string, st: FileStat): string {
  const guessed = guessType(name)
  const type = st.contentType ?? guessed.type
  if (guessed.encoding && (!st.contentType || st.contentType === guessed.type))
    return COMPRESSED_TYPES[guessed.encoding] ?? 'application/octet-stream'
  if (!type) return 'application/octet-stream'
  return /^text\/|^application\/(?:json|javascript|xml)/i.test(type) && !/charset=/i.test(type) ? `${type}; charset=utf-8` : type
}

/** Options of the GET side. */
export interface ServeFileOptions {
  /** `Cache-Control` of file responses. */
  cacheControl: string
}

/**
 * Answers a GET or HEAD for `name`: 200, 206 or 416 for a `Range`, 304 when the client's copy is
 * current. A missing file (or a directory) is a `'miss'` for the caller to answer.
 */
export async function serveFile(
  storage: Storage,
  name: string,
  req: IncomingMessage,
  res: ServerResponse,
  options: ServeFileOptions,
): Promise<ServeOutcome> {
  let st: FileStat
  try {
    st = await storage.stat(name)
  } catch (error) {
    const code = codeOf(error)
    if (code === 'ENOENT' || code === 'EISDIR') return 'miss'
    throw error
  }
  const size = st.size
  const lastModified = st.lastModified instanceof Date ? st.lastModified : new Date(st.lastModified)
  const validLastModified = !Number.isNaN(lastModified.getTime())
  const base: Record<string, string> = {
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': options.cacheControl,
  }
  if (st.etag) base['ETag'] = st.etag
  if (validLastModified) base['Last-Modified'] = lastModified.toUTCString()

  const conditional = {
    'if-none-match': header(req, 'if-none-match'),
    'if-modified-since': validLastModified ? header(req, 'if-modified-since') : undefined,
  }
  if (notModified(conditional, st.etag, lastModified)) {
    res.writeHead(304, base)
    res.end()
    return 'served'
  }

  const type = contentTypeOf(name, st)
  const headers: Record<string, string> = { ...base, 'Content-Type': type }
  if (ACTIVE_TYPES.test(type))
    headers['Content-Security-Policy'] = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"

  let range: ByteRange | undefined
  const rangeHeader = header(req, 'range')
  if (rangeHeader !== undefined && rangeAllowed(header(req, 'if-range'), st.etag, lastModified)) {
    const parsed = parseRange(rangeHeader, size)
    if (parsed === 'unsatisfiable') {
      sendText(req, res, 416, 'Range Not Satisfiable', { ...base, 'Content-Range': `bytes */${size}` })
      return 'served'
    }
    range = parsed
  }
  const start = range?.start ?? 0
  const end = range?.end ?? size - 1
  const length = size === 0 ? 0 : end - start + 1
  headers['Content-Length'] = String(length)
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`

  if (req.method === 'HEAD' || length === 0) {
    res.writeHead(range ? 206 : 200, headers)
    res.end()
    return 'served'
  }
  let body
  try {
    body = await storage.open(name, { start, end })
  } catch (error) {
    const code = codeOf(error)
    if (code === 'ENOENT' || code === 'EISDIR') return 'miss' // deleted since the stat
    throw error
  }
  res.writeHead(range ? 206 : 200, headers)
  await new Promise<void>((resolve) => {
    // A failure half-way (the client left, the file vanished) can only cut the response short.
    pipeline(body, res, () => resolve())
  })
  return 'served'
}
