/**
 * SigV4 query-string presigning for S3, byte-identical to `@aws-sdk/s3-request-presigner`'s
 * `getSignedUrl` for the same signing time, at a fraction of its cost: the credentials, the day's
 * signing key and, for the current second, every part of the URL but its path are cached, so a
 * URL costs one SHA-256 of the canonical request, one HMAC (two one-shot digests, see sha256.ts)
 * and a few string concatenations. Only `node:crypto` is used.
 *
 * What `getSignedUrl(client, new GetObjectCommand({ Bucket, Key }))` produces (3.11xx), in its
 * order (query keys sorted by UTF-16 code unit, values RFC 3986-encoded):
 *
 *   X-Amz-Algorithm=AWS4-HMAC-SHA256
 *   X-Amz-Content-Sha256=UNSIGNED-PAYLOAD      (the presigner's payload hash, hoisted)
 *   X-Amz-Credential=<AK>%2F<yyyymmdd>%2F<region>%2Fs3%2Faws4_request
 *   X-Amz-Date=<yyyymmddThhmmssZ>
 *   X-Amz-Expires=<seconds>
 *   X-Amz-Security-Token=<token>               (only with a session token)
 *   X-Amz-Signature=<hex>
 *   X-Amz-SignedHeaders=host
 *   <GetObject query members: response-*, versionId, partNumber, x-amz-request-payer, ...>
 *   x-amz-checksum-mode=ENABLED                (GET, responseChecksumValidation WHEN_SUPPORTED)
 *   x-amz-checksum-crc32=AAAAAA%3D%3D          (see below)
 *   x-amz-sdk-checksum-algorithm=CRC32         (PUT, requestChecksumCalculation WHEN_SUPPORTED)
 *   x-id=GetObject                             (GetObject/PutObject/DeleteObject; none for HEAD)
 *
 * The checksum parameters come from the SDK's flexible-checksums middleware, whose x-amz-*
 * headers the presigner moves into the query:
 * - GET: `responseChecksumValidation: 'WHEN_SUPPORTED'` (the SDK default) adds
 *   `x-amz-checksum-mode=ENABLED`. Without it, `requestChecksumCalculation: 'WHEN_SUPPORTED'`
 *   (also the default) adds the CRC32 of the empty body, `x-amz-checksum-crc32=AAAAAA==`, to a
 *   GET. Both WHEN_REQUIRED: neither.
 * - PUT: `requestChecksumCalculation: 'WHEN_SUPPORTED'` bakes in the CRC32 of an empty body
 *   (`x-amz-checksum-crc32=AAAAAA==&x-amz-sdk-checksum-algorithm=CRC32`), which makes S3 reject
 *   any real upload to that URL; WHEN_REQUIRED leaves them out.
 * - HEAD and DELETE: no checksum parameters.
 * Pass the same two settings as the S3Client's resolved config to get the same strings.
 *
 * The canonical request signs the path as given (S3 does not normalise or re-encode it), the
 * sorted query without the signature, the `host` header (with its port) and UNSIGNED-PAYLOAD.
 */
import { escapeUri } from '../endpoint.js'
import { hmac, sha256Hex, StringToSignSigner } from './sha256.js'

/** AWS credentials as an SDK credential provider resolves them. */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  /** When temporary credentials stop working; they are refreshed 5 minutes before. */
  expiration?: Date
}

/** An AWS SDK-style credential provider (e.g. `S3Client.config.credentials`). */
export type CredentialProvider = () => Promise<AwsCredentials>

/** The SDK's `requestChecksumCalculation` / `responseChecksumValidation` values. */
export type ChecksumSetting = 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'

/** HTTP methods we presign, with the S3 operation each one stands for. */
export type PresignMethod = 'GET' | 'HEAD' | 'PUT' | 'DELETE'

/** Options of {@link QueryPresigner}. */
export interface QueryPresignerOptions {
  /** Signing region, e.g. `eu-west-3` (`aws-global` signs as `us-east-1`, as the SDK does). */
  region: string
  /** Signing service name; `s3`. */
  service?: string
  credentials: CredentialProvider
  /** As the S3Client's option; the SDK's default is WHEN_SUPPORTED. */
  requestChecksumCalculation?: ChecksumSetting
  /** As the S3Client's option; the SDK's default is WHEN_SUPPORTED. */
  responseChecksumValidation?: ChecksumSetting
}

