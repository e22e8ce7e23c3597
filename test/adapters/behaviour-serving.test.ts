// The shared HTTP behaviour, part 1: serving. The same cases run through serveStorage, storageHandler
// and the Fastify plugin, on FileSystemStorage and InMemoryStorage: headers, ranges, validators,
// HEAD, misses, methods, odd names, CORS, and errors answered with their status.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileSystemStorage, InMemoryStorage, type Storage } from '../../src/index.js'
import { raw, transports, type Running } from './transports.js'

const root = mkdtempSync(join(tmpdir(), 'ns-behaviour-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const CONTENT = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz')

const backends: Array<[string, (o?: Record<string, unknown>) => Storage]> = [
  ['FileSystemStorage', (o = {}) => new FileSystemStorage({ location: join(root, 'loc' + n++), ...o })],
  ['InMemoryStorage', (o = {}) => new InMemoryStorage(o)],
]

for (const transport of transports) {
  for (const [label, make] of backends) {
    describe(`${transport.label} serving ${label}`, () => {
      let storage: Storage
      let server: Running
      beforeAll(async () => {
        storage = make()
        await storage.save('docs/alpha.txt', CONTENT)
        await storage.save('empty.txt', '')
        await storage.save('page.html', '<script>alert(1)</script>')
        server = await transport.start(storage)
      })
      afterAll(() => server.close())
      const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => raw(server.base, method, path, headers)

      it('answers GET with the file and its headers', async () => {
        const st = await storage.stat('docs/alpha.txt')
        const r = await get('/media/docs/alpha.txt')
        expect(r.status).toBe(200)
        expect(r.body.equals(CONTENT)).toBe(true)
        expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
        expect(r.headers['content-length']).toBe(String(CONTENT.length))
        expect(r.headers['accept-ranges']).toBe('bytes')
        expect(r.headers['etag']).toBe(st.etag)
        expect(r.headers['last-modified']).toBe(st.lastModified.toUTCString())
        expect(r.headers['x-content-type-options']).toBe('nosniff')
        expect(r.headers['cache-control']).toBe('no-cache, no-transform')
        const html = await get('/media/page.html')
        expect(html.headers['content-security-policy']).toMatch(/^sandbox/)
      })

      it('answers byte ranges with 206, unsatisfiable ones with 416, and sends the whole file for the rest', async () => {
        const size = CONTENT.length
        for (const [range, start, end] of [
          ['bytes=0-9', 0, 9],
          ['bytes=10-', 10, size - 1],
          ['bytes=-5', size - 5, size - 1],
          ['bytes=30-1000', 30, size - 1],
          ['bytes=7-7', 7, 7],
        ] as const) {
          const r = await get('/media/docs/alpha.txt', { Range: range })
          expect(r.status, range).toBe(206)
          expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`)
          expect(r.headers['content-length']).toBe(String(end - start + 1))
          expect(r.headers['cache-control']).toMatch(/no-transform/)
          expect(r.body.equals(CONTENT.subarray(start, end + 1)), range).toBe(true)
        }
        for (const range of [`bytes=${size}-`, `bytes=${size + 5}-${size + 9}`, 'bytes=-0']) {
          const r = await get('/media/docs/alpha.txt', { Range: range })
          expect(r.status, range).toBe(416)
          expect(r.headers['content-range']).toBe(`bytes */${size}`)
        }
        expect((await get('/media/empty.txt', { Range: 'bytes=0-' })).headers['content-range']).toBe('bytes */0')
        // Several ranges (documented: answered 200 with the whole file), another unit, malformed, stale If-Range.
        for (const [range, extra] of [
          ['bytes=0-1,4-5', {}],
          ['items=0-1', {}],
          ['bytes=5-2', {}],
          ['bytes=0-1', { 'If-Range': '"stale"' }],
        ] as const) {
          const r = await get('/media/docs/alpha.txt', { Range: range, ...extra })
          expect(r.status, range).toBe(200)
          expect(r.body.equals(CONTENT)).toBe(true)
        }
        const etag = (await storage.stat('docs/alpha.txt')).etag!
        expect((await get('/media/docs/alpha.txt', { Range: 'bytes=0-1', 'If-Range': etag })).status).toBe(206)
      })

      it('answers 304 to a matching If-None-Match or a recent If-Modified-Since', async () => {
        const st = await storage.stat('docs/alpha.txt')
        const url = '/media/docs/alpha.txt'
        for (const inm of [st.etag!, `W/${st.etag}`, `"nope", ${st.etag}`, '*']) {
          const r = await get(url, { 'If-None-Match': inm })
          expect(r.status, inm).toBe(304)
          expect(r.body.length).toBe(0)
          expect(r.headers['etag']).toBe(st.etag)
        }
        expect((await get(url, { 'If-None-Match': '"other"' })).status).toBe(200)
        const lm = st.lastModified.toUTCString()
        expect((await get(url, { 'If-Modified-Since': lm })).status).toBe(304)
        expect((await get(url, { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() }, 'HEAD')).status).toBe(304)
        expect((await get(url, { 'If-Modified-Since': new Date(st.lastModified.getTime() - 5000).toUTCString() })).status).toBe(200)
        expect((await get(url, { 'If-None-Match': '"other"', 'If-Modified-Since': lm })).status).toBe(200)
      })

      it('answers HEAD with the headers of GET and no body', async () => {
        const r = await get('/media/docs/alpha.txt', {}, 'HEAD')
        expect(r.status).toBe(200)
        expect(r.headers['content-length']).toBe(String(CONTENT.length))
        expect(r.headers['etag']).toBe((await storage.stat('docs/alpha.txt')).etag)
        expect(r.body.length).toBe(0)
        const ranged = await get('/media/docs/alpha.txt', { Range: 'bytes=2-3' }, 'HEAD')
        expect(ranged.status).toBe(206)
        expect(ranged.headers['content-length']).toBe('2')
      })

      it('answers 404 for missing files, directories and paths outside the prefix', async () => {
        for (const path of ['/media/nope.txt', '/media/docs', '/media/docs/', '/media/', '/elsewhere/docs/alpha.txt']) {
          const r = await get(path)
          expect(r.status, path).toBe(404)
          expect(r.body.toString()).not.toContain('0123456789')
        }
      })

      it('answers 405 to other methods and changes nothing', async () => {
        for (const method of ['POST', 'DELETE', 'PATCH']) {
          const r = await raw(server.base, method, '/media/docs/alpha.txt', { 'Content-Length': '1' }, Buffer.from('x'))
          expect(r.status, method).toBe(405)
          expect(r.headers['allow']).toBe('GET, HEAD, PUT')
        }
        expect((await storage.read('docs/alpha.txt')).equals(CONTENT)).toBe(true)
      })

      it('serves names with spaces, Unicode and percent signs through their URLs', async () => {
        for (const wanted of ['odd dir/hé llo 100%25 (1).txt', '50%2e off.txt', '日本語.txt']) {
          const name = await storage.save(wanted, `bytes of ${wanted}`)
          const r = await get(await storage.url(name))
          expect(r.status, wanted).toBe(200)
          expect(r.body.toString()).toBe(`bytes of ${wanted}`)
        }
      })

      it('answers a name too long for the file system with 404 (GET) and 400 (PUT), never 500', async () => {
        const long = `/media/${'a'.repeat(300)}.txt`
        expect((await get(long)).status).toBe(404)
        expect((await get(long, {}, 'HEAD')).status).toBe(404)
        expect([400, 403]).toContain((await raw(server.base, 'PUT', long, {}, Buffer.from('x'))).status)
      })
    })
  }

  describe(`${transport.label}: errors and CORS`, () => {
    it('answers a name the storage refuses (SuspiciousFileOperation) with 400, without saying where it points', async () => {
      const location = join(root, 'confined' + n++)
      mkdirSync(location, { recursive: true })
      writeFileSync(join(root, 'outside.txt'), 'OUTSIDE')
      symlinkSync(join(root, 'outside.txt'), join(location, 'link.txt'))
      const server = await transport.start(new FileSystemStorage({ location }))
      try {
        for (const method of ['GET', 'HEAD']) {
          const r = await raw(server.base, method, '/media/link.txt')
          expect(r.status, method).toBe(400)
          expect(r.body.toString()).not.toContain(root)
          expect(r.body.toString()).not.toContain('OUTSIDE')
        }
      } finally {
        await server.close()
      }
    })

    it('answers preflights and adds CORS headers for allowed origins only', async () => {
      const storage = new InMemoryStorage({ secret: 'cors-secret' })
      await storage.save('a.txt', 'aaa')
      const server = await transport.start(storage, { cors: { origins: ['https://app.example.com'] } })
      const plain = await transport.start(storage)
      try {
        const preflight = {
          Origin: 'https://app.example.com',
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'content-type',
        }
        const ok = await raw(server.base, 'OPTIONS', '/media/uploads/new.txt', preflight)
        expect(ok.status).toBe(204)
        expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com')
        expect(ok.headers['access-control-allow-methods']).toMatch(/PUT/)
        expect(ok.headers['access-control-allow-headers']).toMatch(/content-type/)
        expect(ok.headers['vary']).toMatch(/Origin/)
        const foreign = await raw(server.base, 'OPTIONS', '/media/a.txt', { ...preflight, Origin: 'https://evil.example' })
        expect(foreign.status).toBe(403)
        expect(foreign.headers['access-control-allow-origin']).toBeUndefined()
        const got = await raw(server.base, 'GET', '/media/a.txt', { Origin: 'https://app.example.com' })
        expect(got.headers['access-control-allow-origin']).toBe('https://app.example.com')
        expect(got.headers['access-control-expose-headers']).toMatch(/ETag/)
        expect(
          (await raw(server.base, 'GET', '/media/a.txt', { Origin: 'https://evil.example' })).headers['access-control-allow-origin'],
        ).toBeUndefined()
        // Off by default: no CORS headers, and OPTIONS is just another method.
        expect(
          (await raw(plain.base, 'GET', '/media/a.txt', { Origin: 'https://app.example.com' })).headers['access-control-allow-origin'],
        ).toBeUndefined()
        expect((await raw(plain.base, 'OPTIONS', '/media/a.txt', preflight)).status).toBe(405)
      } finally {
        await server.close()
        await plain.close()
      }
    })
  })
}
