/**
 * The bytes of an upload and how the server checks them.
 *
 * Integrity: every body this backend uploads (PutObject and UploadPart) is checked by the server,
 * without the SDK's SHA-256 of the payload where something else does it:
 * - with a flexible checksum (`requestChecksumCalculation: 'WHEN_SUPPORTED'`, the SDK's default,
 *   or a `ChecksumAlgorithm` in `objectParameters`), the body's checksum goes in a header
 *   (`x-amz-checksum-crc32`, computed here with zlib's native CRC32) and the payload is sent as
 *   `UNSIGNED-PAYLOAD`: S3 verifies every byte against the checksum. This is the SDK's own rule for
 *   streamed bodies (it sends them unsigned with a CRC32 trailer, on http too); the checksum goes in
 *   a header instead of an `aws-chunked` trailer, which s3rver, R2 and older MinIO mishandle;
 * - without a checksum (`WHEN_REQUIRED`): over https the payload is `UNSIGNED-PAYLOAD` (TLS
 *   protects it); over plain http it is signed (its SHA-256 in `x-amz-content-sha256`), as boto3
 *   does, so the server still verifies the bytes.
 * Why: the SHA-256 of every byte was the largest CPU cost of an upload after buffer copies (about
 * 0.8 s per GiB here), and a CRC32 the server checks catches the same corruption at a twentieth
 * of the cost. What it does not give over plain http is authentication of the body against an
 * on-path attacker (docs/differences.md).
 */
import { untouchedFilePath } from '../../core/content.js'
import type { FileHandle } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { open } from 'node:fs/promises'
import type { S3Client } from '@aws-sdk/client-s3'
import { builtin } from '../../core/builtins.js'
import type { WriteRequest } from '../../core/storage.js'

/**
 * zlib's CRC32 (Node 20.15+, 22.2+), undefined without it (the SDK then computes the checksum).
 * zlib loads on the first call (src/core/builtins.ts).
 */
export function nativeCrc32(): ((data: Uint8Array, value?: number) => number) | undefined {
  return (builtin('node:zlib') as { crc32?: (data: Uint8Array, value?: number) => number }).crc32
}

/** How the bodies of one upload are checked (see the module comment). */
export interface Integrity {
  /** Send a CRC32 of each body computed here (`ChecksumCRC32`). */
  crc32: boolean
  /** The user's own `ChecksumAlgorithm`: the SDK computes it (bodies are then Buffers). */
  algorithm?: string
}

/** The integrity check of an upload with `params`, per the client's `requestChecksumCalculation`. */
export async function integrityOf(client: S3Client, params: Record<string, unknown>): Promise<Integrity> {
  if (typeof params.ChecksumAlgorithm === 'string') return { crc32: false, algorithm: params.ChecksumAlgorithm }
  const when = await client.config.requestChecksumCalculation?.()
  if (when === 'WHEN_REQUIRED') return { crc32: false }
  return nativeCrc32() ? { crc32: true } : { crc32: false, algorithm: 'CRC32' }
}

/** Whether the upload sends a flexible checksum with each body. */
export function hasChecksum(integrity: Integrity): boolean {
  return integrity.crc32 || integrity.algorithm !== undefined
}

/** The base64 CRC32 of `data` (as S3 wants it: the 4 bytes big-endian), continuing from `value`. */
export function crc32Base64(value: number): string {
  const out = Buffer.allocUnsafe(4)
  out.writeUInt32BE(value >>> 0)
  return out.toString('base64')
}

/** The checksum members of the request for `body` under `integrity`. */
export function checksumMembers(integrity: Integrity, body: Buffer): Record<string, string> {
  const crc32 = integrity.crc32 ? nativeCrc32() : undefined
  if (crc32) return { ChecksumCRC32: crc32Base64(crc32(body)) }
  return integrity.algorithm ? { ChecksumAlgorithm: integrity.algorithm } : {}
}

type Headers = Record<string, string>
interface Stackable {
  middlewareStack: { add(mw: unknown, options: Record<string, unknown>): void }
}

/**
 * Marks `command`'s payload: `UNSIGNED-PAYLOAD` when it carries a checksum header or goes over
 * https; else `hash()` (the payload's SHA-256, for a stream body over http) when given, else the
 * SDK signs the (Buffer) body itself. Runs after the SDK's checksum middleware (build step, low
 * priority), so a checksum it adds is seen.
 */