/** One URL to presign: a location from `resolveObjectLocation` plus the signing inputs. */
export interface PresignRequest {
  method?: PresignMethod
  protocol: string
  host: string
  /** The already URI-encoded path. */
  path: string
  /** Extra wire query parameters (e.g. from `getObjectQuery`), unencoded. */
  query?: Record<string, string>
  /** Lifetime in whole seconds, 0 to 604800. */
  expiresIn: number
  signingDate?: Date
  /**
   * Headers the client must send exactly, signed with `host` (a direct upload's `Content-Type`,
   * `x-amz-server-side-encryption`, …), as the SDK's `signableHeaders` / unhoistable headers.
   */
  headers?: Record<string, string>
  /**
   * Send exactly `query`: no checksum parameters and no `x-id` (a bucket-level GET such as
   * ListObjectsV2, which the SDK sends as `?list-type=2` alone).
   */
  plain?: boolean
}

/** The SigV4 limit on presigned URL lifetimes: 7 days. */
export const MAX_PRESIGN_EXPIRY = 604800

const REFRESH_WINDOW_MS = 5 * 60 * 1000
const EMPTY_CRC32 = 'AAAAAA=='
const OPERATION: Record<PresignMethod, string | undefined> = {
  GET: 'GetObject',
  HEAD: undefined,
  PUT: 'PutObject',
  DELETE: 'DeleteObject',
}
const QUERY_KEY = /^[A-Za-z0-9_.~-]+$/

/** What is fixed for one day and one set of credentials: query prefix and signer. */
interface DayKey {
  accessKeyId: string
  secret: string
  token: string | undefined
  /** `X-Amz-Algorithm=...&X-Amz-Credential=<escaped>&X-Amz-Date=` */
  prefix: string
  /** `&X-Amz-Security-Token=<escaped>` or `` */
  tokenParam: string
  signer: StringToSignSigner
}

/**
 * Everything of a URL but its path and signature, for one second, one day key, method, host,
 * lifetime and query: the canonical request is `crHead + path + crTail`, the URL
 * `protocol//host + path + urlHead + signature + urlTail`.
 */
interface Shape {
  day: DayKey
  /** The second it is valid for, in ms: [from, from + 1000). */
  from: number
  longDate: string
  method: PresignMethod
  host: string
  expiresIn: number
  tail: string
  crHead: string
  crTail: string
  urlHead: string
  urlTail: string
}

/** SigV4's signed header list (`a;host`) and canonical header block for `host` plus `extra`. */
function signedHeaders(host: string, extra?: Record<string, string>): { names: string; canonical: string } {
  if (!extra) return { names: 'host', canonical: `host:${host}\n` }
  const entries: [string, string][] = [['host', host]]
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase()
    if (lower !== 'host') entries.push([lower, String(value).trim().replace(/\s+/g, ' ')])
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : 1))
  return { names: entries.map((e) => e[0]).join(';'), canonical: entries.map(([k, v]) => `${k}:${v}\n`).join('') }
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false
  return true
}

function checkExpiry(expiresIn: number): void {
  if (!Number.isInteger(expiresIn) || expiresIn < 0) {
    throw new Error(`Presigned URL expiry must be a whole number of seconds from 0 to ${MAX_PRESIGN_EXPIRY}; got ${expiresIn}.`)
  }
  if (expiresIn > MAX_PRESIGN_EXPIRY) {
    throw new Error(`Presigned URL expiry of ${expiresIn} seconds is over the SigV4 limit of 7 days (${MAX_PRESIGN_EXPIRY} seconds).`)
  }
}

function checkCredentials(c: AwsCredentials | undefined): AwsCredentials {
  if (!c || typeof c.accessKeyId !== 'string' || typeof c.secretAccessKey !== 'string') {
    throw new Error('The credential provider returned no accessKeyId/secretAccessKey.')
  }
  return c
}

/**
 * Presigns S3 URLs with SigV4 query auth, producing exactly the SDK's strings. Credentials come
 * from an SDK-style provider and are cached until 5 minutes before they expire; concurrent
 * calls share one provider call. Signing keys are cached per day, region, service and secret;
 * the last URL shape (second, credentials, method, host, lifetime, query) is reused while the
 * next URL has the same one, so `presignSync` does no date formatting and no validation twice.
 */
