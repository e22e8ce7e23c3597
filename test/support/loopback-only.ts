// vitest setupFile: tests never reach a network address other than loopback. A connection to any
// other host fails at once (ENETUNREACH, as with no network) and fails the test that made it,
// so a code path that would quietly contact AWS (and fall back when it cannot) is caught. A host
// name is checked again once resolved (a custom `lookup` could map `localhost` elsewhere). It
// guards the test processes' main threads: worker threads and child processes (s3rver, spawned
// CLIs) are not patched; none of them is given a non-loopback address by the tests.
import dns from 'node:dns'
import net from 'node:net'
import { afterEach } from 'vitest'

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i
const attempts: string[] = []
// Readable by the guard's own test (test/support/loopback-only.test.ts).
;(globalThis as { __loopbackAttempts?: string[] }).__loopbackAttempts = attempts
const connect = net.Socket.prototype.connect

/** The host a `socket.connect(...)` call goes to: undefined for a local socket path (IPC). */
function hostOf(args: unknown[]): string | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0]
  if (typeof first === 'object' && first !== null) {
    const o = first as { host?: string | null; path?: string | null }
    return o.path ? undefined : (o.host ?? 'localhost') // a path (net's test): a local socket
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined // a path
  return typeof args[1] === 'string' ? args[1] : 'localhost'
}

/** The error a refused connection fails with (as with no network). */
const refused = (host: string) => Object.assign(new Error(`test guard: no connection to ${host} (loopback only)`), { code: 'ENETUNREACH' })

net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const host = hostOf(args)
  if (host !== undefined && !LOOPBACK.test(host)) {
    attempts.push(host)
    process.nextTick(() => this.destroy(refused(host)))
    return this
  }
  // A name given with options (http, https, tls, undici) is resolved before the connection is
  // made: its lookup is wrapped, and an address other than loopback fails it as a lookup error.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0]
  if (host !== undefined && net.isIP(host) === 0 && typeof first === 'object' && first !== null) {
    const options = first as { lookup?: typeof dns.lookup }
    const callback = Array.isArray(args[0]) ? (args[0] as unknown[])[1] : args[1]
    const lookup = options.lookup ?? dns.lookup
    const guardedLookup = (name: string, opts: dns.LookupOptions, cb: (...a: unknown[]) => void) =>
      (lookup as (...a: unknown[]) => void)(name, opts, (error: Error | null, address: string | dns.LookupAddress[], family?: number) => {
        const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address]
        const outside = error ? undefined : addresses.find((a) => !LOOPBACK.test(a))
        if (outside === undefined) return cb(error, address, family)
        attempts.push(`${host} (${outside})`)
        cb(refused(outside))
      })
    return (connect as (...a: unknown[]) => net.Socket).apply(this, [
      { ...options, lookup: guardedLookup },
      ...(callback ? [callback] : []),
    ])
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args)
} as typeof net.Socket.prototype.connect

afterEach(() => {
  if (attempts.length === 0) return
  const hosts = [...new Set(attempts.splice(0))]
  throw new Error(`This test tried to connect to ${hosts.join(', ')}: tests reach loopback addresses only.`)
})
