/**
 * PutObject of a small body in memory (a Buffer, up to `multipartThreshold`) without the SDK on the
 * way: a PUT presigned by our own SigV4 query signer with every header it sends signed, sent with
 * `node:http`/`node:https` over the storage's keep-alive agent (direct.ts `DirectLink`, shared
 * with the direct GET of get.ts). The SDK's per-request cost (middleware stack, endpoint
 * resolution, serialisation, signer, retry) was most of the client's CPU for small uploads
 * (docs/performance.md, small uploads).
 *
 * The SDK stays in charge of everything but the happy path: any answer other than 2xx (412, 403,
 * 500, a redirect) and any failure (refused or reset connection, timeout, credentials that cannot
 * be loaded) releases that answer and sends the SDK's PutObject with the same Buffer, so errors,
 * retries, 412 handling and messages are exactly those of a storage without this path. A lost
 * answer to a conditional PUT (`IfNoneMatch: '*'`) is covered as for the SDK's own retries: the
 * direct PUT carries the same metadata (the write token of save.ts), so the SDK's 412 that follows
 * is recognised as this save's own object (`writtenBy`). A caller's abort rejects with the
 * signal's reason and never falls back. After three fallbacks in a row that the SDK then served,
 * the storage stops trying (direct.ts `Fallbacks`).
 *
 * Used only when every member of the input is one {@link putHeaders} writes exactly as the SDK
 * serialises it (else the SDK path, e.g. SSE-C keys, grants, object lock, a `ChecksumAlgorithm`
 * the SDK computes, header values that are not printable ASCII).
 *
 * Integrity (the URL says `UNSIGNED-PAYLOAD`): what the SDK path sends under the client's
 * `requestChecksumCalculation` (upload-body.ts): with `WHEN_SUPPORTED` (the default) the
 * `x-amz-checksum-crc32` of the body (zlib's CRC32) and `x-amz-sdk-checksum-algorithm: CRC32`,
 * signed; with `WHEN_REQUIRED` over https nothing (TLS); with `WHEN_REQUIRED` over plain http,
 * where the SDK signs the payload's SHA-256, a signed `Content-MD5` instead, which S3 checks
 * against the body (a signed digest the body must match: an on-path attacker cannot swap the
 * body without a second preimage of MD5). A checksum given in the parameters is sent as given.
 */
import type http from 'node:http'
import { builtin } from '../../core/builtins.js'
import { type Attempt, EXPIRES_IN, Fallbacks, type DirectLink, type Link, isStale, release, requestOptions } from './direct.js'
import { crc32Base64, nativeCrc32 } from './upload-body.js'

/** String members and the header each is sent in, as the SDK's PutObject serialises them. */
const STRING_HEADERS: Record<string, string> = {
  ContentType: 'content-type',
  CacheControl: 'cache-control',
  ContentDisposition: 'content-disposition',
  ContentEncoding: 'content-encoding',
  ContentLanguage: 'content-language',
  ContentMD5: 'content-md5',
  ACL: 'x-amz-acl',
  StorageClass: 'x-amz-storage-class',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  SSEKMSKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
  SSEKMSEncryptionContext: 'x-amz-server-side-encryption-context',
  Tagging: 'x-amz-tagging',
  WebsiteRedirectLocation: 'x-amz-website-redirect-location',
  RequestPayer: 'x-amz-request-payer',
  ExpectedBucketOwner: 'x-amz-expected-bucket-owner',
  IfNoneMatch: 'if-none-match',
  IfMatch: 'if-match',
  ChecksumCRC32: 'x-amz-checksum-crc32',
  ChecksumCRC32C: 'x-amz-checksum-crc32c',
  ChecksumCRC64NVME: 'x-amz-checksum-crc64nvme',
  ChecksumSHA1: 'x-amz-checksum-sha1',
  ChecksumSHA256: 'x-amz-checksum-sha256',
}

/** Members that are not headers of their own (the request itself, or handled apart). */
const HANDLED = new Set(['Bucket', 'Key', 'Body', 'ContentLength', 'Metadata', 'Expires', 'BucketKeyEnabled'])

/** Header values sent as they are: printable ASCII (the SDK signs other characters as UTF-8 but sends Latin-1). */
const PLAIN_VALUE = /^[\x20-\x7e]*$/
/** A metadata key that is a valid header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** How the body is checked: the client's `requestChecksumCalculation`, and whether the request goes over TLS. */
export interface PutIntegrity {
  request: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  tls: boolean
}

/**
 * The headers of a PutObject of `data` with `input` (its members but Bucket, Key and Body), as the
 * SDK serialises them, plus the integrity header (see the top of this file); a string (why) when
 * a member is one the direct PUT does not send, or a value it cannot send as the SDK does.
 */
