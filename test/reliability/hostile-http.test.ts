// The hostile-name corpus as raw HTTP request paths (as they are, URI-encoded, component-encoded,
// double-encoded) to serveStorage over a FileSystemStorage with canaries around its location: no
// answer is a 5xx or carries a canary's bytes, unsigned PUTs store nothing, and the canary files
// are unchanged with nothing added beside them.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveStorage } from '../../src/adapters/http/index.js'
import { FileSystemStorage } from '../../src/backends/filesystem/storage.js'
import { CANARY, type CanaryRoot, canaryRoot } from './canaries.js'
import { STRESS, report } from './helpers.js'
import { hostileNames, rawPaths } from './hostile-names.js'

const names = hostileNames()
const PATHS = [...new Set(names.flatMap((n) => rawPaths('/media/', n)))]
/** CI: every fourth path (evenly spread); stress: all of them. */
const SENT = ['/media/a.txt', '/media/seed.txt', ...(STRESS ? PATHS : PATHS.filter((_, i) => i % 4 === 0))]

let tree: CanaryRoot
let before: Map<string, string>
let server: http.Server
let port = 0
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 })

beforeAll(async () => {
  tree = await canaryRoot()
  before = await tree.snapshot()
  const storage = new FileSystemStorage({ location: tree.location, baseUrl: '/media/' })
  await storage.save('a.txt', 'inside')
  server = http.createServer(serveStorage(storage, { prefix: '/media/' }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  agent.destroy()
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  await tree.remove()
})

/** Sends one request with the path exactly as given; resolves to status and body (or the client-side error). */
function send(method: string, path: string, body?: string): Promise<{ status: number; body: Buffer } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method,
      path,
      agent,
      headers: body ? { 'content-length': Buffer.byteLength(body) } : {},
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
      res.on('error', (e) => resolve({ error: e.message }))
    })
    req.on('error', (e) => resolve({ error: e.message })) // Node refuses some paths itself (e.g. with controls)
    req.end(body)
  })
}

describe(`raw HTTP paths of ${names.length} hostile names to serveStorage`, () => {
  it(`never answer 5xx, never serve a canary, never write outside (${SENT.length} paths × GET, HEAD, PUT)`, async () => {
    const bad: string[] = []
    const statuses = new Map<number, number>()
    let requests = 0
    const one = async (path: string) => {
      for (const method of ['GET', 'HEAD', 'PUT']) {
        const answer = await send(method, path, method === 'PUT' ? `put ${path}` : undefined)
        requests++
        if ('error' in answer) continue
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
        if (answer.status >= 500 || answer.body.includes(CANARY))
          bad.push(`${method} ${JSON.stringify(path)} → ${answer.status} ${answer.body.subarray(0, 120)}`)
        if (method === 'PUT' && answer.status < 300) bad.push(`unsigned PUT ${JSON.stringify(path)} accepted (${answer.status})`)
      }
    }
    for (let i = 0; i < SENT.length; i += 8) await Promise.all(SENT.slice(i, i + 8).map(one))
    expect(bad.slice(0, 20), bad.slice(0, 20).join('\n')).toEqual([])
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0) // not vacuous: the files inside are served
    expect(await tree.snapshot()).toEqual(before)
    expect((await send('GET', '/media/a.txt')) as { body: Buffer }).toMatchObject({ status: 200, body: Buffer.from('inside') })
    report('hostile-http', { names: names.length, paths: SENT.length, requests })
  })
})
