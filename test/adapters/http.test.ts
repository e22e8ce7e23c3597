// serveStorage over real HTTP on 127.0.0.1: ranges, validators, HEAD, misses, signed GET and PUT,
// and hostile paths that must never reach a file placed outside the storage's location.
import { createServer, request as httpRequest } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { serveStorage } from '../../src/adapters/http/index.js'
import { FileSystemStorage, InMemoryStorage, type Storage } from '../../src/index.js'
import { allNames, listen } from './helpers.js'

/** Runs `sign` as if it were a minute ago, so that what it signs has expired by now. */
async function signedInThePast<T>(sign: () => Promise<T>): Promise<T> {
  const spy = vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 60_000)
  try {
    return await sign()
  } finally {
    spy.mockRestore()
  }
}

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** A request with the path sent exactly as given (fetch would normalise `..` away). */
function raw(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | Buffer[]): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(base)
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    if (Array.isArray(body)) {
      for (const b of body) req.write(b)
      req.end()
    } else req.end(body)
  })
}

const SECRET = 'SECRET-OUTSIDE-LOCATION-' + Math.random().toString(36).slice(2)
const root = mkdtempSync(join(tmpdir(), 'ns-http-'))
const secretPath = join(root, 'secret.txt')
writeFileSync(secretPath, SECRET)
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const CONTENT = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz')

const backends: Array<[string, (o?: Record<string, unknown>) => Storage]> = [
  ['FileSystemStorage', (o = {}) => new FileSystemStorage({ location: join(root, 'loc' + n++), ...o })],
  ['InMemoryStorage', (o = {}) => new InMemoryStorage(o)],
]

