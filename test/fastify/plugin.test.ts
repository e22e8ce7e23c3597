// The Fastify plugin over real HTTP on 127.0.0.1: request.saveUploads() through @fastify/multipart
// (sizes, limits, refusals, a client that hangs up), hooks running on the plugin's own routes,
// mounting under an app prefix, and storage errors answered with their status.
import { createHash } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { fastifyStorage } from '../../src/adapters/fastify/index.js'
import type { SaveUploadsOptions } from '../../src/adapters/fetch/index.js'
import type { Storage } from '../../src/index.js'
import { allNames, localBackends, track, until } from '../adapters/helpers.js'
import { raw } from '../adapters/transports.js'
import { multipartBody, type GenBody } from '../fetch/multipart.js'

const KiB = 1024
const MiB = 1024 * KiB

/** A Fastify app with the plugin and `POST /upload` calling `request.saveUploads(options)`. */
async function app(
  storage: Storage,
  options: SaveUploadsOptions = {},
  outcomes: number[] = [],
): Promise<{ base: string; app: FastifyInstance }> {
  const fastify = Fastify()
  fastify.addHook('onResponse', async (_request, reply) => void outcomes.push(reply.statusCode))
  await fastify.register(fastifyStorage, { storage })
  fastify.post('/upload', async (request) => request.saveUploads(options))
  fastify.get('/open/*', async (request) => storage.read((request.params as { '*': string })['*']))
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  return { base: `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}`, app: fastify }
}

/** What `POST /upload` answers. */
interface Answer {
  files: Array<{ name: string; size: number; contentType: string; url: string }>
  fields: Record<string, string>
}

/** Sends a generated multipart body; resolves with the status and JSON answer. */
async function send(base: string, body: GenBody): Promise<{ status: number; json: Answer }> {
  const res = await fetch(base + '/upload', {
    method: 'POST',
    headers: { 'content-type': body.contentType },
    body: body.stream,
    duplex: 'half',
  } as RequestInit)
  return { status: res.status, json: (await res.json()) as Answer }
}

for (const backend of localBackends()) {
  describe(`fastifyStorage request.saveUploads() with ${backend.label}`, () => {
    afterAll(() => backend.cleanup())

    it('stores 0-byte, 1 KiB and 12 MiB files with their true size and content, and the fields', async () => {
      const storage = backend.make()
      const { base, app: server } = await app(storage)
      try {
        const body = multipartBody([
          { field: 'title', value: 'holiday' },
          { field: 'f', filename: 'empty.bin', size: 0 },
          { field: 'f', filename: 'small.txt', type: 'text/plain', size: KiB },
          { field: 'f', filename: 'big.bin', size: 12 * MiB },
        ])
        const { status, json } = await send(base, body)
        expect(status).toBe(200)
        expect(json.fields).toEqual({ title: 'holiday' })
        expect(json.files.map((f) => [f.name, f.size, f.contentType])).toEqual([
          ['empty.bin', 0, 'application/octet-stream'],
          ['small.txt', KiB, 'text/plain'],
          ['big.bin', 12 * MiB, 'application/octet-stream'],
        ])
        for (const [i, file] of json.files.entries()) {
          const hash = createHash('sha256')
          for await (const chunk of await storage.open(file.name)) hash.update(chunk as Buffer)
          expect(hash.digest('hex')).toBe(body.digests[i])
          // The URL it reports is served by the plugin.
          const served = await fetch(base + file.url)
          expect(served.status).toBe(200)
          expect(Number(served.headers.get('content-length'))).toBe(file.size)
          await served.arrayBuffer()
        }
      } finally {
        await server.close()
      }
    })

    const refusals: Array<[string, () => GenBody | { contentType: string; raw: string }, SaveUploadsOptions, number]> = [
      [
        'a file over maxFileSize',
        () =>
          multipartBody([
            { field: 'f', filename: 'ok.bin', size: 10 },
            { field: 'f', filename: 'big.bin', size: 2 * MiB },
          ]),
        { maxFileSize: MiB },
        413,
      ],
      [
        'too many files',
        () => multipartBody([1, 2, 3].map((i) => ({ field: 'f', filename: `${i}.bin`, size: KiB }))),
        { maxFiles: 2 },
        413,
      ],
      [
        'too many fields',
        () =>
          multipartBody([
            { field: 'f', filename: 'a.bin', size: 1 },
            { field: 'a', value: '1' },
            { field: 'b', value: '2' },
          ]),
        { maxFields: 1 },
        413,
      ],
      ['a body that is not multipart', () => ({ contentType: 'text/plain', raw: 'just text' }), {}, 415],
      [
        'a malformed multipart body',
        () => ({
          contentType: 'multipart/form-data; boundary=zzz',
          raw: '--zzz\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\nabc',
        }),
        {},
        400,
      ],
    ]
    for (const [what, make, options, status] of refusals) {
      it(`answers ${what} with ${status} and stores nothing`, async () => {
        const storage = backend.make()
        const tracker = track(storage)
        const { base, app: server } = await app(storage, options)
        try {
          const body = make()
          const r =
            'raw' in body
              ? await raw(
                  base,
                  'POST',
                  '/upload',
                  { 'Content-Type': body.contentType, 'Content-Length': String(Buffer.byteLength(body.raw)) },
                  Buffer.from(body.raw),
                )
              : await send(base, body)
          expect(r.status, what).toBe(status)
          await tracker.settled()
          expect(await allNames(storage)).toEqual([])
          expect(backend.rawFiles(storage)).toEqual([])
        } finally {
          await server.close()
        }
      })
    }

    it('stores nothing when the client hangs up mid-upload', async () => {
      const storage = backend.make()
      const tracker = track(storage)
      const { base, app: server } = await app(storage)
      try {
        const body = multipartBody([
          { field: 'f', filename: 'whole.bin', size: 200 * KiB },
          { field: 'f', filename: 'half.bin', size: 8 * MiB },
        ])
        const req = httpRequest(base + '/upload', {
          method: 'POST',
          headers: { 'content-type': body.contentType, 'content-length': String(body.length) },
        })
        req.on('error', () => {})
        const reader = body.stream.getReader()
        for (let sent = 0; sent < 2 * MiB; ) {
          const { value } = await reader.read()
          sent += value!.length
          if (!req.write(value)) await new Promise((resolve) => req.once('drain', resolve))
        }
        await until(() => tracker.saves.length === 1 && tracker.pending > 0, 10_000, 'the second file to be on its way')
        req.destroy()
        await new Promise((resolve) => setTimeout(resolve, 100))
        await tracker.settled()
        expect(await allNames(storage)).toEqual([])
        expect(backend.rawFiles(storage)).toEqual([])
      } finally {
        await server.close()
      }
    })
  })
}

