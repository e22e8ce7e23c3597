/**
 * CORS for the HTTP core: what a browser on another origin needs to download files with `fetch`
 * and to send direct uploads (a signed PUT with a `Content-Type` is not a simple request, so the
 * browser asks first with a preflight `OPTIONS`). Off unless `cors: { origins }` is given.
 */
import { textAnswer } from './answers.js'
import type { CorsOptions, HttpAnswer, HttpExchange } from './exchange.js'

const METHODS = 'GET, HEAD, PUT'
// Request headers a browser may send: the upload's type and the conditional and range headers.
const ALLOWED_HEADERS = ['content-type', 'range', 'if-none-match', 'if-modified-since', 'if-range']
const EXPOSED = 'ETag, Content-Length, Content-Range, Accept-Ranges, Last-Modified'

/** The CORS rules of one handler. */
export interface CorsPolicy {
  /** The answer to a preflight request, or undefined when the request is not one. */
  preflight(exchange: HttpExchange): HttpAnswer | undefined
  /** Adds the CORS headers a response to `exchange` needs (none for a foreign or absent origin). */
  decorate(exchange: HttpExchange, answer: HttpAnswer): HttpAnswer
}

/** The CORS policy of `options`, or undefined when CORS is off. */
export function corsPolicy(options: CorsOptions | undefined): CorsPolicy | undefined {
  if (!options) return undefined
  const list = typeof options.origins === 'string' ? [options.origins] : [...options.origins]
  const any = list.includes('*')
  const allowed = new Set(list.map((o) => o.replace(/\/+$/, '').toLowerCase()))
  const maxAge = String(options.maxAge ?? 600)
  const allowedOrigin = (origin: string | undefined): string | undefined => {
    if (!origin) return undefined
    if (any) return '*'
    return allowed.has(origin.toLowerCase()) ? origin : undefined
  }
  const vary: Record<string, string> = any ? {} : { Vary: 'Origin' }

  return {
    preflight(exchange) {
      if (exchange.method !== 'OPTIONS' || exchange.header('access-control-request-method') === undefined) return undefined
      const origin = allowedOrigin(exchange.header('origin'))
      const method = exchange.header('access-control-request-method')!.trim().toUpperCase()
      const asked = (exchange.header('access-control-request-headers') ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== '')
      if (!origin || !METHODS.split(', ').includes(method) || asked.some((h) => !ALLOWED_HEADERS.includes(h))) {
        return textAnswer(403, 'Forbidden: this cross-origin request is not allowed.', 'OPTIONS', vary)
      }
      return {
        status: 204,
        headers: {
          ...vary,
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': METHODS,
          'Access-Control-Allow-Headers': ALLOWED_HEADERS.join(', '),
          'Access-Control-Max-Age': maxAge,
          'Cache-Control': 'no-store',
        },
      }
    },
    decorate(exchange, answer) {
      const origin = allowedOrigin(exchange.header('origin'))
      if (!origin) return Object.keys(vary).length ? { ...answer, headers: { ...answer.headers, ...vary } } : answer
      return {
        ...answer,
        headers: { ...answer.headers, ...vary, 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSED },
      }
    },
  }
}