for (const [label, make] of backends) {
  describe(`serveStorage with ${label}`, () => {
    let storage: Storage
    let app: { base: string; close: () => Promise<void> }
    let plain: { base: string; close: () => Promise<void> }
    beforeAll(async () => {
      storage = make()
      await storage.save('docs/alpha.txt', CONTENT)
      await storage.save('empty.txt', '')
      const e = express()
      e.use('/media', serveStorage(storage))
      e.use((_req, res) => void res.status(404).send('fallback'))
      app = await listen(e.listen(0, '127.0.0.1'))
      plain = await listen(createServer(serveStorage(storage, { prefix: '/media/' })))
    })
    afterAll(async () => {
      await app.close()
      await plain.close()
    })

    it('answers GET with the file and its headers', async () => {
      const st = await storage.stat('docs/alpha.txt')
      for (const base of [app.base, plain.base]) {
        const r = await raw(base, 'GET', '/media/docs/alpha.txt')
        expect(r.status).toBe(200)
        expect(r.body.equals(CONTENT)).toBe(true)
        expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
        expect(r.headers['content-length']).toBe(String(CONTENT.length))
        expect(r.headers['accept-ranges']).toBe('bytes')
        expect(r.headers['etag']).toBe(st.etag)
        expect(r.headers['last-modified']).toBe(st.lastModified.toUTCString())
        expect(r.headers['x-content-type-options']).toBe('nosniff')
      }
    })

    it('answers byte ranges with 206, and unsatisfiable ones with 416', async () => {
      const size = CONTENT.length
      const cases: Array<[string, number, number]> = [
        ['bytes=0-9', 0, 9],
        ['bytes=10-', 10, size - 1],
        ['bytes=-5', size - 5, size - 1],
        ['bytes=30-1000', 30, size - 1],
        ['bytes=7-7', 7, 7],
      ]
      for (const [range, start, end] of cases) {
        const r = await raw(app.base, 'GET', '/media/docs/alpha.txt', { Range: range })
        expect(r.status, range).toBe(206)
        expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`)
        expect(r.headers['content-length']).toBe(String(end - start + 1))
        expect(r.body.equals(CONTENT.subarray(start, end + 1)), range).toBe(true)
      }
      for (const range of [`bytes=${size}-`, `bytes=${size + 5}-${size + 9}`, 'bytes=-0']) {
        const r = await raw(app.base, 'GET', '/media/docs/alpha.txt', { Range: range })
        expect(r.status, range).toBe(416)
        expect(r.headers['content-range']).toBe(`bytes */${size}`)
      }
      expect((await raw(app.base, 'GET', '/media/empty.txt', { Range: 'bytes=0-' })).headers['content-range']).toBe('bytes */0')
      // Ignored: another unit, malformed, several ranges, or an If-Range that no longer matches.
      for (const [range, extra] of [
        ['items=0-1', {}],
        ['bytes=5-2', {}],
        ['bytes=0-1,4-5', {}],
        ['bytes=0-1', { 'If-Range': '"stale"' }],
      ] as const) {
        const r = await raw(app.base, 'GET', '/media/docs/alpha.txt', { Range: range, ...extra })
        expect(r.status, range).toBe(200)
        expect(r.body.equals(CONTENT)).toBe(true)
      }
      const etag = (await storage.stat('docs/alpha.txt')).etag!
      const r = await raw(app.base, 'GET', '/media/docs/alpha.txt', { Range: 'bytes=0-1', 'If-Range': etag })
      expect(r.status).toBe(206)
    })

    it('answers 304 to a matching If-None-Match or a recent If-Modified-Since', async () => {
      const st = await storage.stat('docs/alpha.txt')
      const url = '/media/docs/alpha.txt'
      for (const inm of [st.etag!, `W/${st.etag}`, `"nope", ${st.etag}`, '*']) {
        const r = await raw(app.base, 'GET', url, { 'If-None-Match': inm })
        expect(r.status, inm).toBe(304)
        expect(r.body.length).toBe(0)
        expect(r.headers['etag']).toBe(st.etag)
      }
      expect((await raw(app.base, 'GET', url, { 'If-None-Match': '"other"' })).status).toBe(200)
      const lm = st.lastModified.toUTCString()
      expect((await raw(app.base, 'GET', url, { 'If-Modified-Since': lm })).status).toBe(304)
      expect((await raw(app.base, 'HEAD', url, { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() })).status).toBe(304)
      expect(
        (await raw(app.base, 'GET', url, { 'If-Modified-Since': new Date(st.lastModified.getTime() - 5000).toUTCString() })).status,
      ).toBe(200)
      // If-None-Match wins over If-Modified-Since.
      expect((await raw(app.base, 'GET', url, { 'If-None-Match': '"other"', 'If-Modified-Since': lm })).status).toBe(200)
    })

    it('answers HEAD with the headers of GET and no body', async () => {
      const r = await raw(app.base, 'HEAD', '/media/docs/alpha.txt')
      expect(r.status).toBe(200)
      expect(r.headers['content-length']).toBe(String(CONTENT.length))
      expect(r.body.length).toBe(0)
      const ranged = await raw(app.base, 'HEAD', '/media/docs/alpha.txt', { Range: 'bytes=2-3' })
      expect(ranged.status).toBe(206)
      expect(ranged.headers['content-length']).toBe('2')
    })

    it('calls next() on a miss in Express, and answers 404 without one', async () => {
      for (const path of ['/media/nope.txt', '/media/docs', '/media/docs/', '/media/', '/media']) {
        const viaExpress = await raw(app.base, 'GET', path)
        expect(viaExpress.status, path).toBe(404)
        expect(viaExpress.body.toString(), path).toBe('fallback')
        const viaHttp = await raw(plain.base, 'GET', path)
        expect(viaHttp.status, path).toBe(404)
        expect(viaHttp.body.toString()).toMatch(/^Not Found/)
      }
      expect((await raw(plain.base, 'GET', '/elsewhere/docs/alpha.txt')).status).toBe(404)
    })

    it('answers 405 to other methods', async () => {
      for (const method of ['POST', 'DELETE', 'PATCH']) {
        const r = await raw(app.base, method, '/media/docs/alpha.txt')
        expect(r.status, method).toBe(405)
        expect(r.headers['allow']).toBe('GET, HEAD, PUT')
      }
      expect(await storage.exists('docs/alpha.txt')).toBe(true)
    })

    it('serves names with spaces, Unicode and percent signs through their URLs', async () => {
      const name = await storage.save('odd dir/hé llo 100%25 (1).txt', 'odd')
      const url = await storage.url(name)
      const r = await raw(app.base, 'GET', url)
      expect(r.status).toBe(200)
      expect(r.body.toString()).toBe('odd')
    })
  })

  describe(`serveStorage signed URLs with ${label}`, () => {
    let storage: Storage
    let server: { base: string; close: () => Promise<void> }
    beforeAll(async () => {
      storage = make({ querystringAuth: true, secret: 'test-secret-' + label })
      await storage.save('private/report.txt', 'private bytes')
      await storage.save('private/other.txt', 'other bytes')
      const e = express()
      e.use('/media', serveStorage(storage))
      server = await listen(e.listen(0, '127.0.0.1'))
    })
    afterAll(() => server.close())

    it('serves a signed GET URL and refuses missing, bad, foreign and expired signatures', async () => {
      const url = await storage.url('private/report.txt')
      expect(url).toMatch(/^\/media\/private\/report\.txt\?expires=\d+&signature=/)
      const ok = await raw(server.base, 'GET', url)
      expect(ok.status).toBe(200)
      expect(ok.body.toString()).toBe('private bytes')
      expect((await raw(server.base, 'HEAD', url)).status).toBe(200)

      const unsigned = await raw(server.base, 'GET', '/media/private/report.txt')
      expect(unsigned.status).toBe(403)
      const sig = new URL(url, 'http://x').searchParams.get('signature')!
      const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA')
      expect((await raw(server.base, 'GET', url.replace(sig, flipped))).status).toBe(403)
      const exp = new URL(url, 'http://x').searchParams.get('expires')!
      expect((await raw(server.base, 'GET', url.replace(`expires=${exp}`, `expires=${Number(exp) + 1000}`))).status).toBe(403)
      // The signature of one file does not open another.
      expect((await raw(server.base, 'GET', url.replace('report.txt', 'other.txt'))).status).toBe(403)
      // Signed, but expired.
      const expired = await signedInThePast(() => storage.url('private/report.txt', { expire: 10 }))
      const r = await raw(server.base, 'GET', expired)
      expect(r.status).toBe(403)
      expect(r.body.toString()).toMatch(/expired/)
      expect(r.body.toString()).not.toContain('private bytes')
      // A signed URL for a missing file is a miss (404 after next()).
      expect((await raw(server.base, 'GET', await storage.url('private/none.txt'))).status).toBe(404)
    })

    it('stores a signed PUT upload under the name it grants', async () => {
      const up = await storage.signedUploadUrl('uploads/photo.txt', { contentType: 'text/plain', maxSize: 1000 })
      expect(up.method).toBe('PUT')
      const body = Buffer.from('direct upload body')
      const r = await raw(server.base, 'PUT', up.url, up.headers, body)
      expect(r.status, r.body.toString()).toBe(201)
      expect(JSON.parse(r.body.toString())).toEqual({ name: up.name, size: body.length })
      expect((await storage.read(up.name)).equals(body)).toBe(true)
      // The URL cannot be used again: the first upload keeps the name.
      const again = await raw(server.base, 'PUT', up.url, up.headers, Buffer.from('replaced?'))
      expect(again.status).toBe(409)
      expect((await storage.read(up.name)).equals(body)).toBe(true)
      expect((await allNames(storage)).filter((x) => x.startsWith('uploads/'))).toEqual([up.name])
    })

    it('refuses uploads over maxSize (413), of another type (415) or badly signed (403), storing nothing', async () => {
      const up = await storage.signedUploadUrl('uploads/limited.bin', { contentType: 'application/octet-stream', maxSize: 1000 })
      const h = up.headers
      const declared = await raw(server.base, 'PUT', up.url, h, Buffer.alloc(5000, 1))
      expect(declared.status).toBe(413)
      // Chunked: no Content-Length, so the limit is enforced while streaming.
      const chunks = Array.from({ length: 8 }, () => Buffer.alloc(400, 2))
      const streamed = await raw(server.base, 'PUT', up.url, { ...h, 'Transfer-Encoding': 'chunked' }, chunks)
      expect(streamed.status).toBe(413)
      const wrongType = await raw(server.base, 'PUT', up.url, { 'Content-Type': 'text/html' }, Buffer.from('<script>'))
      expect(wrongType.status).toBe(415)
      const noType = await raw(server.base, 'PUT', up.url, {}, Buffer.from('x'))
      expect(noType.status).toBe(415)
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
  })
}

describe('serveStorage never serves a byte from outside location', () => {
  const location = join(root, 'confined')
  mkdirSync(join(location, 'sub'), { recursive: true })
  writeFileSync(join(location, 'inside.txt'), 'inside')
  symlinkSync(secretPath, join(location, 'link.txt'))
  symlinkSync(root, join(location, 'linkdir'))
  const storage = new FileSystemStorage({ location })
  let app: { base: string; close: () => Promise<void> }
  let plain: { base: string; close: () => Promise<void> }
  beforeAll(async () => {
    const e = express()
    e.use('/media', serveStorage(storage))
    e.use((_req, res) => void res.status(404).send('fallback'))
    app = await listen(e.listen(0, '127.0.0.1'))
    plain = await listen(createServer(serveStorage(storage, { prefix: '/media' })))
  })
  afterAll(async () => {
    await app.close()
    await plain.close()
  })

  const hostile = [
    '/media/../secret.txt',
    '/media/sub/../../secret.txt',
    '/media/%2e%2e/secret.txt',
    '/media/%2E%2E%2Fsecret.txt',
    '/media/..%2fsecret.txt',
    '/media/.%2e/secret.txt',
    '/media/sub/%2e%2e/%2e%2e/secret.txt',
    '/media/%252e%252e/secret.txt',
    '/media/%252e%252e%252fsecret.txt',
    '/media/..%255csecret.txt',
    '/media/..\\secret.txt',
    '/media/..%5csecret.txt',
    '/media/%5c..%5csecret.txt',
    '/media/sub%5c..%5c..%5csecret.txt',
    '/media/%00../secret.txt',
    '/media/inside.txt%00.png',
    '/media/..%00/secret.txt',
    '/media//' + secretPath.slice(1),
    '/media/' + encodeURIComponent(secretPath),
    '/media/%2f' + secretPath.slice(1),
    '/media/C:%5cWindows%5cwin.ini',
    '/media/%c0%ae%c0%ae/secret.txt',
    '/media/%uff0e%uff0e/secret.txt',
    '/media/..;/secret.txt',
    '/media/link.txt',
    '/media/linkdir/secret.txt',
    '/media/%6c%69%6e%6b.txt',
  ]

  it(`refuses ${hostile.length} hostile paths with 400 or 404 and never leaks`, async () => {
    expect(hostile.length).toBeGreaterThanOrEqual(15)
    // Control: the file inside is served, the secret exists where the paths point.
    expect((await raw(app.base, 'GET', '/media/inside.txt')).body.toString()).toBe('inside')
    for (const path of hostile) {
      for (const [base, method] of [
        [app.base, 'GET'],
        [plain.base, 'GET'],
        [app.base, 'HEAD'],
        [plain.base, 'PUT'],
      ] as const) {
        const r = await raw(base, method, path, { Range: 'bytes=0-' }, method === 'PUT' ? Buffer.from('overwrite') : undefined)
        expect([400, 403, 404], `${method} ${path} on ${base === app.base ? 'express' : 'http'}`).toContain(r.status)
        expect(r.body.toString()).not.toContain('SECRET-OUTSIDE')
        expect(r.body.toString()).not.toContain(root)
      }
    }
    const { readFileSync } = await import('node:fs')
    expect(readFileSync(secretPath, 'utf8')).toBe(SECRET)
  })
})
