/**
 * GetObject without the SDK on the way (downloads, `open()`/`read()`): a GET presigned by our own
 * SigV4 query signer (signing/sigv4.ts) and sent with `node:http`/`node:https` over a keep-alive
 * agent, with nothing more than one error-mapping relay between the socket and the reader
 * (docs/performance.md, downloads).
 *
 * The SDK stays in charge of everything but the happy path: any answer other than 2xx (404, 403,
 * 416, 500, a redirect), and any failure before the answer's headers arrive (refused connection,
 * reset, timeout, credentials that cannot be loaded), releases that answer and sends the SDK's
 * GetObject instead, whose errors, retries and messages are exactly those of a storage without
 * this path. After three fallbacks in a row that the SDK then served (a server that does not
 * take query-signed GETs), the storage stops trying (direct.ts `Fallbacks`, shared with the
 * direct PUT and listing).
 *
 * Kept from the SDK's GetObject: `Range` (sent as a header; 206 and `Content-Range` are handed to
 * read.ts as they came), `Content-Encoding`, `connectTimeout`/`readTimeout` (a stalled body
 * fails with the SDK's `TimeoutError`), the abort signal, `verify` (CA or no certificate check),
 * the download parameters (`VersionId`, `RequestPayer`, `ExpectedBucketOwner`, `ChecksumMode`, in
 * the signed query) and response checksum validation (`x-amz-checksum-*`, as the SDK validates it).
 *
 * Not used when direct.ts's `directRefusal` says so: every read then goes
 * through the SDK as before. The locator, presigner, agent and timeouts are the storage's
 * {@link DirectLink}, shared with the direct PUT (put.ts).
 */
import type http from 'node:http'
import type { Readable } from 'node:stream'
import { builtin } from '../../core/builtins.js'
import type { S3ClientHolder } from './client.js'
import { type Attempt, DirectLink, EXPIRES_IN, Fallbacks, type Link, isStale, release, requestOptions } from './direct.js'
import { getObjectQuery } from './endpoint.js'
import type { ResolvedS3Options } from './options.js'
import type { GetAnswer } from './read.js'
import { nativeCrc32 } from './upload-body.js'

/**
 * Response checksum headers in the SDK's order of preference, with how we compute each (none, or
 * a digest of undefined: the SDK).
 */
const CHECKSUMS: [header: string, make: (() => Digest | undefined) | undefined][] = [
  ['x-amz-checksum-sha256', () => hashDigest('sha256')],
  ['x-amz-checksum-sha1', () => hashDigest('sha1')],
  ['x-amz-checksum-crc32', crc32Digest],
  ['x-amz-checksum-crc32c', undefined],
  ['x-amz-checksum-crc64nvme', undefined],
]

interface Digest {
  update(chunk: Buffer): void
  /** The base64 digest, as S3 sends it. */
  digest(): string
}

function hashDigest(algorithm: 'sha256' | 'sha1'): Digest {
  const hash = builtin('node:crypto').createHash(algorithm)
  return { update: (chunk) => hash.update(chunk), digest: () => hash.digest('base64') }
}

/** A CRC32 digest with zlib's CRC32; undefined without it (Node before 20.15). */
function crc32Digest(): Digest | undefined {
  const crc32 = nativeCrc32()
  if (crc32 === undefined) return undefined
  let crc = 0
  return {
    update: (chunk) => {
      crc = crc32(chunk, crc)
    },
    digest: () => {
      const out = Buffer.alloc(4)
      out.writeUInt32BE(crc >>> 0)
      return out.toString('base64')
    },
  }
}

/** An S3 composite (per-part) checksum, `<base64>-<parts>`: the SDK does not validate those. */
function isComposite(value: string): boolean {
  return /-[1-9]\d{0,4}$/.test(value) && Number(value.slice(value.lastIndexOf('-') + 1)) <= 10_000
}

/** Where and how to send: the storage's link plus what the GETs of this storage add. */
interface Route extends Link {
  /** Whether the SDK would validate response checksums (`responseChecksumValidation` or `ChecksumMode`). */
  validate: boolean
  query: Record<string, string>
}

/** One GetObject of {@link DirectGet.get}. */
export interface DirectGetRequest {
  key: string
  /** The `Range` header (read.ts `rangeHeader`), if any. */
  range?: string
  signal?: AbortSignal
}

/** The direct GET of one storage (see the top of this file); `destroy()` closes its sockets. */
export class DirectGet {
  readonly #link: DirectLink
  /** Whether `destroy()` closes the link (one this object made). */
  readonly #ownsLink: boolean
  readonly #download: Record<string, unknown>
  readonly #fallbacks: Fallbacks
  #route?: Promise<Route | undefined>

  /** Decides once whether the storage can use the direct GET; builds nothing yet. `link`: the storage's, shared with the direct PUT. */
  constructor(options: ResolvedS3Options, clients: S3ClientHolder, download: Record<string, unknown>, link?: DirectLink) {
    this.#link = link ?? new DirectLink(options, clients, download)
    this.#ownsLink = link === undefined
    this.#download = download
    this.#fallbacks = new Fallbacks(this.#link)
  }

  /** Why reads go through the SDK (undefined: they try the direct GET first). */
  get refusal(): string | undefined {
    return this.#fallbacks.refusal
  }

