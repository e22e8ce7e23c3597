/**
 * `node-storages/http`: `serveStorage(storage)`, a Node request handler (Express, Connect or plain
 * `http`) that serves a storage's files the way a static file server would — ranges, validators,
 * 304s — checks the signed URLs of FileSystemStorage/InMemoryStorage, and accepts the signed PUT
 * uploads of `signedUploadUrl()`. It never answers with a byte from outside the storage: the path
 * is decoded once, every traversal spelling is refused, and the storage's own name checks apply.
 * See docs/http.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Storage } from '../../core/storage.js'
import { signedUrlVerifierOf, type SignedUrlVerifier } from '../../core/capabilities.js'
import { normalizePrefix, targetOf } from './request-path.js'
import { serveFile } from './serve.js'
import { handleSignedPut } from './upload.js'
import { codeOf, sendText } from './respond.js'

/** Options of `serveStorage()`. */
export interface ServeStorageOptions {
  /**
   * URL path the files live under, stripped from `req.url` (e.g. `/media/` with a plain `http`
   * server). Default none: right for Express/Connect, which strip the mount path of `app.use()`.
   */
  prefix?: string
  /** `Cache-Control` of file responses (default `no-cache`: revalidate with the ETag each time). */
  cacheControl?: string
}

/** A Node request handler; `next` (Express/Connect) is called on a miss, else 404 is sent. */
export type ServeStorageHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void

function verifyGet(urls: SignedUrlVerifier, name: string, query: string, method: string): 'ok' | 'missing' | 'expired' | 'bad-signature' {
  const params = new URLSearchParams(query)
  const expires = params.getAll('expires')
  const signature = params.getAll('signature')
  if (expires.length === 0 && signature.length === 0) return 'missing'
  if (expires.length !== 1 || signature.length !== 1 || !/^\d{1,15}$/.test(expires[0]!)) return 'bad-signature'
  const grant = { name, expires: Number(expires[0]) }
  const asGet = urls.verify({ ...grant, method: 'GET' }, signature[0]!)
  // A HEAD may use a URL signed for GET, or one signed for HEAD (`url(name, { httpMethod: 'HEAD' })`).
  if (asGet !== 'bad-signature' || method !== 'HEAD') return asGet
  return urls.verify({ ...grant, method: 'HEAD' }, signature[0]!)
}

/**
 * A request handler serving `storage`'s files: GET and HEAD with `Range` (206; 416 with
 * `Content-Range: bytes *\/size`), `ETag`, `Last-Modified`, 304 on `If-None-Match` /
 * `If-Modified-Since`, `Content-Type`, `Content-Length`, `X-Content-Type-Options: nosniff`.
 * When the storage signs URLs (`querystringAuth`), GET/HEAD need a valid, unexpired signature
 * (else 403). PUT accepts the signed uploads of `storage.signedUploadUrl()` (see docs/http.md for
 * 413, 415, 409). A missing file calls `next()` (404 without one); other methods get 405; a path
 * that tries to leave the storage gets 400.
 *
 * ```ts
 * app.use('/media', serveStorage(storage))                          // Express
 * http.createServer(serveStorage(storage, { prefix: '/media/' }))   // plain http
 * ```
 */
export function serveStorage(storage: Storage, options: ServeStorageOptions = {}): ServeStorageHandler {
  const prefix = normalizePrefix(options.prefix)
  const cacheControl = options.cacheControl ?? 'no-cache'
  const urls = signedUrlVerifierOf(storage)

  async function handle(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    const miss = () => (next ? next() : sendText(req, res, 404, 'Not Found'))
    const method = (req.method ?? 'GET').toUpperCase()
    const target = targetOf(req.url ?? '/', prefix)
    if (target.kind === 'miss') return miss()
    if (target.kind === 'bad') return sendText(req, res, 400, `Bad Request: ${target.reason}.`)
    const { name, query } = target
    if (method === 'PUT') return handleSignedPut(storage, urls, name, query, req, res)
    if (method !== 'GET' && method !== 'HEAD') return sendText(req, res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD, PUT' })
    if (urls?.requireSignature) {
      const check = verifyGet(urls, name, query, method)
      if (check === 'missing') return sendText(req, res, 403, 'Forbidden: this file needs a signed URL.')
      if (check === 'expired') return sendText(req, res, 403, 'Forbidden: the signed URL has expired.')
      if (check !== 'ok') return sendText(req, res, 403, 'Forbidden: bad signature.')
    }
    const outcome = await serveFile(storage, name, req, res, { cacheControl })
    if (outcome === 'miss') return miss()
  }

  return (req, res, next) => {
    handle(req, res, next).catch((error: unknown) => {
      // Whatever failed, the rest of a request body is drained, never destroyed.
      req.unpipe()
      req.resume()
      // A name the storage refuses (outside location, through a symlink, a control character) is
      // the client's doing: 400, with nothing about where it pointed.
      if (codeOf(error) === 'E_SUSPICIOUS') return sendText(req, res, 400, 'Bad Request: this path is not allowed.')
      if (next && !res.headersSent) return next(error)
      if (res.headersSent) return void res.destroy()
      sendText(req, res, 500, 'Internal Server Error')
    })
  }
}
