// The three transports of the HTTP core, each started on 127.0.0.1 the way an app would use it:
// serveStorage on a plain Node server, storageHandler on @hono/node-server (a real Fetch runtime
// for Node), and the Fastify plugin. The shared behaviour tests run the same cases through each.
import { createServer, request as httpRequest } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import Fastify from 'fastify'
import { serveStorage } from '../../src/adapters/http/index.js'
import { storageHandler } from '../../src/adapters/fetch/index.js'
import { fastifyStorage } from '../../src/adapters/fastify/index.js'
import type { CorsOptions } from '../../src/adapters/shared/exchange.js'
import type { Storage } from '../../src/index.js'
import { listen } from './helpers.js'

/** A running server with the storage mounted under `/media/`. */
export interface Running {
  base: string
  close(): Promise<void>
}

/** Options every transport takes in these tests. */
export interface MountOptions {
  cors?: CorsOptions
  cacheControl?: string
}

/** One way of putting the HTTP core on a server. */
export interface Transport {
  label: string
  start(storage: Storage, options?: MountOptions): Promise<Running>
}

export const transports: Transport[] = [
  {
    label: 'serveStorage (node:http)',
    start: (storage, options = {}) => listen(createServer(serveStorage(storage, { prefix: '/media/', ...options }))),
  },
  {
    label: 'storageHandler (Fetch on @hono/node-server)',
    start: (storage, options = {}) => {
      const handler = storageHandler(storage, { prefix: '/media', ...options })
      return listen(createAdaptorServer({ fetch: handler }) as ReturnType<typeof createServer>)
    },
  },
  {
    label: 'fastifyStorage (Fastify)',
    start: async (storage, options = {}) => {
      const app = Fastify()
      await app.register(fastifyStorage, { storage, ...options })
      await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = app.server.address() as { port: number }
      return { base: `http://127.0.0.1:${port}`, close: () => app.close() }
    },
  },
]

/** What came back from `raw()`. */
export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/**
 * A request with the path sent exactly as given (fetch would normalise `..` away); `body` is sent
 * whole, in chunks, or — with `cut` — as its first bytes under a larger declared length, after
 * which the client hangs up (resolving with status 0 if no answer came).
 */
export function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | Buffer[],
  cut?: { declared: number },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(base)
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    if (cut) {
      req.setHeader('Content-Length', String(cut.declared))
      req.on('error', () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }))
      req.write(body as Buffer, () => setTimeout(() => req.destroy(), 50))
      return
    }
    req.on('error', reject)
    if (Array.isArray(body)) {
      for (const b of body) req.write(b)
      req.end()
    } else req.end(body)
  })
}
