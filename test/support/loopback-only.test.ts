// The loopback guard (test/support/loopback-only.ts) itself: a connection to another address fails
// at once, also when a name resolves there, and the test that made it is failed by the guard's
// afterEach (checked here by emptying what it recorded, so this file passes).
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { networkInterfaces } from 'node:os'
import { afterAll, beforeAll, expect, it } from 'vitest'

// This machine's own non-internal address: nothing leaves the machine if the guard lets it through.
const OTHER = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address
let port = 0
let reached = 0
const server = net.createServer((socket) => {
  reached++
  socket.destroy()
})
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

/** The error a request ends with, or 'connected'. */
function outcome(req: http.ClientRequest): Promise<string> {
  return new Promise((resolve) => {
    req.on('error', (error: NodeJS.ErrnoException) => resolve(String(error.code)))
    req.on('response', (res) => {
      res.resume()
      resolve('connected')
    })
  })
}

it('refuses a connection to a loopback name that resolves elsewhere, and lets 127.0.0.1 through', async () => {
  const local = http.get({ host: '127.0.0.1', port, path: '/' })
  expect(await outcome(local)).not.toBe('ENETUNREACH') // reached (the server hangs up)
  expect(reached).toBe(1)
  if (!OTHER) return // no other interface here
  const lookup = (_host: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) =>
    options?.all ? cb(null, [{ address: OTHER, family: 4 }]) : cb(null, OTHER, 4)
  const req = http.get({ host: 'localhost', port, path: '/', lookup } as http.RequestOptions)
  expect(await outcome(req)).toBe('ENETUNREACH')
  const direct = http.get({ host: OTHER, port, path: '/' })
  expect(await outcome(direct)).toBe('ENETUNREACH')
  expect(reached).toBe(1)
  // What the guard recorded would fail this test in its afterEach: empty it, having checked it.
  const recorded = (globalThis as { __loopbackAttempts?: string[] }).__loopbackAttempts
  expect(recorded).toEqual([`localhost (${OTHER})`, OTHER])
  recorded!.splice(0)
})
