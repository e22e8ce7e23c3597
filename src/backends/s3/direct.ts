/**
 * What the direct GET (get.ts) and the direct PUT (put.ts) share: when a storage may use them at
 * all ({@link directRefusal}), and one {@link DirectLink} per storage holding the object locator,
 * our own SigV4 query presigner (signing/sigv4.ts), a keep-alive agent and the timeouts, so both
 * requests go out on the same sockets.
 *
 * Not used (every request then goes through the SDK as before):
 * - a ready `client` was given (its request handler, middleware and endpoint are its own);
 * - `objectParameters` carry SSE-C keys (`SSECustomer*`: headers we do not sign);
 * - `clientConfig` sets anything but retries, logging, user agent, checksum settings,
 *   credentials/profile/region (when not also given as options) and a plain `requestHandler`
 *   object with `connectionTimeout`, `socketTimeout` and `httpAgent`/`httpsAgent` *instances*
 *   (used as they are, so a proxy agent is honoured). An endpoint, a `requestHandler` instance,
 *   agent options, `requestTimeout`, FIPS/dual-stack/accelerate or a custom signer: SDK path.
 */
import type http from 'node:http'
import type { Socket } from 'node:net'
import { builtin } from '../../core/builtins.js'
import type { ChecksumSettings, S3ClientHolder } from './client.js'
import { type ObjectLocator, objectLocator } from './endpoint.js'
import type { ResolvedS3Options } from './options.js'
import { QueryPresigner } from './signing/sigv4.js'
import { SSE_C_PARAMETERS } from './write.js'

/** Fallbacks in a row, each then served by the SDK, after which a storage stops using a direct request. */
export const MAX_MISSES = 3

/** Lifetime of a signed request; it is sent at once, this only bounds clock trouble. */
export const EXPIRES_IN = 900

/** How long an idle kept-alive socket is kept: less than the 5 s after which Node servers close theirs. */
const IDLE_MS = 4_000

/** `clientConfig` members the direct requests honour or that only concern what the SDK fallback does. */
const CONFIG_KEYS = new Set([
  'maxAttempts',
  'retryMode',
  'retryStrategy',
  'logger',
  'customUserAgent',
  'userAgentAppId',
  'requestChecksumCalculation',
  'responseChecksumValidation',
  'followRegionRedirects',
  'requestHandler',
  'credentials',
  'profile',
  'region',
])

/** Members of a plain `clientConfig.requestHandler` object the direct requests honour. */
const HANDLER_KEYS = new Set(['connectionTimeout', 'socketTimeout', 'httpAgent', 'httpsAgent'])

/**
 * Why the direct requests cannot serve this storage (undefined: they can; see the top of this
 * file). `download` is the storage's download parameters (write.ts `downloadParameters`).
 */
export function directRefusal(options: ResolvedS3Options, download: Record<string, unknown>): string | undefined {
  if (options.client) return 'a ready S3Client was given'
  for (const name of SSE_C_PARAMETERS) if (download[name] !== undefined) return `objectParameters.${name} (SSE-C) is set`
  const config = options.clientConfig as Record<string, unknown>
  for (const key of Object.keys(config)) {
    if (config[key] !== undefined && !CONFIG_KEYS.has(key)) return `clientConfig.${key} is set`
  }
  if (config.credentials !== undefined && options.credentials) return 'clientConfig.credentials overrides the keys given'
  if (config.region !== undefined && options.regionName) return 'clientConfig.region overrides regionName'
  const handler = config.requestHandler as Record<string, unknown> | undefined
  if (handler === undefined) return undefined
  if (typeof handler !== 'object' || handler === null || typeof handler.handle === 'function') {
    return 'clientConfig.requestHandler is a handler instance'
  }
  for (const key of Object.keys(handler)) {
    if (handler[key] === undefined) continue
    if (!HANDLER_KEYS.has(key)) return `clientConfig.requestHandler.${key} is set`
    if ((key === 'httpAgent' || key === 'httpsAgent') && !(handler[key] instanceof builtin('node:http').Agent)) {
      return `clientConfig.requestHandler.${key} is not an Agent instance`
    }
  }
  return undefined
}

