/**
 * What an S3 write sends besides the bytes: django-storages' `_get_write_parameters` rules
 * (ContentType, ContentEncoding from compression suffixes, ACL, objectParameters) and its
 * streaming gzip (level 9, mtime 0, so the same input always gives the same bytes).
 */
import type { Readable } from 'node:stream'
import { builtin } from '../../core/builtins.js'
import { guessType } from '../../core/mime.js'
import { contentTypeOf } from '../../core/content.js'
import type { Content } from '../../core/types.js'
import type { WriteRequest } from '../../core/storage.js'

/** The storage-wide settings that shape writes. */
export interface WriteSettings {
  objectParameters: Record<string, unknown>
  defaultAcl?: string
  gzip: boolean
  gzipContentTypes: readonly string[]
}

/** The per-call options of `save()`/`createWriteStream()` that shape writes. */
export interface WriteCallOptions {
  contentType?: string
  metadata?: Record<string, string>
  cacheControl?: string
  contentDisposition?: string
  objectParameters?: Record<string, unknown>
  content?: Content
}

/** PutObject parameters (without Bucket, Key and Body) and whether to gzip the body. */
export interface WritePlan {
  params: Record<string, unknown>
  gzip: boolean
}

/**
 * The PutObject parameters for `key`:
 * - `ContentType`: `contentType` option, else `objectParameters` (the storage's, overridden by
 *   the call's), else the content's own type (a Blob/File type or a `contentType` field), else
 *   guessed from the name without its compression suffix, else `application/octet-stream`;
 * - `ContentEncoding` from the name's compression suffix (`.gz` gzip, `.br`, `.bz2` bzip2, `.xz`,
 *   `.Z` compress) unless a ContentType was given (option or `objectParameters`; a type carried
 *   by the content does not count) or an encoding was;
 * - `ACL` from `defaultAcl` unless the parameters have one;
 * - gzip when on, the type is in `gzipContentTypes` and no ContentEncoding is set.
 */
export function writePlan(key: string, call: WriteCallOptions, settings: WriteSettings): WritePlan {
  const params: Record<string, unknown> = { ...settings.objectParameters, ...(call.objectParameters ?? {}) }
  if (call.contentType) params.ContentType = call.contentType
  if (params.ContentType === undefined || params.ContentType === null) {
    // django-storages: no ContentType in the parameters → type from `content.content_type` or
    // the name, and the encoding from the name either way (`style.css.gz` is never re-gzipped).
    const own = call.content !== undefined ? contentTypeOf(call.content) : undefined
    const guess = guessType(key)
    params.ContentType = own ?? guess.type ?? 'application/octet-stream'
    if (guess.encoding && params.ContentEncoding === undefined) params.ContentEncoding = guess.encoding
  }
  if (call.cacheControl !== undefined) params.CacheControl = call.cacheControl
  if (call.contentDisposition !== undefined) params.ContentDisposition = call.contentDisposition
  if (call.metadata !== undefined) params.Metadata = { ...((params.Metadata as Record<string, string>) ?? {}), ...call.metadata }
  if (params.ACL === undefined && settings.defaultAcl) params.ACL = settings.defaultAcl
  const gzip = settings.gzip && params.ContentEncoding === undefined && settings.gzipContentTypes.includes(String(params.ContentType))
  if (gzip) params.ContentEncoding = 'gzip'
  return { params, gzip }
}

/** The `objectParameters` members that reads and HEADs need too (SSE-C keys, payer, owner). */
export const DOWNLOAD_PARAMETERS = [
  'ChecksumMode',
  'VersionId',
  'SSECustomerAlgorithm',
  'SSECustomerKey',
  'SSECustomerKeyMD5',
  'RequestPayer',
  'ExpectedBucketOwner',
] as const

/** The download-allowed subset of `objectParameters` (s3transfer's ALLOWED_DOWNLOAD_ARGS). */
export function downloadParameters(objectParameters: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of DOWNLOAD_PARAMETERS) if (objectParameters[name] !== undefined) out[name] = objectParameters[name]
  return out
}

/** The write parameters a server-side copy must repeat (S3 does not copy ACLs or storage class). */
export const COPY_PARAMETERS = [
  'ACL',
  'StorageClass',
  'ServerSideEncryption',
  'SSEKMSKeyId',
  'SSEKMSEncryptionContext',
  'BucketKeyEnabled',
  'ExpectedBucketOwner',
  'RequestPayer',
] as const

/** The SSE-C members of the parameters: on a copy they are sent twice, for the source and the copy. */
export const SSE_C_PARAMETERS = ['SSECustomerAlgorithm', 'SSECustomerKey', 'SSECustomerKeyMD5'] as const

/**
 * The subset of write parameters to send with CopyObject (metadata is copied from the source).
 * An SSE-C key encrypts every object of the storage, so it is sent both to decrypt the source
 * (`CopySourceSSECustomer*`) and to encrypt the copy (`SSECustomer*`).
 */
export function copyParameters(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of COPY_PARAMETERS) if (params[name] !== undefined) out[name] = params[name]
  for (const name of SSE_C_PARAMETERS) {
    if (params[name] === undefined) continue
    out[name] = params[name]
    out[`CopySource${name}`] = params[name]
  }
  return out
}

/**
 * `body` gzipped as a stream: level 9, no file name, mtime 0, so the output is deterministic
 * (header `1f 8b 08 00 00000000 02 03`, as Python's `gzip.compress(data, 9, mtime=0)`).
 */
export function gzipBody(body: Readable): Readable {
  return builtin('node:stream').pipeline(body, builtin('node:zlib').createGzip({ level: 9 }), () => undefined)
}

/**
 * The content of `req` as one Buffer, without reading its stream, when the bytes are in memory
 * already (a Buffer or Uint8Array: no copy; a string; a Blob of at most `limit` bytes) and
 * `save()` did not wrap the stream (to report progress or to abort). Else undefined.
 */
export async function bytesOf(req: WriteRequest, limit: number): Promise<Buffer | undefined> {
  if (req.body instanceof builtin('node:stream').Transform) return undefined
  const c = req.content
  let bytes: Buffer | undefined
  if (typeof c === 'string') bytes = Buffer.from(c, 'utf8')
  else if (c instanceof Uint8Array) bytes = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength)
  else if (typeof Blob !== 'undefined' && c instanceof Blob && c.size <= limit) bytes = Buffer.from(await c.arrayBuffer())
  if (bytes) req.body.destroy() // its bytes are sent as they are
  return bytes
}

/** The chunks as one Buffer (the chunk itself when there is one: no copy). */
export function joinChunks(chunks: Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
}
