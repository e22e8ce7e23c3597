/**
 * `node-storages/fetch`: the storage's HTTP handler and streaming uploads for every framework built
 * on the Fetch API's `Request` and `Response` — Next.js route handlers, Hono, React Router/Remix,
 * SvelteKit, Nuxt/Nitro, Astro, Bun, Deno. Same behaviour as `serveStorage` (one HTTP core serves
 * both). See docs/frameworks.md.
 */
import type { Storage } from '../../core/storage.js'
import { clientErrorOf, textAnswer } from '../shared/answers.js'
import type { CorsOptions } from '../shared/exchange.js'
import { storageResponder } from '../shared/handle.js'
import { busboyParts } from '../shared/uploads/busboy-source.js'
import { storeUploads } from '../shared/uploads/store.js'
import type { SaveUploadsOptions, SavedUploads } from '../shared/uploads/types.js'
import { bodyOf, fetchExchange, responseOf } from './web.js'

export type { CorsOptions } from '../shared/exchange.js'
export type { SaveUploadsOptions, SavedUploads, StoredFileInfo, UploadFilePart } from '../shared/uploads/types.js'

/** Options of `storageHandler()`. */
export interface StorageHandlerOptions {
  /** URL path the files live under (default `/media`); include any `basePath` of your app. Elsewhere: 404. */
  prefix?: string
  /** `Cache-Control` of file responses (default `no-cache`); `no-transform` is added. */
  cacheControl?: string
  /** Answer CORS preflights and add CORS headers for these origins (default: no CORS). */
  cors?: CorsOptions
}

/** A Fetch API handler. */
export type FetchHandler = (request: Request) => Promise<Response>

/**
 * A `(request) => Promise<Response>` handler serving `storage` under `prefix`: GET/HEAD with
 * `Range`/206/416, `ETag`/`Last-Modified`/304, content type, signed GET checks, signed PUT
 * uploads (`maxSize`, `contentType`), never a path outside `location`; 404 outside `prefix` and
 * for missing files, 405 for other methods. A storage that serves itself (S3) redirects GET/HEAD
 * to its `url()`.
 *
 * ```ts
 * const handler = storageHandler(storage)          // files under /media/
 * export { handler as GET, handler as HEAD, handler as PUT }   // Next.js app/media/[...path]/route.ts
 * ```
 */
export function storageHandler(storage: Storage, options: StorageHandlerOptions = {}): FetchHandler {
  const respond = storageResponder(storage, { ...options, prefix: options.prefix ?? '/media' })
  return async (request) => {
    const { exchange, release } = fetchExchange(request)
    try {
      const answer = await respond(exchange)
      if (answer.bodyUnread) release()
      return responseOf(answer, exchange.method)
    } catch (error) {
      release()
      return errorResponse(error)
    }
  }
}

/**
 * The `Response` any error calls for: a storage error's `status` (400 bad name, 404 missing, 413,
 * 415, ...) with its message when it is safe to show (`expose`), else 500 with a generic message.
 * For routes that call the storage themselves.
 *
 * ```ts
 * try { return Response.json(await saveUploads(request, storage)) } catch (error) { return errorResponse(error) }
 * ```
 */
export function errorResponse(error: unknown): Response {
  const { status, message } = clientErrorOf(error)
  return responseOf(textAnswer(status, message, 'GET'), 'GET')
}

/**
 * Streams every file part of a `multipart/form-data` request into `storage.save()` (a file is
 * never held whole in memory) and collects the other fields. Files are named after the client's
 * file name made valid (`storage.generateFilename`), or by `options.filename(part)`. A limit
 * exceeded throws a `StorageError` with status 413, a body that is not multipart 415, a malformed
 * one 400; then, and when the client aborts (`request.signal`), nothing of the request stays stored.
 *
 * ```ts
 * const { files, fields } = await saveUploads(request, storage, { maxFileSize: 10_000_000 })
 * ```
 */
export async function saveUploads(request: Request, storage: Storage, options: SaveUploadsOptions = {}): Promise<SavedUploads> {
  const source = busboyParts(bodyOf(request), request.headers.get('content-type') ?? undefined, options)
  return storeUploads(source, storage, options, request.signal)
}
