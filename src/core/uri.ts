/**
 * URL encoders with Python's exact rules, used by every backend's `url()`.
 *
 * `filepathToUri` is Django's `filepath_to_uri`: backslashes become `/`, then every byte outside
 * `A-Za-z0-9_.-~/!*()'` is percent-encoded (uppercase hex) from its UTF-8 form.
 * `formEncode` is Python's `urllib.parse.urlencode` (`quote_plus`): space becomes `+`, and every
 * byte outside `A-Za-z0-9_.-~` is percent-encoded.
 */

const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~'
const HEX = Array.from({ length: 256 }, (_, b) => '%' + b.toString(16).toUpperCase().padStart(2, '0'))

// One table per `safe` set: ASCII code → itself or its escape. url() is a hot path.
const tables = new Map<string, string[]>()
function tableFor(safe: string): string[] {
  let table = tables.get(safe)
  if (!table) {
    table = Array.from({ length: 128 }, (_, c) => {
      const ch = String.fromCharCode(c)
      return UNRESERVED.includes(ch) || safe.includes(ch) ? ch : HEX[c]!
    })
    tables.set(safe, table)
  }
  return table
}

function quote(value: string, safe: string): string {
  const table = tableFor(safe)
  let out = ''
  let start = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 128 && table[c]!.length === 1) continue
    out += value.slice(start, i)
    if (c < 128) {
      out += table[c]
    } else {
      const cp = value.codePointAt(i)!
      const ch = String.fromCodePoint(cp)
      for (const byte of Buffer.from(ch, 'utf8')) out += HEX[byte]
      i += ch.length - 1
    }
    start = i + 1
  }
  return start === 0 ? value : out + value.slice(start)
}

/** Django's `filepath_to_uri`: a file path made safe for a URL path (`/` and `!*()'~` kept). */
export function filepathToUri(path: string): string {
  return quote(path.replace(/\\/g, '/'), "/!*()'")
}

/** Percent-encode with RFC 3986's unreserved set plus the characters in `safe`. */
export function percentEncode(value: string, safe = ''): string {
  return quote(value, safe)
}

/** Python's `quote_plus`: form encoding of one key or value. */
export function quotePlus(value: string): string {
  return quote(value, ' ').replace(/ /g, '+')
}

/** Python's `urlencode(params)`: `k=v` pairs, form-encoded, in insertion order. */
export function formEncode(params: Record<string, unknown> | Iterable<[string, unknown]>): string {
  const entries = Symbol.iterator in Object(params) ? [...(params as Iterable<[string, unknown]>)] : Object.entries(params)
  return entries.map(([k, v]) => `${quotePlus(String(k))}=${quotePlus(String(v))}`).join('&')
}
