/**
 * `node-storages/http`: `serveStorage(storage)`, a Node request handler (Express, Connect or plain
 * `http`) over the HTTP core: it serves a storage's files the way a static file server would —
 * ranges, validators, 304s — checks signed URLs, and accepts the signed PUT uploads of
 * `signedUploadUrl()`. It never answers with a byte from outside the storage. See docs/http.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Storage } from '../../core/storage.js'
import { errorAnswer } from '../shared/answers.js'
import type { CorsOptions } from '../shared/exchange.js'
import { storageResponder } from '../shared/handle.js'
import { nodeExchange, writeAnswer } from './node.js'

export type { CorsOptions } from '../shared/exchange.js'

/** Options of `serveStorage()`. */
export interface ServeStorageOptions {
  /**
   * URL path the files live under, stripped from `req.url` (e.g. `/media/` with a plain `http`
   * server). Default none: right for Express/Connect, which strip the mount path of `app.use()`.
   */
  prefix?: string
  /** `Cache-Control` of file responses (default `no-cache`: revalidate with the ETag each time); `no-transform` is added. */
  cacheControl?: string
  /** Answer CORS preflights and add CORS headers for these origins (default: no CORS). */
  cors?: CorsOptions
}

/** A Node request handler; `next` (Express/Connect) is called on a miss, else 404 is sent. */
export type ServeStorageHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void

/**
 * A request handler serving `storage`'s files: GET and HEAD with `Range` (206; 416 with
 * `Content-Range: bytes *\/size`), `ETag`, `Last-Modified`, 304 on `If-None-Match` /
 * `If-Modified-Since`, `Content-Type`, `Content-Length`, `X-Content-Type-Options: nosniff`.
 * When the storage signs URLs (`querystringAuth`), GET/HEAD need a valid, unexpired signature
 * (else 403). PUT accepts the signed uploads of `storage.signedUploadUrl()` (see docs/http.md for
 * 413, 415, 409). A missing file calls `next()` (404 without one); other methods get 405; a path
 * that tries to leave the storage gets 400; a storage error answers with its `status`.
 *
 * ```ts
 * app.use('/media', serveStorage(storage))                          // Express
 * http.createServer(serveStorage(storage, { prefix: '/media/' }))   // plain http
 * ```
 */
export function serveStorage(storage: Storage, options: ServeStorageOptions = {}): ServeStorageHandler {
  const respond = storageResponder(storage, options)
  return (req, res, next) => {
    const exchange = nodeExchange(req, res)
    respond(exchange).then(
      (answer) => (answer.miss && next ? next() : writeAnswer(req, res, answer)),
      (error: unknown) => {
        // A server-side failure: Express/Connect report it; without them, 500 with no details.
        if (next && !res.headersSent) {
          if (exchange.method === 'PUT') {
            req.unpipe()
            req.resume()
          }
          return next(error)
        }
        writeAnswer(req, res, { ...errorAnswer(error, exchange.method), bodyUnread: exchange.method === 'PUT' })
      },
    )
  }
}
