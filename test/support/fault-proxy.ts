// A fault-injecting HTTP proxy for the reliability tests: it sits between an S3 client and the
// S3 server of the tests (the SigV4-verifying proxy in front of s3rver, see s3-global-setup.ts),
// classifies every request by S3 operation, and on rules set by the test answers 500/503 for the
// first K requests of a kind, resets the connection after N bytes of the request body, forwards
// a request and drops its answer, truncates an answer's body, or hangs. It also enforces
// `If-None-Match: *` on PutObject, CopyObject and CompleteMultipartUpload (s3rver ignores it), one
// key at a time, so conditional writes behave as on S3. It counts what it saw and did.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { forwardHeaders } from './sigv4-proxy.js'

/** The S3 operations the proxy tells apart (path-style requests). */
export type S3Op =
  | 'PutObject'
  | 'CopyObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'GetObject'
  | 'HeadObject'
  | 'ListObjects'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'Other'

/** One fault. */
export type Fault =
  /** Answers this status with an S3 error document (`code`: default `InternalError`/`SlowDown`). */
  | { kind: 'status'; status: number; code?: string }
  /** Reads `afterBytes` bytes of the request body (0: none), then resets the connection; nothing is forwarded. */
  | { kind: 'reset'; afterBytes: number }
  /** Forwards the request whole, lets the server act on it, then resets the connection instead of answering. */
  | { kind: 'drop-response' }
  /** Relays the answer's headers and the first `afterBytes` bytes of its body, then resets the connection. */
  | { kind: 'truncate'; afterBytes: number }
  /** Never answers (`afterBytes` set: relays that many bytes of the body, then stalls) until the proxy stops. */
  | { kind: 'hang'; afterBytes?: number }

/** A request as the rules see it. */
export interface ProxiedRequest {
  op: S3Op
  method: string
  /** The path as received (percent-encoded), without the query. */
  path: string
  /** The raw query string. */
  query: string
  headers: http.IncomingHttpHeaders
}

/** Which requests get which fault. */
export interface FaultRule {
  /** The operations (or a test of the request) the rule applies to. */
  match: S3Op | S3Op[] | ((req: ProxiedRequest) => boolean)
  fault: Fault
  /** Matching requests let through before the rule applies (default 0). */
  skip?: number
  /** How many matching requests get the fault (default: all of them). */
  times?: number
}

/** What the proxy counted. */
export interface FaultStats {
  requests: number
  /** Faults injected, by kind. */
  faults: Record<Fault['kind'], number>
  /** 412s answered by the proxy's own If-None-Match check. */
  preconditionFailed: number
  /** Requests whose client closed the connection before the proxy answered (an abort, a timeout). */
  abandoned: number
  /** Request body bytes received, response body bytes sent. */
  bytesIn: number
  bytesOut: number
  /** Requests by operation. */
  byOp: Partial<Record<S3Op, number>>
}

export interface FaultProxy {
  endpoint: string
  port: number
  readonly stats: FaultStats
  /** Replaces the rules (the counts of the old ones are forgotten). */
  setRules(rules: FaultRule[]): void
  /** Every request seen, oldest first (op, method, path, query, headers; cleared by `reset()`). */
  readonly seen: ProxiedRequest[]
  /** Rules and `seen` cleared; stats kept. */
  reset(): void
  stop(): Promise<void>
}

export interface FaultProxyOptions {
  /** Where requests go (the verifying proxy in front of s3rver). */
  target: string
  /** s3rver itself, asked (unsigned HEAD) whether a key exists for the If-None-Match check; undefined: no check. */
  origin?: string
  rules?: FaultRule[]
}

/** The S3 operation of a path-style request. */
export function classify(method: string, path: string, query: string, headers: http.IncomingHttpHeaders): S3Op {
  const params = new URLSearchParams(query)
  const [, bucket = '', ...rest] = path.split('/')
  const key = rest.join('/')
  if (!bucket) return 'Other'
  if (!key) {
    if (method === 'GET' && params.has('uploads')) return 'ListMultipartUploads'
    if (method === 'GET' && !params.has('location') && !params.has('cors')) return 'ListObjects'
    if (method === 'POST' && params.has('delete')) return 'DeleteObjects'
    return 'Other'
  }
  if (params.has('uploads') && method === 'POST') return 'CreateMultipartUpload'
  if (params.has('uploadId')) {
    if (method === 'PUT') return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart'
    if (method === 'POST') return 'CompleteMultipartUpload'
    if (method === 'DELETE') return 'AbortMultipartUpload'
    return 'Other'
  }
  if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject'
  if (method === 'GET') return 'GetObject'
  if (method === 'HEAD') return 'HeadObject'
  if (method === 'DELETE') return 'DeleteObject'
  return 'Other'
}

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  const body = errorXml(code, message)
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

const emptyStats = (): FaultStats => ({
  requests: 0,
  faults: { status: 0, reset: 0, 'drop-response': 0, truncate: 0, hang: 0 },
  preconditionFailed: 0,
  abandoned: 0,
  bytesIn: 0,
  bytesOut: 0,
  byOp: {},
})