/** Where and how direct requests go: built once per storage. */
export interface Link {
  locator: ObjectLocator
  /** Never the presigner's CRC32 of an empty body; checksum mode (GET) as the client would ask. */
  presigner: QueryPresigner
  agent: http.Agent
  request: typeof http.request
  tls: boolean
  /** The client's checksum settings. */
  checksums: ChecksumSettings
}

/** The error of a request that waited too long, shaped as the SDK's (`isTimeout` in timeouts.ts). */
export function timedOut(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' })
}

/** Frees a non-2xx answer: a short body is drained (the socket is reused), a long one dropped. */
export function release(answer: http.IncomingMessage): void {
  answer.on('error', () => undefined)
  const length = Number(answer.headers['content-length'] ?? Infinity)
  if (length <= 64 * 1024) answer.resume()
  else answer.destroy()
}

/** The `http.request` options of a signed URL of `link` (`url`: what the presigner returned). */
export function requestOptions(link: Link, at: { protocol: string; host: string }, url: string): http.RequestOptions {
  const { hostname, port } = new URL(`${at.protocol}//${at.host}`)
  return {
    protocol: at.protocol,
    hostname: hostname.startsWith('[') ? hostname.slice(1, -1) : hostname,
    ...(port ? { port: Number(port) } : {}),
    path: url.slice(at.protocol.length + 2 + at.host.length),
    agent: link.agent,
  }
}

/** Whether a request failed on a kept-alive socket the server had just closed (worth one more try). */
export function isStale(req: http.ClientRequest, error: NodeJS.ErrnoException, signal?: AbortSignal): boolean {
  return req.reusedSocket && !signal?.aborted && (error.code === 'ECONNRESET' || error.code === 'EPIPE')
}

/**
 * What one direct attempt came to: its result (`done`), a fallback to the SDK (`miss`: counted when
 * the SDK then succeeds, e.g. a 403 the SDK is not refused; not for what only the SDK can send), or
 * a kept-alive socket the server had just closed (`stale`: tried once more on a fresh one).
 */
export type Attempt<T> = { done: T } | { miss: boolean } | { stale: true }

/**
 * The fallback rule the direct GET, PUT and listing share: try the direct request (once more on a
 * stale socket), else the SDK's; a caller's abort rejects with the signal's reason and never falls
 * back; after {@link MAX_MISSES} counted fallbacks in a row the SDK then served, the direct
 * request is given up for this storage.
 */
export class Fallbacks {
  readonly #link: DirectLink
  #misses = 0

  /** The fallbacks of one kind of direct request over `link`. */
  constructor(link: DirectLink) {
    this.#link = link
  }

  /** Why the SDK serves every request of this kind (undefined: the direct request is tried first). */
  get refusal(): string | undefined {
    return this.#link.refusal ?? (this.#misses >= MAX_MISSES ? `${MAX_MISSES} fallbacks in a row served by the SDK` : undefined)
  }

  /** The result of `attempt()` when it is `done`, else of `fallback()` (see the class). */
  async run<T>(signal: AbortSignal | undefined, attempt: () => Promise<Attempt<T>>, fallback: () => Promise<T>): Promise<T> {
    if (this.refusal) return fallback()
    let outcome: Attempt<T>
    try {
      outcome = await attempt()
      if ('stale' in outcome) outcome = await attempt()
    } catch {
      if (signal?.aborted) throw signal.reason
      outcome = { miss: true }
    }
    if ('done' in outcome) {
      this.#misses = 0
      return outcome.done
    }
    signal?.throwIfAborted()
    const value = await fallback()
    if ('stale' in outcome || outcome.miss) this.#misses++ // the SDK served what the direct request did not
    return value
  }
}

