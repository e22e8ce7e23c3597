/** The Fetch API transport of the HTTP core: a `Request` in, a `Response` out, streams converted both ways. */
import { Readable } from 'node:stream'
import type { HttpAnswer, HttpExchange } from '../shared/exchange.js'

/**
 * A web `ReadableStream` reading `body` on demand (one chunk per pull, so a slow client holds back
 * the file instead of buffering it); cancelling it destroys `body`.
 */
export function webStreamOf(body: Readable): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await chunks.next()
          if (done) controller.close()
          else controller.enqueue(value as Uint8Array)
        } catch (error) {
          controller.error(error)
        }
      },
      async cancel() {
        body.destroy()
        await chunks.return?.()
      },
    },
    { highWaterMark: 0 },
  )
}

/** A Node stream of a request's body (empty when it has none); destroying it cancels the body. */
export function bodyOf(request: Request): Readable {
  if (!request.body) return Readable.from([], { objectMode: false })
  return Readable.from(request.body as unknown as AsyncIterable<Uint8Array>, { objectMode: false })
}

/** The exchange of a `Request` (the target is the URL's path and query), and `release()` to stop reading its body. */
export function fetchExchange(request: Request): { exchange: HttpExchange; release(): void } {
  const url = new URL(request.url)
  let body: Readable | undefined
  return {
    exchange: {
      method: request.method.toUpperCase(),
      target: url.pathname + url.search,
      header: (name) => request.headers.get(name) ?? undefined,
      body: () => (body ??= bodyOf(request)),
      signal: request.signal,
    },
    // The runtime owns what is left of a refused body: it drains it or closes the connection.
    release: () => {
      if (!body || body.destroyed) return
      body.on('error', () => {})
      body.destroy()
    },
  }
}

/** The `Response` of an answer (no body for HEAD, 204 and 304). */
export function responseOf(answer: HttpAnswer, method: string): Response {
  const { status, headers, body } = answer
  const empty = method === 'HEAD' || status === 204 || status === 304 || body === undefined
  if (empty && body !== undefined && typeof body !== 'string') body.destroy()
  const payload = empty ? null : typeof body === 'string' ? body : webStreamOf(body!)
  return new Response(payload, { status, headers })
}
