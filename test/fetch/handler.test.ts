// storageHandler and errorResponse (node-storages/fetch), called with Request objects as a
// framework would: prefixes, methods, a PUT body cut short by a proxy, S3's redirect, and errors
// turned into the response their status calls for.
import { describe, expect, it } from 'vitest'
import { errorResponse, storageHandler } from '../../src/adapters/fetch/index.js'
import {
  AccessDeniedError,
  FileNotFoundError,
  InMemoryStorage,
  PayloadTooLargeError,
  S3Storage,
  SuspiciousFileOperation,
  TimeoutError,
} from '../../src/index.js'

const at = (path: string, init?: RequestInit) => new Request(`http://127.0.0.1${path}`, init)

describe('storageHandler', () => {
  it('serves under /media by default, or under the prefix given (a basePath included)', async () => {
    const storage = new InMemoryStorage()
    await storage.save('a.txt', 'aaa')
    const byDefault = storageHandler(storage)
    expect(await (await byDefault(at('/media/a.txt'))).text()).toBe('aaa')
    expect((await byDefault(at('/files/a.txt'))).status).toBe(404)
    const nested = storageHandler(storage, { prefix: '/app/files/' })
    expect(await (await nested(at('/app/files/a.txt'))).text()).toBe('aaa')
    expect((await nested(at('/media/a.txt'))).status).toBe(404)
    expect((await nested(at('/app/a.txt'))).status).toBe(404)
  })

  it('answers 405 with Allow for other methods, and sends no body for HEAD', async () => {
    const storage = new InMemoryStorage()
    await storage.save('a.txt', 'aaa')
    const handler = storageHandler(storage)
    for (const method of ['POST', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await handler(at('/media/a.txt', { method }))
      expect(r.status, method).toBe(405)
      expect(r.headers.get('allow')).toBe('GET, HEAD, PUT')
    }
    const head = await handler(at('/media/a.txt', { method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('3')
    expect(head.body).toBeNull()
  })

  it('stores nothing when a PUT body ends before its Content-Length (a proxy cut it), and answers 400', async () => {
    const storage = new InMemoryStorage({ secret: 'put-secret' })
    const handler = storageHandler(storage)
    const up = await storage.signedUploadUrl('cut.bin')
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(1000))
        controller.close() // a clean end, 1,000 bytes short
      },
    })
    const init = { method: 'PUT', body, headers: { 'content-length': '2000' }, duplex: 'half' } as RequestInit
    const r = await handler(at(up.url, init))
    expect(r.status).toBe(400)
    expect(await r.text()).toMatch(/ended after 1000 of its 2000 bytes/)
    expect(await storage.exists('cut.bin')).toBe(false)
    // The same upload, whole, is stored.
    const whole = await handler(at(up.url, { method: 'PUT', body: new Uint8Array(2000) }))
    expect(whole.status).toBe(201)
    expect(await storage.size('cut.bin')).toBe(2000)
  })

  it('redirects GET and HEAD to url() for a storage that serves itself (S3), and refuses PUT', async () => {
    const storage = new S3Storage({
      bucketName: 'bucket',
      endpointUrl: 'http://127.0.0.1:9',
      accessKey: 'AKIDEXAMPLE',
      secretKey: 'secret',
      querystringAuth: false,
    })
    const handler = storageHandler(storage)
    for (const method of ['GET', 'HEAD']) {
      const r = await handler(at('/media/docs/a%20b.txt', { method }))
      expect(r.status, method).toBe(302)
      expect(r.headers.get('location')).toBe(await storage.url('docs/a b.txt'))
      expect(r.headers.get('cache-control')).toBe('no-store')
    }
    expect((await handler(at('/media/x.txt', { method: 'PUT', body: 'x' }))).status).toBe(403)
    expect((await handler(at('/media/../etc/passwd'))).status).toBe(404) // the URL parser removes `..`: outside the prefix
    expect((await handler(at('/media/a%00b'))).status).toBe(400)
  })

  it('answers a storage failure with its status, and hides the message of server-side ones', async () => {
    const storage = new InMemoryStorage()
    storage.openVersion = async () => {
      throw new AccessDeniedError("Access denied to 'a.txt' (stat): check the bucket policy of secret-bucket.")
    }
    const r = await storageHandler(storage)(at('/media/a.txt'))
    expect(r.status).toBe(500)
    expect(await r.text()).not.toContain('secret-bucket')
  })
})

describe('errorResponse', () => {
  it('answers each error with its status, and its message only when it is safe to show', async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [new SuspiciousFileOperation("Attempted access to '../x' denied."), 400, /denied/],
      [new FileNotFoundError("File does not exist: 'x'."), 404, /does not exist/],
      [new PayloadTooLargeError('Too many files: at most 2 are accepted.'), 413, /Too many files/],
      [new AccessDeniedError('Access denied: key AKIA-SECRET'), 500, /^Internal server error/],
      [new TimeoutError('S3 did not answer within 60000 ms at https://internal.example'), 504, /did not answer in time/],
      [new Error('database password is hunter2'), 500, /^Internal server error/],
      [Object.assign(new Error('ENAMETOOLONG: name too long, open /srv/media/aaaa'), { code: 'ENAMETOOLONG' }), 400, /too long/],
    ]
    for (const [error, status, message] of cases) {
      const r = errorResponse(error)
      expect(r.status, String(error)).toBe(status)
      const text = await r.text()
      expect(text).toMatch(message)
      expect(text).not.toMatch(/AKIA|hunter2|internal\.example|\/srv/)
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    }
  })
})
