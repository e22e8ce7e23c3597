/**
 * The HTTP core: the one place that decides how a request to a storage is answered. `serveStorage`
 * (Node), `storageHandler` (Fetch) and the Fastify plugin only translate their request into an
 * `HttpExchange` and write the `HttpAnswer` back.
 */
import { isSelfServing, signedUrlVerifierOf } from '../../core/capabilities.js'
import type { Storage } from '../../core/storage.js'
import { clientErrorOf, hasCode, missAnswer, textAnswer } from './answers.js'
import { corsPolicy } from './cors.js'
import type { HttpAnswer, HttpExchange, StorageHttpOptions } from './exchange.js'
import { normalizePrefix, targetOf } from './request-path.js'
import { fileCacheControl, serveFile } from './serve.js'
import { refuseUnsigned } from './signed-get.js'
import { signedPut } from './signed-put.js'

/** Options of the core: the transport-neutral ones plus the URL prefix files live under. */
export interface StorageResponderOptions extends StorageHttpOptions {
  /** URL path the files live under (normalised to start and end with `/`); default none. */
  prefix?: string
}

/** Answers one request; throws only for server-side failures (status 500 and up), which the transport reports. */
export type StorageResponder = (exchange: HttpExchange) => Promise<HttpAnswer>

const NOT_ALLOWED = 'Bad Request: this path is not allowed.'

/**
 * The responder of `storage`: GET/HEAD (ranges, validators, 304, signed GETs), signed PUT uploads,
 * CORS preflights when `cors` is set, 405 for other methods, and misses (404) outside `prefix` or
 * for missing files. A storage that serves itself (S3) gets GET/HEAD redirected to its `url()`.
 */
export function storageResponder(storage: Storage, options: StorageResponderOptions = {}): StorageResponder {
  const prefix = normalizePrefix(options.prefix)
  const cacheControl = fileCacheControl(options.cacheControl)
  const urls = signedUrlVerifierOf(storage)
  const cors = corsPolicy(options.cors)
  const allow = cors ? 'GET, HEAD, PUT, OPTIONS' : 'GET, HEAD, PUT'

  async function answer(exchange: HttpExchange): Promise<HttpAnswer> {
    const { method } = exchange
    const target = targetOf(exchange.target, prefix)
    if (target.kind === 'miss') return missAnswer(method)
    const preflight = cors?.preflight(exchange)
    if (preflight) return preflight
    if (target.kind === 'bad') return textAnswer(400, `Bad Request: ${target.reason}.`, method)
    const { name, query } = target
    try {
      if (method === 'PUT') return await signedPut(storage, urls, name, query, exchange)
      if (method !== 'GET' && method !== 'HEAD') return textAnswer(405, 'Method Not Allowed', method, { Allow: allow })
      if (isSelfServing(storage)) {
        const location = await storage.url(name)
        return textAnswer(302, `Found: ${location}`, method, { Location: location })
      }
      if (urls?.requireSignature) {
        const refused = refuseUnsigned(urls, name, query, method)
        if (refused) return refused
      }
      return await serveFile(storage, name, exchange, cacheControl)
    } catch (error) {
      // A name the storage refuses (outside location, through a symlink, a control character) is
      // the client's doing: 400, with nothing about where it pointed.
      if (hasCode(error, ['E_SUSPICIOUS'])) return textAnswer(400, NOT_ALLOWED, method)
      const { status, message } = clientErrorOf(error)
      if (status < 500) return textAnswer(status, message, method)
      throw error
    }
  }

  return async (exchange) => {
    let result = await answer(exchange)
    // A refused upload leaves its body unread: the transport drains it and closes the connection.
    if (exchange.method === 'PUT' && result.status >= 300) result = { ...result, bodyUnread: true }
    return cors ? cors.decorate(exchange, result) : result
  }
}
