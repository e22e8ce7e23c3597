/**
 * Name rules of static files, pure and separately tested: Django's hashed names
 * (`name.<12 hex>.ext`), the path helpers its URL converter relies on (`splitext`, `normpath`,
 * `unquote` with Python's semantics), and the guess of whether a name already carries a content
 * hash (a bundler's output), which decides the immutable `Cache-Control`.
 */
import { createHash } from 'node:crypto'
import { posix } from 'node:path'

/** The `Cache-Control` of names whose content is in the name: cached for a year, never revalidated. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable'

/** Hex MD5 of `data`. */
export function md5Hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex')
}

/**
 * Python's `os.path.splitext` on the last path segment: `['jquery.min', '.js']`,
 * `['.htaccess', '']` (leading dots are not an extension), `['archive.tar', '.gz']`.
 */
export function splitext(fileName: string): [string, string] {
  const dot = fileName.lastIndexOf('.')
  let leading = 0
  while (leading < fileName.length && fileName[leading] === '.') leading++
  if (dot < leading) return [fileName, '']
  return [fileName.slice(0, dot), fileName.slice(dot)]
}

/**
 * Django's hashed name: the first 12 hex of the content's MD5 between the root and the extension
 * of the last segment (`css/app.css` + md5 → `css/app.0123456789ab.css`; `LICENSE` → `LICENSE.<hash>`).
 */
export function hashedName(name: string, md5: string): string {
  const slash = name.lastIndexOf('/')
  const dir = name.slice(0, slash + 1)
  const [root, ext] = splitext(name.slice(slash + 1))
  return `${dir}${root}.${md5.slice(0, 12)}${ext}`
}

/**
 * Python's `posixpath.normpath` for relative names: `.` and empty segments dropped, `..` folded
 * (`css/../img/a.png` → `img/a.png`); a name that climbs above the root keeps its leading `..`.
 */
export function normpath(name: string): string {
  const normal = posix.normalize(name)
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal
}

/**
 * Python's `urllib.parse.unquote`: `%XX` runs decoded as UTF-8 (bad bytes become U+FFFD), a `%`
 * not followed by two hex digits left as it is.
 */
export function unquote(text: string): string {
  if (!text.includes('%')) return text
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Buffer.from(run.replace(/%/g, ''), 'hex')
    return bytes.toString('utf8')
  })
}

/**
 * Whether the last segment of `name` already carries a content hash, as bundlers name their
 * output: a `.`- or `-`-separated segment of at least 8 hex characters with both a digit and a
 * letter, followed by the extension (`app.3f2a9c1b.js`, `main-9f86d081884c7d65.css`,
 * `styles.0123456789ab.css`). Dates (`report-20240101.pdf`) and words (`app.settings.js`) do
 * not count; a false "no" only costs a shorter cache lifetime, a false "yes" would pin a
 * changing file in caches for a year, so the guess is conservative. Vite's base64 hashes
 * (`index-BZ3jNpqs.js`) are not guessed: pass `immutable` to `collectStatic` for them.
 */
export function looksHashed(name: string): boolean {
  const file = name.slice(name.lastIndexOf('/') + 1)
  const [root] = splitext(file)
  const match = /[.-]([0-9a-f]{8,64})$/i.exec(root)
  if (!match) return false
  const hash = match[1]!
  return /[0-9]/.test(hash) && /[a-f]/i.test(hash)
}

/**
 * Django's default `collectstatic` ignore patterns (`CVS`, `.*`, `*~`), matched against every
 * segment of a relative name, as `fnmatch` does (`*` any run, `?` one character).
 */
export const DEFAULT_IGNORE_PATTERNS: readonly string[] = ['CVS', '.*', '*~']

/** Compiles `fnmatch`-style patterns (`*`, `?`, `[...]`) into one test of a name segment. */
export function segmentMatcher(patterns: readonly string[]): (segment: string) => boolean {
  if (patterns.length === 0) return () => false
  const sources = patterns.map((p) => {
    let re = ''
    for (let i = 0; i < p.length; i++) {
      const c = p[i]!
      if (c === '*') re += '.*'
      else if (c === '?') re += '.'
      else if (c === '[') {
        const end = p.indexOf(']', i + 1)
        if (end === -1) re += '\\['
        else {
          const body = p.slice(i + 1, end).replace(/\\/g, '\\\\')
          re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`
          i = end
        }
      } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&')
    }
    return re
  })
  const regex = new RegExp(`^(?:${sources.join('|')})$`, 's')
  return (segment) => regex.test(segment)
}
