// vitest setupFile: tests never reach a network address other than loopback. A connection to any
// other host fails at once (ENETUNREACH, as with no network) and fails the test that made it,
// so a code path that would quietly contact AWS (and fall back when it cannot) is caught.
import net from 'node:net'
import { afterEach } from 'vitest'

const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i
const attempts: string[] = []
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

net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const host = hostOf(args)
  if (host !== undefined && !LOOPBACK.test(host)) {
    attempts.push(host)
    const error = Object.assign(new Error(`test guard: no connection to ${host} (loopback only)`), { code: 'ENETUNREACH' })
    process.nextTick(() => this.destroy(error))
    return this
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args)
} as typeof net.Socket.prototype.connect

afterEach(() => {
  if (attempts.length === 0) return
  const hosts = [...new Set(attempts.splice(0))]
  throw new Error(`This test tried to connect to ${hosts.join(', ')}: tests reach loopback addresses only.`)
})
