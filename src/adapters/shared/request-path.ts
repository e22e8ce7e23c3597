/**
 * From a request URL to a storage name, refusing every spelling of a path that could leave the
 * storage: the path is percent-decoded exactly once, and what remains must be a plain relative
 * name. The storage then applies its own checks (`safeJoin`, symlink confinement) on top.
 */

/** Where a request URL points. */
export type RequestTarget = { kind: 'name'; name: string; query: string } | { kind: 'miss' } | { kind: 'bad'; reason: string }

const CONTROL = /[\u0000-\u001f\u007f]/
// The path is decoded exactly once: `%252e%252e` becomes the literal name `%2e%2e`, a file name
// like any other (names may hold `%`), never a dot segment, since nothing decodes it again.

/** `/media/` from `media`, `/media` or `/media/`; `/` for none. */
export function normalizePrefix(prefix: string | undefined): string {
  if (!prefix) return '/'
  let p = prefix.startsWith('/') ? prefix : '/' + prefix
  if (!p.endsWith('/')) p += '/'
  return p
}

/**
 * The storage name `url` (a request's `req.url`, origin-form) asks for under `prefix`
 * (normalised: starts and ends with `/`), or why it is refused, or a miss (outside the prefix,
 * empty, or a directory).
 */
export function targetOf(url: string, prefix: string): RequestTarget {
  const bad = (reason: string): RequestTarget => ({ kind: 'bad', reason })
  const q = url.indexOf('?')
  const rawPath = q === -1 ? url : url.slice(0, q)
  const query = q === -1 ? '' : url.slice(q + 1)
  if (!rawPath.startsWith('/')) return bad('the request target is not a path')
  // The prefix may be requested without its trailing slash (`/media`): nothing to serve there.
  if (rawPath + '/' === prefix) return { kind: 'miss' }
  if (!rawPath.startsWith(prefix)) return { kind: 'miss' }
  const rest = rawPath.slice(prefix.length)
  if (rest === '') return { kind: 'miss' }
  if (rest.includes('\\') || /%5c/i.test(rest)) return bad('backslash in path')
  let name: string
  try {
    name = decodeURIComponent(rest)
  } catch {
    return bad('malformed percent-encoding')
  }
  if (CONTROL.test(name)) return bad('control character in path')
  if (name.includes('\\')) return bad('backslash in path')
  if (name.startsWith('/')) return bad('absolute path')
  if (/^[A-Za-z]:/.test(name)) return bad('drive-letter path')
  const segments = name.split('/')
  const last = segments.length - 1
  for (let i = 0; i <= last; i++) {
    const s = segments[i]!
    if (s === '.' || s === '..') return bad('dot segment in path')
    if (s === '') return i === last ? { kind: 'miss' } : bad('empty segment in path')
  }
  return { kind: 'name', name, query }
}
