/**
 * HTTP caching and range rules for `serveStorage` (RFC 9110 sections 13 and 14): `If-None-Match`
 * (weak comparison), `If-Modified-Since`, `If-Range` (strong comparison) and single byte ranges.
 */

/** A byte range to send, both ends inclusive. */
export interface ByteRange {
  start: number
  end: number
}

function etagOpaque(tag: string): string {
  return tag.trim().replace(/^W\//, '')
}

/** Whether a GET/HEAD may be answered 304 Not Modified. */
export function notModified(
  headers: { 'if-none-match'?: string; 'if-modified-since'?: string },
  etag: string | undefined,
  lastModified: Date,
): boolean {
  const inm = headers['if-none-match']
  if (inm !== undefined) {
    // If-None-Match takes precedence: If-Modified-Since is then ignored.
    if (inm.trim() === '*') return true
    if (!etag) return false
    const mine = etagOpaque(etag)
    return inm.split(',').some((t) => etagOpaque(t) === mine)
  }
  const ims = headers['if-modified-since']
  if (ims === undefined) return false
  const since = Date.parse(ims)
  if (Number.isNaN(since)) return false
  return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000)
}

/** Whether a `Range` may be honoured given `If-Range` (absent, a strong ETag or an exact date). */
export function rangeAllowed(ifRange: string | undefined, etag: string | undefined, lastModified: Date): boolean {
  if (ifRange === undefined) return true
  const value = ifRange.trim()
  if (value.startsWith('"') || value.startsWith('W/')) {
    return !!etag && !etag.startsWith('W/') && !value.startsWith('W/') && value === etag
  }
  const date = Date.parse(value)
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(lastModified.getTime() / 1000)
}

/**
 * The range a `Range` header asks for in a file of `size` bytes: a range, `'unsatisfiable'`
 * (answer 416), or undefined to ignore the header (malformed, another unit, or several ranges:
 * the whole file is sent, as RFC 9110 allows).
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header)
  if (!m) return undefined
  const specs = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (specs.length !== 1) return undefined
  const spec = /^(\d*)\s*-\s*(\d*)$/.exec(specs[0]!)
  if (!spec) return undefined
  const [, first, last] = spec
  if (first === '' && last === '') return undefined
  const num = (s: string) => (s.length > 15 ? Number.MAX_SAFE_INTEGER : Number(s))
  if (first === '') {
    const suffix = num(last!)
    if (suffix === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = num(first!)
  if (last !== '' && num(last!) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end: last === '' ? size - 1 : Math.min(num(last!), size - 1) }
}
