/**
 * `node-storages/fastify`: `app.register(fastifyStorage, { storage })` serves the storage under
 * `/media/` and accepts its signed PUT uploads through Fastify's reply (hooks run as for any
 * route), and decorates `request.saveUploads(options?)`, which streams multipart uploads into the
 * storage through `@fastify/multipart`. One HTTP core decides every answer, as for `serveStorage`
 * and `storageHandler`. See docs/frameworks.md.
 */
import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Storage } from '../../core/storage.js'
import { errorAnswer } from '../shared/answers.js'
import type { CorsOptions, HttpAnswer, HttpExchange } from '../shared/exchange.js'
import { storageResponder } from '../shared/handle.js'
import { normalizePrefix } from '../shared/request-path.js'
import type { SaveUploadsOptions, SavedUploads } from '../shared/uploads/types.js'
import { saveFastifyUploads } from './uploads.js'

export type { CorsOptions } from '../shared/exchange.js'
export type { SaveUploadsOptions, SavedUploads, StoredFileInfo, UploadFilePart } from '../shared/uploads/types.js'

/** Options of `fastifyStorage`. */
export interface FastifyStorageOptions {
  /** The storage to serve and to store uploads in. */
  storage: Storage
  /** URL path the files live under (default `/media`); the storage's `baseUrl` should point there. */
  prefix?: string
  /** `Cache-Control` of file responses (default `no-cache`); `no-transform` is added. */
  cacheControl?: string
  /** Answer CORS preflights and add CORS headers for these origins (default: no CORS). */
  cors?: CorsOptions
  /** Register `@fastify/multipart` for `request.saveUploads()` unless it is already (default true). */
  multipart?: boolean
  /**
   * Add the routes that serve the files and accept signed PUTs (default true). `false` only adds
   * `request.saveUploads()`: for S3, whose bucket serves the files itself.
   */
  routes?: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Streams this request's multipart files into the plugin's storage (node-storages `saveUploads` contract). */
    saveUploads(options?: SaveUploadsOptions): Promise<SavedUploads>
  }
}

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'] as const

function isReadable(value: unknown): value is Readable {
  return !!value && typeof (value as Readable).pipe === 'function' && typeof (value as Readable).on === 'function'
}

/** The exchange of a Fastify request; `target` is the path the core resolves against `prefix`. */
function exchangeOf(request: FastifyRequest, reply: FastifyReply, target: string): HttpExchange {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(Object.assign(new Error('The client closed the connection.'), { name: 'AbortError' }))
  })
  return {
    method: request.method.toUpperCase(),
    target,
    header(name) {
      const value = request.headers[name]
      return Array.isArray(value) ? value[0] : value
    },
    // The plugin's routes leave the body unparsed: the catch-all parser hands over the stream.
    body: () => (isReadable(request.body) ? request.body : request.raw),
    signal: controller.signal,
  }
}

/** Sends `answer` through Fastify's reply, so `onSend`/`onResponse` hooks run. */
function send(request: FastifyRequest, reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  const { status, headers, body } = answer
  if (answer.bodyUnread) {
    const source = isReadable(request.body) ? request.body : request.raw
    source.unpipe()
    request.raw.resume()
    if (!request.raw.readableEnded) reply.header('connection', 'close')
  }
  reply.code(status).headers(headers)
  if (body === undefined || request.method === 'HEAD') {
    if (body !== undefined && typeof body !== 'string') body.destroy()
    return reply.send()
  }
  return reply.send(body)
}

async function plugin(app: FastifyInstance, options: FastifyStorageOptions): Promise<void> {
  const { storage } = options
  const prefix = normalizePrefix(options.prefix ?? '/media')
  const respond = storageResponder(storage, { prefix, cacheControl: options.cacheControl, cors: options.cors })

  if (options.multipart !== false && !app.hasRequestDecorator('parts')) {
    let multipart: unknown
    try {
      multipart = (await import('@fastify/multipart')).default
    } catch {
      multipart = undefined // optional peer: request.saveUploads() says what to install
    }
    if (multipart) await app.register(multipart as Parameters<FastifyInstance['register']>[0])
  }
  app.decorateRequest('saveUploads', function (this: FastifyRequest, uploadOptions?: SaveUploadsOptions) {
    return saveFastifyUploads(this, storage, uploadOptions)
  })

  if (options.routes === false) return
  // The routes live in their own scope, whose only body parser hands the raw stream over: a signed
  // PUT streams into the storage whatever its Content-Type, with no body limit but the signed one.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload))
    scope.route({
      method: [...METHODS],
      url: `${prefix}*`,
      exposeHeadRoute: false,
      handler: async (request, reply) => {
        // The route's own path before the wildcard (the plugin may sit under a prefix of the app).
        const base = request.routeOptions.url!.slice(0, -1)
        const raw = request.raw.url ?? '/'
        const target = raw.startsWith(base) ? prefix + raw.slice(base.length) : raw
        const exchange = exchangeOf(request, reply, target)
        let answer: HttpAnswer
        try {
          answer = await respond(exchange)
        } catch (error) {
          request.log.error({ err: error }, 'node-storages: the storage failed')
          answer = { ...errorAnswer(error, exchange.method), bodyUnread: exchange.method === 'PUT' }
        }
        if (answer.miss) return reply.callNotFound()
        return send(request, reply, answer)
      },
    })
  })
}

/**
 * The Fastify plugin: serves `options.storage` under `prefix` (default `/media`) — GET/HEAD with
 * ranges, validators and signed-URL checks, signed PUT uploads, 405 for other methods — and adds
 * `request.saveUploads(options?)` (multipart through `@fastify/multipart`). Misses go to Fastify's
 * not-found handler; storage errors answer with their `status`.
 *
 * ```ts
 * await app.register(fastifyStorage, { storage })
 * app.post('/upload', async (request) => request.saveUploads({ maxFileSize: 10_000_000 }))
 * ```
 */
export const fastifyStorage = Object.assign(plugin, {
  // What fastify-plugin sets: the decorator reaches the whole app, not only this plugin's scope.
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'node-storages',
  [Symbol.for('plugin-meta')]: { name: 'node-storages', fastify: '>=5' },
})

export default fastifyStorage
