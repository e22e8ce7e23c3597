// Names that hold percent signs are ordinary file names: serveStorage decodes a path once, so
// the URL url() makes for such a file serves it, and nothing is decoded twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serveStorage } from '../../src/adapters/http/index.js'
import { InMemoryStorage } from '../../src/index.js'

const storage = new InMemoryStorage({ baseUrl: '/media/' })
let server: Server
let base: string
beforeAll(async () => {
  server = createServer(serveStorage(storage, { prefix: '/media/' }))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('serveStorage and names with percent signs', () => {
  it('serves files whose names hold %2e, %2f, %5c or %00 literally, at the URL url() gives', async () => {
    for (const name of ['50%2e off.txt', 'a%2fb.txt', 'back%5cslash.txt', 'scan%00.pdf', '100%.txt']) {
      await storage.save(name, `bytes of ${name}`)
      const res = await fetch(base + (await storage.url(name)))
      expect(res.status, name).toBe(200)
      expect(await res.text()).toBe(`bytes of ${name}`)
    }
  })

  it('a double-encoded dot segment is a literal name, never a step up', async () => {
    await storage.save('top.txt', 'top')
    const res = await fetch(`${base}/media/sub/%252e%252e/top.txt`)
    expect(res.status).toBe(404)
    expect(await res.text()).not.toContain('top')
  })
})