export function payloadSigning<C>(command: C, hash?: () => Promise<string>): C {
  const mw =
    (next: (args: unknown) => Promise<unknown>) =>
    async (args: { request: { headers: Headers; protocol?: string } }): Promise<unknown> => {
      const { headers, protocol } = args.request ?? {}
      if (headers) {
        const checked = Object.keys(headers).some((name) => name.toLowerCase().startsWith('x-amz-checksum-'))
        if (checked || protocol === 'https:') headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
        else if (hash) headers['x-amz-content-sha256'] = await hash()
      }
      return next(args)
    }
  ;(command as Stackable).middlewareStack.add(mw, { step: 'build', priority: 'low', name: 'nodeStoragesPayloadSigning' })
  return command
}

/** A file on disk to upload by ranged reads: its open handle and size. */
export interface FileSource {
  handle: FileHandle
  size: number
  /** Digests of the whole file computed so far (a resend under another name reuses them). */
  digests?: { sha256?: Promise<string>; crc32?: Promise<string> }
  /** The first read failure: the content's own error (reported as such by `save()`). */
  failure?: unknown
}

/**
 * Opens the file behind `req` (an untouched `fs.ReadStream`) for ranged reads, and releases the
 * stream's own descriptor. Undefined when the content is no such stream or the file cannot be
 * opened (the stream then reports its own error).
 */
export async function openFileSource(req: WriteRequest): Promise<FileSource | undefined> {
  const path = untouchedFilePath(req.content, req.body)
  if (path === undefined) return undefined
  let handle: FileHandle | undefined
  let size: number
  try {
    handle = await open(path, 'r')
    const info = await handle.stat()
    if (!info.isFile()) throw new Error('not a regular file')
    size = info.size
  } catch {
    await handle?.close().catch(() => undefined)
    return undefined
  }
  req.body.destroy() // its file is read by ranges from here on: close its descriptor
  return { handle, size }
}

/**
 * Reads `length` bytes at `position` of the file into `buffer` (from 0). A file that ends sooner
 * (it shrank during the upload) is an error: the upload must not store a shorter object.
 */
export async function readRange(file: FileSource, buffer: Buffer, position: number, length: number): Promise<void> {
  let done = 0
  try {
    while (done < length) {
      const { bytesRead } = await file.handle.read(buffer, done, length - done, position + done)
      if (bytesRead === 0) throw new Error(`The file ended at ${position + done} bytes, before its size when the upload started.`)
      done += bytesRead
    }
  } catch (error) {
    file.failure ??= error
    throw error
  }
}

/** The SHA-256 (hex) or the base64 CRC32 of the whole file, read in 1 MiB pieces (once per file). */
export function digestFile(file: FileSource, kind: 'sha256' | 'crc32'): Promise<string> {
  file.digests ??= {}
  return (file.digests[kind] ??= computeDigest(file, kind))
}

async function computeDigest(file: FileSource, kind: 'sha256' | 'crc32'): Promise<string> {
  const buffer = Buffer.allocUnsafe(Math.min(file.size, 1024 * 1024))
  const hash = kind === 'sha256' ? builtin('node:crypto').createHash('sha256') : undefined
  const crc32 = hash ? undefined : nativeCrc32()
  let crc = 0
  for (let position = 0; position < file.size; position += buffer.length) {
    const n = Math.min(buffer.length, file.size - position)
    await readRange(file, buffer, position, n)
    if (hash) hash.update(buffer.subarray(0, n))
    else crc = crc32!(buffer.subarray(0, n), crc)
  }
  return hash ? hash.digest('hex') : crc32Base64(crc)
}

/** A stream of the whole file (the handle stays open). */
export function fileStream(file: FileSource): Readable {
  return file.handle.createReadStream({ start: 0, end: file.size - 1, autoClose: false, highWaterMark: 256 * 1024 })
}

const TRANSIENT = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EAI_AGAIN',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ServiceUnavailable',
  'InternalError',
])

/**
 * Whether a failed request is worth resending (a 5xx, a throttle, a reset or timed-out connection):
 * the SDK does not resend a stream body itself, so the streamed PutObject does.
 */
export function isTransient(error: unknown): boolean {
  const e = (error ?? {}) as { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; name?: string; code?: string }
  if (e.name === 'AbortError') return false
  if (e.$retryable) return true
  const status = e.$metadata?.httpStatusCode
  if (status === 429 || (status !== undefined && status >= 500)) return true
  return TRANSIENT.has(e.code ?? '') || TRANSIENT.has(e.name ?? '')
}