/** Starts the proxy on 127.0.0.1 (a random port). */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target)
  const origin = options.origin ? new URL(options.origin) : undefined
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128, timeout: 3_000 })
  const stats = emptyStats()
  const seen: ProxiedRequest[] = []
  let rules: { rule: FaultRule; matched: number }[] = []
  const sockets = new Set<Socket>()
  /** Per-key queues of the conditional writes being checked and forwarded. */
  const locks = new Map<string, Promise<void>>()

  const setRules = (next: FaultRule[]) => void (rules = next.map((rule) => ({ rule, matched: 0 })))
  setRules(options.rules ?? [])

  /** The fault for a request, counting it against its rule. */
  const faultFor = (req: ProxiedRequest): Fault | undefined => {
    for (const entry of rules) {
      const { match, skip = 0, times = Infinity } = entry.rule
      const hit = typeof match === 'function' ? match(req) : Array.isArray(match) ? match.includes(req.op) : match === req.op
      if (!hit) continue
      const n = entry.matched++
      if (n >= skip && n < skip + times) return entry.rule.fault
    }
    return undefined
  }

  /** Whether the key exists on the origin (unsigned HEAD straight to s3rver). */
  const exists = (path: string) =>
    new Promise<boolean>((resolve, reject) => {
      http
        .request({ agent, hostname: origin!.hostname, port: origin!.port, method: 'HEAD', path }, (up) => {
          up.resume()
          resolve(up.statusCode === 200)
        })
        .on('error', reject)
        .end()
    })

  /** Runs `fn` once the previous conditional write of `key` is done. */
  const withLock = async (key: string, fn: (release: () => void) => Promise<void>) => {
    const previous = locks.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((r) => (release = r))
    const chained = previous.then(() => mine)
    locks.set(key, chained)
    await previous
    let released = false
    const once = () => {
      if (released) return
      released = true
      release()
      if (locks.get(key) === chained) locks.delete(key)
    }
    try {
      await fn(once)
    } catch (error) {
      once()
      throw error
    }
  }

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const info: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: { ...req.headers },
      op: 'Other',
    }
    info.op = classify(info.method, info.path, info.query, req.headers)
    stats.requests++
    stats.byOp[info.op] = (stats.byOp[info.op] ?? 0) + 1
    seen.push(info)
    // Counted once the body is consumed (a 'data' listener now would start the flow before the body is piped).
    const count = () => req.on('data', (c: Buffer) => (stats.bytesIn += c.length))
    let dropped = false // the proxy cut the connection itself (a fault), not the client
    res.on('close', () => {
      if (!res.writableFinished && !dropped) stats.abandoned++
    })
    const fault = faultFor(info)
    if (fault) stats.faults[fault.kind]++

    if (fault?.kind === 'status') {
      count()
      req.resume()
      const code = fault.code ?? (fault.status === 503 ? 'SlowDown' : 'InternalError')
      return req.on('end', () => sendError(res, fault.status, code, `fault-proxy: injected ${fault.status}`))
    }
    if (fault?.kind === 'reset') {
      let got = 0
      const cut = () => ((dropped = true), req.socket.destroy())
      if (fault.afterBytes <= 0) return cut()
      count()
      req.on('data', (c: Buffer) => {
        got += c.length
        if (got >= fault.afterBytes) cut()
      })
      req.on('end', cut)
      return
    }
    if (fault?.kind === 'hang' && fault.afterBytes === undefined) return void count().resume()

    /** Sends the request on and relays the answer, applying the response faults. */
    const forward = (done: () => void) => {
      const upstream = http.request({
        agent,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: url,
        headers: forwardHeaders(req.headers),
      })
      upstream.on('response', (up) => {
        up.on('end', done)
        up.on('error', done)
        if (fault?.kind === 'drop-response') {
          up.resume()
          up.on('end', () => ((dropped = true), req.socket.destroy()))
          return
        }
        res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardHeaders(up.headers))
        const limit = fault?.kind === 'truncate' || fault?.kind === 'hang' ? (fault.afterBytes ?? 0) : Infinity
        let sent = 0
        up.on('data', (chunk: Buffer) => {
          if (sent >= limit) return
          const part = sent + chunk.length > limit ? chunk.subarray(0, limit - sent) : chunk
          sent += part.length
          stats.bytesOut += part.length
          res.write(part)
          if (sent >= limit && fault?.kind === 'truncate') setImmediate(() => ((dropped = true), res.socket?.destroy()))
        })
        up.on('end', () => {
          if (limit === Infinity) res.end()
          else if (fault?.kind === 'truncate') (dropped = true), res.socket?.destroy()
          // hang: keep the connection open, silent
        })
      })
      upstream.on('error', () => {
        done()
        if (res.headersSent) res.destroy()
        else sendError(res, 502, 'BadGateway', 'fault-proxy could not reach its target')
      })
      res.on('close', () => {
        if (!res.writableFinished && fault?.kind !== 'drop-response') upstream.destroy()
      })
      count()
      req.pipe(upstream)
    }

    const conditional = req.headers['if-none-match'] === '*' && ['PutObject', 'CopyObject', 'CompleteMultipartUpload'].includes(info.op)
    if (!conditional || !origin) return forward(() => undefined)
    void withLock(info.path, async (release) => {
      if (await exists(info.path)) {
        release()
        stats.preconditionFailed++
        req.resume()
        return void req.on('end', () =>
          sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'),
        )
      }
      forward(release)
      req.on('close', () => setTimeout(release, 5_000).unref()) // never hold a key forever
    }).catch(() => sendError(res, 502, 'BadGateway', 'fault-proxy could not check If-None-Match'))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stats,
    seen,
    setRules,
    reset() {
      setRules([])
      seen.length = 0
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
        agent.destroy()
      }),
  }
}