export function putHeaders(input: Record<string, unknown>, data: Buffer, integrity: PutIntegrity): Record<string, string> | string {
  const headers: Record<string, string> = {}
  let checksum = false
  for (const member of Object.keys(input)) {
    const value = input[member]
    if (value === undefined || value === null) continue
    const header = STRING_HEADERS[member]
    if (header !== undefined) {
      if (typeof value !== 'string' || !PLAIN_VALUE.test(value)) return `${member} is not a printable ASCII string`
      headers[header] = value
      if (header.startsWith('x-amz-checksum-')) checksum = true
    } else if (!HANDLED.has(member)) return `${member} is set`
  }
  // The SDK sends its default for an empty ContentType too.
  if (!headers['content-type']) headers['content-type'] = 'application/octet-stream'
  const { Expires, BucketKeyEnabled, Metadata } = input
  if (Expires !== undefined && Expires !== null) {
    if (!(Expires instanceof Date) || Number.isNaN(Expires.getTime())) return 'Expires is not a Date'
    headers.expires = Expires.toUTCString()
  }
  if (BucketKeyEnabled !== undefined && BucketKeyEnabled !== null) {
    if (typeof BucketKeyEnabled !== 'boolean') return 'BucketKeyEnabled is not a boolean'
    headers['x-amz-server-side-encryption-bucket-key-enabled'] = String(BucketKeyEnabled)
  }
  if (Metadata !== undefined && Metadata !== null) {
    if (typeof Metadata !== 'object') return 'Metadata is not an object'
    for (const [key, value] of Object.entries(Metadata as Record<string, unknown>)) {
      if (value === undefined || value === null) continue
      if (!TOKEN.test(key)) return `the metadata key '${key}' is not a header name`
      if (typeof value !== 'string' || !PLAIN_VALUE.test(value)) return `the metadata value of '${key}' is not a printable ASCII string`
      headers[`x-amz-meta-${key.toLowerCase()}`] = value
    }
  }
  headers['content-length'] = String(data.length)
  if (checksum) return headers
  if (integrity.request === 'WHEN_SUPPORTED') {
    // Without zlib's CRC32 (Node before 20.15) the SDK computes the checksum (SDK path).
    const crc32 = nativeCrc32()
    if (!crc32) return 'no native CRC32 (Node 20.15+)'
    headers['x-amz-sdk-checksum-algorithm'] = 'CRC32'
    headers['x-amz-checksum-crc32'] = crc32Base64(crc32(data))
  } else if (!integrity.tls && headers['content-md5'] === undefined) {
    headers['content-md5'] = builtin('node:crypto').createHash('md5').update(data).digest('base64')
  }
  return headers
}

/** One PutObject of {@link DirectPut.put}. */
export interface DirectPutRequest {
  key: string
  /** The PutObject members (without Bucket, Key, Body and ContentLength). */
  input: Record<string, unknown>
  data: Buffer
  signal?: AbortSignal
}

/** The direct PUT of one storage (see the top of this file), on the storage's {@link DirectLink}. */
export class DirectPut {
  readonly #link: DirectLink
  readonly #fallbacks: Fallbacks

  /** The direct PUT over `link` (the storage's, shared with the direct GET). */
  constructor(link: DirectLink) {
    this.#link = link
    this.#fallbacks = new Fallbacks(link)
  }

  /** Why small uploads go through the SDK (undefined: they try the direct PUT first). */
  get refusal(): string | undefined {
    return this.#fallbacks.refusal
  }

  /**
   * Stores `request.data` under `request.key`: by the direct PUT when it gets a 2xx, else by
   * `fallback()` (the SDK's PutObject of the same Buffer). A caller's abort rejects with the
   * signal's reason, without a fallback.
   */
  put(request: DirectPutRequest, fallback: () => Promise<void>): Promise<void> {
    return this.#fallbacks.run(request.signal, async () => this.send(await this.#link.link(), request), fallback)
  }

  /** One signed PUT: stored on a 2xx, a fallback for anything else (the answer released); rejects on failures. */
  private async send(link: Link, { key, input, data, signal }: DirectPutRequest): Promise<Attempt<void>> {
    const headers = putHeaders(input, data, { request: link.checksums.request, tls: link.tls })
    if (typeof headers === 'string') return { miss: false } // only the SDK can send it: not counted
    const { protocol, host, path } = link.locator(key)
    const signing = { method: 'PUT' as const, protocol, host, path, expiresIn: EXPIRES_IN, headers }
    const url = link.presigner.presignSync(signing) ?? (await link.presigner.presign(signing))
    signal?.throwIfAborted()
    return new Promise<Attempt<void>>((resolve, reject) => {
      const req = link.request({ ...requestOptions(link, { protocol, host }, url), method: 'PUT', headers: { host, ...headers } })
      let answered = false
      const fail = (error: Error) => {
        if (!answered) req.destroy(error)
      }
      const onAbort = () => fail(signal!.reason as Error)
      signal?.addEventListener('abort', onAbort, { once: true })
      req.once('close', () => signal?.removeEventListener('abort', onAbort))
      this.#link.timeouts(req, link.tls, 'PutObject', fail)
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) return
        if (isStale(req, error, signal)) resolve({ stale: true })
        else reject(error)
      })
      req.once('response', (answer: http.IncomingMessage) => {
        answered = true
        const status = answer.statusCode ?? 0
        if (status < 200 || status > 299) {
          release(answer) // the SDK's PutObject that follows reads its own error
          return resolve({ miss: true })
        }
        answer.on('error', () => undefined)
        answer.resume() // a PutObject's answer has no body to read: drained, the socket goes back to the agent
        resolve({ done: undefined })
      })
      req.end(data)
    })
  }
}