  /**
   * The answer of a GetObject of `request.key`: the direct GET's when it got a 2xx, else
   * `fallback()` (the SDK's GetObject). A caller's abort rejects with the signal's reason.
   */
  get(request: DirectGetRequest, fallback: () => Promise<GetAnswer>): Promise<GetAnswer> {
    return this.#fallbacks.run(
      request.signal,
      async () => {
        const route = await this.route()
        return route ? this.send(route, request) : { miss: false } // no route yet (credentials): the SDK, not counted
      },
      fallback,
    )
  }

  /** Closes the sockets of the link this object made (a shared link is closed by its storage). */
  destroy(): void {
    if (this.#ownsLink) this.#link.destroy()
  }

  /** The route, built on first use; undefined (SDK path) when it cannot be built. */
  private route(): Promise<Route | undefined> {
    return (this.#route ??= this.#link
      .link()
      .then((link) => {
        const query = getObjectQuery(this.#download)
        const validate = link.checksums.response === 'WHEN_SUPPORTED' || query['x-amz-checksum-mode'] === 'ENABLED'
        return { ...link, validate, query }
      })
      .catch(() => {
        this.#route = undefined // e.g. credentials not loadable yet: try again next time
        return undefined
      }))
  }

  /** One signed GET: the answer on a 2xx, a fallback for anything else (the answer released); rejects on failures before the headers. */
  private async send(route: Route, { key, range, signal }: DirectGetRequest): Promise<Attempt<GetAnswer>> {
    const { protocol, host, path } = route.locator(key)
    const signing = { method: 'GET' as const, protocol, host, path, query: route.query, expiresIn: EXPIRES_IN }
    const url = route.presigner.presignSync(signing) ?? (await route.presigner.presign(signing))
    signal?.throwIfAborted()
    const headers: Record<string, string> = { host }
    if (range) headers.range = range
    return new Promise<Attempt<GetAnswer>>((resolve, reject) => {
      const req = route.request({ ...requestOptions(route, { protocol, host }, url), method: 'GET', headers })
      let res: http.IncomingMessage | undefined
      const fail = (error: Error) => {
        if (res && !res.complete) res.destroy(error)
        else if (!res) req.destroy(error)
      }
      const onAbort = () => fail(signal!.reason as Error)
      signal?.addEventListener('abort', onAbort, { once: true })
      const done = () => signal?.removeEventListener('abort', onAbort)
      req.once('close', () => {
        if (!res) done()
      })
      this.#link.timeouts(req, route.tls, 'GetObject', fail)
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (res) return // the body reports it
        if (isStale(req, error, signal)) resolve({ stale: true })
        else reject(error)
      })
      req.once('response', (answer) => {
        res = answer
        answer.once('close', done)
        const status = answer.statusCode ?? 0
        if (status < 200 || status > 299) {
          release(answer)
          return resolve({ miss: true })
        }
        const check = route.validate ? checksumOf(answer) : null
        if (check === undefined) {
          answer.destroy() // a checksum only the SDK can verify
          return resolve({ miss: false })
        }
        const header = (name: string) => {
          const value = answer.headers[name]
          return typeof value === 'string' ? value : undefined
        }
        resolve({
          done: {
            Body: check ? new (verifiedClass())(answer, check) : answer,
            ContentEncoding: header('content-encoding'),
            ContentRange: header('content-range'),
          },
        })
      })
      req.end()
    })
  }
}

/**
 * The checksum to verify the body against, as the SDK picks it: null when there is none (or only
 * composite ones), undefined when the one it would verify is one we cannot compute.
 */
function checksumOf(answer: http.IncomingMessage): { header: string; expected: string; digest: Digest } | null | undefined {
  const present = CHECKSUMS.filter(([header]) => typeof answer.headers[header] === 'string')
  if (present.every(([header]) => isComposite(answer.headers[header] as string))) return null
  const [header, make] = present[0]!
  const digest = make?.()
  return digest ? { header, expected: answer.headers[header] as string, digest } : undefined
}

/**
 * `source` checked against its checksum at its end: a mismatch fails the stream as the SDK's does.
 * Nothing flows (so no mismatch is reported) before the stream is read.
 */
function defineVerified() {
  return class Verified extends builtin('node:stream').Readable {
    readonly #source: Readable
    constructor(source: Readable, { header, expected, digest }: { header: string; expected: string; digest: Digest }) {
      super()
      this.#source = source
      source.on('data', (chunk: Buffer) => {
        digest.update(chunk)
        if (!this.push(chunk)) source.pause()
      })
      source.once('end', () => {
        const received = digest.digest()
        if (received === expected) this.push(null)
        else this.destroy(new Error(`Checksum mismatch: expected "${expected}" but received "${received}" in response header "${header}".`))
      })
      source.on('error', (error) => this.destroy(error))
      source.pause()
    }

    override _read(): void {
      this.#source.resume()
    }

    override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
      if (!this.#source.readableEnded) this.#source.destroy()
      callback(error)
    }
  }
}

let verified: ReturnType<typeof defineVerified> | undefined

/** The class of a verified body, defined on first use (node:stream loads then). */
function verifiedClass(): ReturnType<typeof defineVerified> {
  return (verified ??= defineVerified())
}
