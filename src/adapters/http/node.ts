/** The Node `http` transport of the HTTP core: an `IncomingMessage` in, an `HttpAnswer` written to a `ServerResponse`. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline, type Readable } from 'node:stream'
import type { HttpAnswer, HttpExchange } from '../shared/exchange.js'

/** The exchange of a Node request; its signal aborts when the client leaves before the answer is complete. */
export function nodeExchange(req: IncomingMessage, res: ServerResponse, target = req.url ?? '/'): HttpExchange {
  const controller = new AbortController()
  const gone = () => {
    if (!res.writableFinished) controller.abort(Object.assign(new Error('The client closed the connection.'), { name: 'AbortError' }))
  }
  res.once('close', gone)
  req.once('error', gone)
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    target,
    header(name) {
      const value = req.headers[name]
      return Array.isArray(value) ? value[0] : value
    },
    body: () => req,
    signal: controller.signal,
  }
}

/**
 * Lets an unread request body drain (never destroying the request, so the client reads the
 * answer) and asks for the connection to be closed afterwards.
 */
export function drainBody(source: Readable, headers: Record<string, string>): Record<string, string> {
  source.unpipe()
  source.resume()
  return source.readableEnded ? headers : { ...headers, Connection: 'close' }
}

/** Writes `answer` to `res`; a stream body is piped and destroyed if the client leaves. */
export function writeAnswer(req: IncomingMessage, res: ServerResponse, answer: HttpAnswer): void {
  const body = answer.body
  if (res.headersSent) {
    if (body && typeof body !== 'string') body.destroy()
    res.destroy()
    return
  }
  const headers = answer.bodyUnread ? drainBody(req, answer.headers) : answer.headers
  res.writeHead(answer.status, headers)
  if (body === undefined || typeof body === 'string' || req.method === 'HEAD') {
    if (body !== undefined && typeof body !== 'string') body.destroy()
    res.end(typeof body === 'string' && req.method !== 'HEAD' ? body : undefined)
    return
  }
  // A failure half-way (the client left, the file vanished) can only cut the response short.
  pipeline(body, res, () => {})
}
