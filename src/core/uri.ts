/**
 * URL encoders with Python's exact rules, used by every backend's `url()`.
 *
 * `filepathToUri` is Django's `filepath_to_uri`: backslashes become `/`, then every byte outside
 * `A-Za-z0-9_.-~/!*()'` is percent-encoded (uppercase hex) from its UTF-8 form.
 * `formEncode` is Python's `urllib.parse.urlencode` (`quote_plus`): space becomes `+`, and every
 * byte outside `A-Za-z0-9_.-~` is percent-encoded.
 */

const UNRESERVED = /[A-Za-z0-9_.\-~]/

function quote(value: string, safe: string): string {
  let out = ''
  for (const ch of value) {
    if (UNRESERVED.test(ch) || safe.includes(ch)) {
      out += ch
      continue
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
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
