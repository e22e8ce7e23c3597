// serveStorage in Express, where it has a next(): misses go on to the next handler, server-side
// failures to the app's error handler, and everything the client caused is answered directly.
// (The HTTP behaviour itself is tested through every transport in behaviour-*.test.ts.)
import express, { type ErrorRequestHandler } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStorage } from '../../src/adapters/http/index.js'
import { AccessDeniedError, InMemoryStorage } from '../../src/index.js'
import { listen } from './helpers.js'
import { raw } from './transports.js'

describe('serveStorage in Express', () => {
  const storage = new InMemoryStorage({ secret: 'express-secret' })
  const errors: unknown[] = []
  let app: { base: string; close: () => Promise<void> }
  beforeAll(async () => {
    await storage.save('docs/alpha.txt', 'alpha')
    const e = express()
    e.use('/media', serveStorage(storage))
    e.use((_req, res) => void res.status(404).send('fallback'))
    const onError: ErrorRequestHandler = (error, _req, res, _next) => {
      errors.push(error)
      res.status(599).send('app error handler')
    }
    e.use(onError)
    app = await listen(e.listen(0, '127.0.0.1'))
  })
  afterAll(() => app.close())

  it('serves under the mount path, which Express strips', async () => {
    const r = await raw(app.base, 'GET', '/media/docs/alpha.txt')
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('alpha')
  })

  it('calls next() on a miss: missing files, directories, the mount path itself', async () => {
    for (const path of ['/media/nope.txt', '/media/docs', '/media/docs/', '/media/', '/media']) {
      const r = await raw(app.base, 'GET', path)
      expect(r.status, path).toBe(404)
      expect(r.body.toString(), path).toBe('fallback')
    }
  })

  it('answers what the client caused itself, never through next()', async () => {
    expect((await raw(app.base, 'GET', '/media/../x')).status).toBe(400)
    expect((await raw(app.base, 'GET', '/media/a%00b')).status).toBe(400)
    expect((await raw(app.base, 'DELETE', '/media/docs/alpha.txt')).status).toBe(405)
    expect((await raw(app.base, 'PUT', '/media/new.txt', { 'Content-Length': '1' }, Buffer.from('x'))).status).toBe(403)
    expect(errors).toEqual([])
  })

  it("passes server-side failures to the app's error handler", async () => {
    const failing = new InMemoryStorage()
    failing.openVersion = async () => {
      throw new AccessDeniedError('denied by the bucket policy')
    }
    const e = express()
    const seen: unknown[] = []
    e.use('/media', serveStorage(failing))
    e.use(((error, _req, res, _next) => {
      seen.push(error)
      res.status(599).send('handled')
    }) as ErrorRequestHandler)
    const server = await listen(e.listen(0, '127.0.0.1'))
    try {
      const r = await raw(server.base, 'GET', '/media/a.txt')
      expect(r.status).toBe(599)
      expect(seen).toHaveLength(1)
      expect((seen[0] as { status?: number }).status).toBe(500)
    } finally {
      await server.close()
    }
  })

  it('answers 500 without details when there is no next()', async () => {
    const failing = new InMemoryStorage()
    failing.openVersion = async () => {
      throw new AccessDeniedError('denied by the policy of secret-bucket')
    }
    const { createServer } = await import('node:http')
    const server = await listen(createServer(serveStorage(failing, { prefix: '/media' })))
    try {
      const r = await raw(server.base, 'GET', '/media/a.txt')
      expect(r.status).toBe(500)
      expect(r.body.toString()).not.toContain('secret-bucket')
    } finally {
      await server.close()
    }
  })
})