export class QueryPresigner {
  readonly region: string
  readonly service: string
  private readonly provider: CredentialProvider
  private readonly requestChecksum: ChecksumSetting
  private readonly responseChecksum: ChecksumSetting
  private credentials?: AwsCredentials
  /** When the cached credentials must be reloaded (ms since the epoch; Infinity if they do not expire). */
  private refreshAt = Number.POSITIVE_INFINITY
  private inflight?: Promise<AwsCredentials>
  private readonly keys = new Map<string, DayKey>()
  private readonly plainTails: Partial<Record<PresignMethod, string>> = {}
  private lastSecond = NaN
  private lastLongDate = ''
  /** The last URL shape without signed headers, reused while its second lasts. */
  private shape?: Shape

  constructor(options: QueryPresignerOptions) {
    this.region = options.region === 'aws-global' ? 'us-east-1' : options.region
    this.service = options.service ?? 's3'
    this.provider = options.credentials
    this.requestChecksum = options.requestChecksumCalculation ?? 'WHEN_SUPPORTED'
    this.responseChecksum = options.responseChecksumValidation ?? 'WHEN_SUPPORTED'
  }

  /** Presign one URL, loading or refreshing credentials first when needed. */
  presign(request: PresignRequest): Promise<string> {
    // Not `async`: with cached credentials this settles in one step (url() is a hot path).
    const credentials = this.freshCredentials()
    if (!credentials) {
      try {
        checkExpiry(request.expiresIn)
      } catch (error) {
        return Promise.reject(error)
      }
      return this.loadCredentials().then((loaded) => this.presignWith(loaded, request))
    }
    try {
      return Promise.resolve(this.presignWith(credentials, request))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * The synchronous fast path: the presigned URL when fresh credentials are already cached,
   * else `undefined` (then call {@link presign}, which loads them).
   */
  presignSync(request: PresignRequest): string | undefined {
    const credentials = this.freshCredentials()
    return credentials && this.presignWith(credentials, request)
  }

  /** Resolve credentials now (deduplicated), e.g. to warm up before serving requests. */
  loadCredentials(): Promise<AwsCredentials> {
    if (!this.inflight) {
      const pending = Promise.resolve()
        .then(() => this.provider())
        .then(checkCredentials)
        .then(
          (credentials) => {
            this.credentials = credentials
            this.refreshAt = credentials.expiration ? credentials.expiration.getTime() - REFRESH_WINDOW_MS : Number.POSITIVE_INFINITY
            if (this.inflight === pending) this.inflight = undefined
            return credentials
          },
          (error: unknown) => {
            if (this.inflight === pending) this.inflight = undefined
            throw error
          },
        )
      this.inflight = pending
    }
    return this.inflight
  }

  /** Presign with the given credentials (no provider call). */
  presignWith(credentials: AwsCredentials, request: PresignRequest): string {
    const { host, path, expiresIn, headers } = request
    const method = request.method ?? 'GET'
    const ms = request.signingDate === undefined ? Date.now() : request.signingDate.getTime()
    const tail = this.extraQuery(method, request.query, request.plain === true)
    let shape = this.shape
    if (
      headers !== undefined ||
      shape === undefined ||
      !(ms >= shape.from && ms < shape.from + 1000) ||
      shape.host !== host ||
      shape.expiresIn !== expiresIn ||
      shape.method !== method ||
      shape.tail !== tail ||
      shape.day.secret !== credentials.secretAccessKey ||
      shape.day.accessKeyId !== credentials.accessKeyId ||
      shape.day.token !== (credentials.sessionToken || undefined)
    ) {
      shape = this.buildShape(credentials, ms, method, host, expiresIn, tail, headers)
      if (headers === undefined) this.shape = shape
    }
    const signature = shape.day.signer.sign(shape.longDate, sha256Hex(shape.crHead + path + shape.crTail))
    return request.protocol + '//' + host + path + shape.urlHead + signature + shape.urlTail
  }

  /** The parts of a URL that do not depend on its path, checked. */
  private buildShape(
    credentials: AwsCredentials,
    ms: number,
    method: PresignMethod,
    host: string,
    expiresIn: number,
    tail: string,
    headers: Record<string, string> | undefined,
  ): Shape {
    checkExpiry(expiresIn)
    if (!Object.hasOwn(OPERATION, method)) throw new Error(`Cannot presign HTTP method '${String(method)}'.`)
    const longDate = this.longDate(ms)
    const day = this.dayKey(longDate.slice(0, 8), credentials)
    const head = `${day.prefix}${longDate}&X-Amz-Expires=${expiresIn}${day.tokenParam}`
    const { names, canonical } = signedHeaders(host, headers)
    const signedParam = names === 'host' ? names : escapeUri(names)
    return {
      day,
      from: ms - (((ms % 1000) + 1000) % 1000),
      longDate,
      method,
      host,
      expiresIn,
      tail,
      crHead: `${method}\n`,
      crTail: `\n${head}&X-Amz-SignedHeaders=${signedParam}${tail}\n${canonical}\n${names}\nUNSIGNED-PAYLOAD`,
      urlHead: `?${head}&X-Amz-Signature=`,
      urlTail: `&X-Amz-SignedHeaders=${signedParam}${tail}`,
    }
  }

  /** Cached credentials that are valid for more than 5 minutes, or undefined. */
  private freshCredentials(): AwsCredentials | undefined {
    const refreshAt = this.refreshAt
    return refreshAt === Number.POSITIVE_INFINITY || Date.now() < refreshAt ? this.credentials : undefined
  }

  /**
   * `&k=v` pairs after `X-Amz-SignedHeaders=host`: the caller's query plus what the SDK adds for
   * this operation, sorted. Keys must be unreserved and sort after the X-Amz-* parameters
   * (every S3 query member starts with a lower-case letter), so one string serves both the
   * canonical request and the URL.
   */
  private extraQuery(method: PresignMethod, query: Record<string, string> | undefined, plain: boolean): string {
    const empty = !plain && (query === undefined || isEmpty(query))
    const cached = empty ? this.plainTails[method] : undefined
    if (cached !== undefined) return cached
    if (!Object.hasOwn(OPERATION, method)) throw new Error(`Cannot presign HTTP method '${String(method)}'.`)
    const operation = OPERATION[method]
    const params: Record<string, string> = { ...query }
    for (const key of Object.keys(params)) {
      if (!QUERY_KEY.test(key) || key <= 'X-Amz-SignedHeaders') {
        throw new Error(`Query parameter '${key}' cannot be presigned here: S3 query keys are unreserved and start in lower case.`)
      }
    }
    if (plain) {
      // exactly the caller's query
    } else if (method === 'GET') {
      if (!params['x-amz-checksum-mode'] && this.responseChecksum === 'WHEN_SUPPORTED') {
        params['x-amz-checksum-mode'] = 'ENABLED'
      }
      if (!params['x-amz-checksum-mode'] && this.requestChecksum === 'WHEN_SUPPORTED') {
        params['x-amz-checksum-crc32'] = EMPTY_CRC32
      }
    } else if (method === 'PUT' && this.requestChecksum === 'WHEN_SUPPORTED') {
      params['x-amz-checksum-crc32'] = EMPTY_CRC32
      params['x-amz-sdk-checksum-algorithm'] = 'CRC32'
    }
    if (operation && !plain) params['x-id'] = operation
    let out = ''
    for (const key of Object.keys(params).sort()) out += '&' + key + '=' + escapeUri(params[key])
    if (empty) this.plainTails[method] = out
    return out
  }

  /** `yyyymmddThhmmssZ` of a time in ms, recomputed only when the second changes. */
  private longDate(ms: number): string {
    const second = Math.floor(ms / 1000)
    if (second !== this.lastSecond) {
      if (!Number.isFinite(second)) throw new Error('signingDate is not a valid Date.')
      this.lastLongDate = new Date(ms)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace(/[-:]/g, '')
      this.lastSecond = second
    }
    return this.lastLongDate
  }

  /**
   * The signing key and query prefix for a day and a set of credentials, cached per day and
   * checked against the secret (region and service are fixed per instance).
   */
  private dayKey(shortDate: string, c: AwsCredentials): DayKey {
    const hit = this.keys.get(shortDate)
    const token = c.sessionToken || undefined
    if (hit && hit.secret === c.secretAccessKey && hit.accessKeyId === c.accessKeyId && hit.token === token) return hit
    let key = hmac(`AWS4${c.secretAccessKey}`, shortDate)
    for (const part of [this.region, this.service, 'aws4_request']) key = hmac(key, part)
    const scope = `${shortDate}/${this.region}/${this.service}/aws4_request`
    const entry: DayKey = {
      accessKeyId: c.accessKeyId,
      secret: c.secretAccessKey,
      token,
      prefix:
        'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=' +
        escapeUri(`${c.accessKeyId}/${scope}`) +
        '&X-Amz-Date=',
      tokenParam: token ? '&X-Amz-Security-Token=' + escapeUri(token) : '',
      signer: new StringToSignSigner(key, scope),
    }
    this.keys.delete(shortDate)
    this.keys.set(shortDate, entry)
    if (this.keys.size > 4) this.keys.delete(this.keys.keys().next().value as string)
    return entry
  }
}
