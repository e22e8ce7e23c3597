// The shared HTTP behaviour, part 2: signed URLs. The same cases run through serveStorage,
// storageHandler and the Fastify plugin, on FileSystemStorage and InMemoryStorage: signed GET and
// HEAD, and signed PUT uploads with their limits, where every refusal stores nothing.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FileSystemStorage, InMemoryStorage, type Storage } from '../../src/index.js'
import { allNames, until } from './helpers.js'
import { raw, transports, type Running } from './transports.js'

/** Runs `sign` as if it were a minute ago, so that what it signs has expired by now. */
async function signedInThePast<T>(sign: () => Promise<T>): Promise<T> {
  const spy = vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 60_000)
  try {
    return await sign()
  } finally {
    spy.mockRestore()
  }
}

const root = mkdtempSync(join(tmpdir(), 'ns-signed-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const backends: Array<[string, (o?: Record<string, unknown>) => Storage, (s: Storage) => string | undefined]> = [
  [
    'FileSystemStorage',
    (o = {}) => new FileSystemStorage({ location: join(root, 'loc' + n++), ...o }),
    (s) => (s as FileSystemStorage).location,
  ],
  ['InMemoryStorage', (o = {}) => new InMemoryStorage(o), () => undefined],
]

for (const transport of transports) {
  for (const [label, make, locationOf] of backends) {
    describe(`${transport.label} signed URLs with ${label}`, () => {
      let storage: Storage
      let server: Running
      beforeAll(async () => {
        storage = make({ querystringAuth: true, secret: 'test-secret-' + label })
        await storage.save('private/report.txt', 'private bytes')
        await storage.save('private/other.txt', 'other bytes')
        server = await transport.start(storage)
      })
      afterAll(() => server.close())

      it('serves a signed GET URL and refuses missing, bad, foreign and expired signatures with 403', async () => {
        const url = await storage.url('private/report.txt')
        const ok = await raw(server.base, 'GET', url)
        expect(ok.status).toBe(200)
        expect(ok.body.toString()).toBe('private bytes')
        expect((await raw(server.base, 'HEAD', url)).status).toBe(200)
        expect((await raw(server.base, 'HEAD', await storage.url('private/report.txt', { httpMethod: 'HEAD' }))).status).toBe(200)

        expect((await raw(server.base, 'GET', '/media/private/report.txt')).status).toBe(403)
        const sig = new URL(url, 'http://x').searchParams.get('signature')!
        const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA')
        expect((await raw(server.base, 'GET', url.replace(sig, flipped))).status).toBe(403)
        const exp = new URL(url, 'http://x').searchParams.get('expires')!
        expect((await raw(server.base, 'GET', url.replace(`expires=${exp}`, `expires=${Number(exp) + 1000}`))).status).toBe(403)
        expect((await raw(server.base, 'GET', url.replace('report.txt', 'other.txt'))).status).toBe(403)
        const expired = await raw(server.base, 'GET', await signedInThePast(() => storage.url('private/report.txt', { expire: 10 })))
        expect(expired.status).toBe(403)
        expect(expired.body.toString()).toMatch(/expired/)
        expect(expired.body.toString()).not.toContain('private bytes')
        // Checked before the lookup: a missing file with a good signature is a 404, without one a 403.
        expect((await raw(server.base, 'GET', await storage.url('private/none.txt'))).status).toBe(404)
        expect((await raw(server.base, 'GET', '/media/private/none.txt')).status).toBe(403)
      })

      it('stores a signed PUT upload under the name it grants, once', async () => {
        const up = await storage.signedUploadUrl('uploads/photo.txt', { contentType: 'text/plain', maxSize: 1000 })
        const body = Buffer.from('direct upload body')
        const r = await raw(server.base, 'PUT', up.url, up.headers, body)
        expect(r.status, r.body.toString()).toBe(201)
        expect(JSON.parse(r.body.toString())).toEqual({ name: up.name, size: body.length })
        expect(r.headers['etag']).toBe((await storage.stat(up.name)).etag)
        expect((await storage.read(up.name)).equals(body)).toBe(true)
        const again = await raw(server.base, 'PUT', up.url, up.headers, Buffer.from('replaced?'))
        expect(again.status).toBe(409)
        expect((await storage.read(up.name)).equals(body)).toBe(true)
        expect((await allNames(storage)).filter((x) => x.startsWith('uploads/photo'))).toEqual([up.name])
      })

      it('refuses uploads over maxSize (413), of another type (415) or badly signed (403), storing nothing', async () => {
        const up = await storage.signedUploadUrl('uploads/limited.bin', { contentType: 'application/octet-stream', maxSize: 1000 })
        const h = up.headers
        expect((await raw(server.base, 'PUT', up.url, h, Buffer.alloc(5000, 1))).status).toBe(413)
        const chunks = Array.from({ length: 8 }, () => Buffer.alloc(400, 2))
        expect((await raw(server.base, 'PUT', up.url, { ...h, 'Transfer-Encoding': 'chunked' }, chunks)).status).toBe(413)
        expect((await raw(server.base, 'PUT', up.url, { 'Content-Type': 'text/html' }, Buffer.from('<script>'))).status).toBe(415)
        expect((await raw(server.base, 'PUT', up.url, {}, Buffer.from('x'))).status).toBe(415)
        const sig = new URL(up.url, 'http://x').searchParams.get('signature')!
        expect((await raw(server.base, 'PUT', up.url.replace(sig, sig.split('').reverse().join('')), h, Buffer.from('x'))).status).toBe(403)
        expect((await raw(server.base, 'PUT', up.url.replace('maxSize=1000', 'maxSize=100000'), h, Buffer.alloc(5000))).status).toBe(403)
        expect((await raw(server.base, 'PUT', up.url.replace('limited.bin', 'elsewhere.bin'), h, Buffer.from('x'))).status).toBe(403)
        expect((await raw(server.base, 'PUT', up.url.split('?')[0]!, h, Buffer.from('x'))).status).toBe(403)
        const expired = await signedInThePast(() => storage.signedUploadUrl('uploads/late.bin', { expire: 5 }))
        const late = await raw(server.base, 'PUT', expired.url, expired.headers, Buffer.from('x'))
        expect(late.status).toBe(403)
        expect(late.body.toString()).toMatch(/expired/)
        expect(await storage.exists('uploads/limited.bin')).toBe(false)
        expect(await storage.exists('uploads/late.bin')).toBe(false)
        // Exactly maxSize passes.
        const full = await raw(server.base, 'PUT', up.url, { ...h, 'Transfer-Encoding': 'chunked' }, [
          Buffer.alloc(600, 3),
          Buffer.alloc(400, 3),
        ])
        expect(full.status).toBe(201)
        expect(await storage.size('uploads/limited.bin')).toBe(1000)
      })

      it('stores nothing when the body stops before its Content-Length', async () => {
        const up = await storage.signedUploadUrl('uploads/cut.bin', { contentType: 'application/octet-stream' })
        const r = await raw(server.base, 'PUT', up.url, up.headers, Buffer.alloc(64 * 1024, 7), { declared: 256 * 1024 })
        expect([0, 400]).toContain(r.status)
        const location = locationOf(storage)
        await until(async () => !(await storage.exists('uploads/cut.bin')), 2000, 'nothing stored')
        // No temporary file is left behind either (the filesystem writes to a temp file, then renames).
        await new Promise((resolve) => setTimeout(resolve, 100))
        expect(await allNames(storage)).not.toContain('uploads/cut.bin')
        if (location) {
          const { readdirSync } = await import('node:fs')
          expect(readdirSync(join(location, 'uploads')).filter((f) => f.includes('cut'))).toEqual([])
          expect(readdirSync(join(location, 'uploads')).filter((f) => f.startsWith('.'))).toEqual([])
        }
      })
    })
  }
}