describe('fastifyStorage routes', () => {
  const [memory] = localBackends().slice(1)

  it("runs the app's hooks on the plugin's routes, and works under an app prefix", async () => {
    const storage = memory!.make()
    await storage.save('a.txt', 'aaa')
    const fastify = Fastify()
    const seen: string[] = []
    fastify.addHook('onRequest', async (request) => void seen.push(`onRequest ${request.url}`))
    fastify.addHook('onSend', async (_request, reply, payload) => {
      reply.header('x-app-hook', 'ran')
      return payload
    })
    await fastify.register(async (api) => api.register(fastifyStorage, { storage, prefix: '/files' }), { prefix: '/api' })
    await fastify.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}`
    try {
      const r = await fetch(base + '/api/files/a.txt')
      expect(r.status).toBe(200)
      expect(await r.text()).toBe('aaa')
      expect(r.headers.get('x-app-hook')).toBe('ran')
      expect(seen).toEqual(['onRequest /api/files/a.txt'])
      expect((await fetch(base + '/api/files/missing.txt')).status).toBe(404)
      expect((await fetch(base + '/files/a.txt')).status).toBe(404)
    } finally {
      await fastify.close()
    }
  })

  it('answers storage errors thrown in app routes with their status', async () => {
    const storage = memory!.make()
    const { base, app: server } = await app(storage)
    try {
      expect((await fetch(base + '/open/missing.txt')).status).toBe(404)
      expect((await raw(base, 'GET', '/open/%00x')).status).toBe(400)
    } finally {
      await server.close()
    }
  })

  it('says what to install when @fastify/multipart is not there', async () => {
    const storage = memory!.make()
    const fastify = Fastify()
    await fastify.register(fastifyStorage, { storage, multipart: false })
    // Without @fastify/multipart Fastify itself refuses multipart bodies (415); a route that gets
    // this far learns what is missing.
    fastify.get('/upload', async (request) => request.saveUploads())
    try {
      const r = await fastify.inject({ method: 'GET', url: '/upload' })
      expect(r.statusCode).toBe(500)
      expect(r.json().message).toMatch(/npm i @fastify\/multipart/)
    } finally {
      await fastify.close()
    }
  })
})