/** The locator, presigner, agent and timeouts of one storage's direct requests; `destroy()` closes its sockets. */
export class DirectLink {
  /** Why the storage cannot use direct requests (undefined: it can). */
  readonly refusal: string | undefined
  readonly #options: ResolvedS3Options
  readonly #clients: S3ClientHolder
  readonly #connectTimeout: number
  readonly #readTimeout: number
  #link?: Promise<Link>
  #ownAgent?: http.Agent

  /** Decides once whether the storage can use direct requests; builds nothing yet. */
  constructor(options: ResolvedS3Options, clients: S3ClientHolder, download: Record<string, unknown>) {
    this.#options = options
    this.#clients = clients
    this.refusal = directRefusal(options, download)
    const handler = (options.clientConfig.requestHandler ?? {}) as { connectionTimeout?: number; socketTimeout?: number }
    this.#connectTimeout = handler.connectionTimeout ?? options.connectTimeout
    this.#readTimeout = handler.socketTimeout ?? options.readTimeout
  }

  /** The link, built on first use; rejects when it cannot be built (e.g. credentials not loadable yet: tried again next time). */
  link(): Promise<Link> {
    return (this.#link ??= this.build().catch((error: unknown) => {
      this.#link = undefined
      throw error
    }))
  }

  /** Closes the idle sockets of the agent this object made (never a caller's agent). */
  destroy(): void {
    this.#ownAgent?.destroy()
  }

  private async build(): Promise<Link> {
    const o = this.#options
    const [region, checksums] = await Promise.all([this.#clients.region(), this.#clients.checksums()])
    const locator = objectLocator({
      bucket: o.bucketName,
      region,
      endpointUrl: o.endpointUrl,
      addressingStyle: o.addressingStyle,
      useSsl: o.useSsl,
    })
    const presigner = new QueryPresigner({
      region,
      credentials: this.#clients.credentialProvider(),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: checksums.response,
    })
    await presigner.loadCredentials()
    const tls = locator('').protocol === 'https:'
    const given = (o.clientConfig.requestHandler ?? {}) as { httpAgent?: http.Agent; httpsAgent?: http.Agent }
    let agent = tls ? given.httpsAgent : given.httpAgent
    // https (with tls and net) loads here, on the first direct request, not at import.
    const { Agent, request } = tls ? builtin('node:https') : builtin('node:http')
    if (!agent) {
      const verify = o.verify === undefined ? {} : o.verify === false ? { rejectUnauthorized: false } : { ca: o.verify }
      agent = this.#ownAgent = tls
        ? new Agent({ keepAlive: true, timeout: IDLE_MS, ...verify })
        : new Agent({ keepAlive: true, timeout: IDLE_MS })
    }
    return { locator, presigner, agent, request, tls, checksums }
  }

  /**
   * `connectTimeout` until connected (TLS: handshake done), then `readTimeout` between bytes, body
   * included; `fail` is called with the SDK-shaped error naming `operation`.
   */
  timeouts(req: http.ClientRequest, tls: boolean, operation: string, fail: (error: Error) => void): void {
    const connect = this.#connectTimeout
    const read = this.#readTimeout
    req.once('socket', (socket: Socket) => {
      const idle = () => {
        if (!(read > 0)) return
        const onTimeout = () =>
          fail(timedOut(`The S3 connection timed out after ${read} ms of inactivity (readTimeout), during a ${operation}.`))
        socket.setTimeout(read, onTimeout)
        req.once('close', () => socket.removeListener('timeout', onTimeout))
      }
      if (!socket.connecting) return idle()
      const timer =
        connect > 0
          ? setTimeout(() => fail(timedOut(`No connection to S3 within ${connect} ms (connectTimeout), during a ${operation}.`)), connect)
          : undefined
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer)
        idle()
      })
      socket.once('close', () => clearTimeout(timer))
    })
  }
}
