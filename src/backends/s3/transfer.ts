/**
 * Moving bytes into S3: one PutObject for small bodies (a Buffer, or a file streamed from disk),
 * and server-side copies (CopyObject, or UploadPartCopy above 5 GiB). Multipart uploads of large
 * or unknown-length bodies are in multipart.ts; how bodies are checked, in upload-body.ts.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { builtin } from '../../core/builtins.js'
import type { S3Sdk } from './client.js'
import type { TransferConfig } from './options.js'
import { encodeKey } from './endpoint.js'
import { SSE_C_PARAMETERS } from './write.js'
import type { DirectPut } from './put.js'
import type { DirectList } from './list-direct.js'
import { digestFile, type FileSource, fileStream, integrityOf, isTransient, payloadSigning, readRange } from './upload-body.js'

/** What every transfer needs. */
export interface TransferContext {
  sdk: S3Sdk
  client: S3Client
  bucket: string
  transfer: Required<TransferConfig>
  signal?: AbortSignal
  /** Largest object CopyObject copies in one request (5 GiB; lowered by tests). */
  copyLimit?: number
  /** The storage's direct PUT (put.ts), tried first by `putObject`; none: the SDK's PutObject only. */
  direct?: DirectPut
  /** The storage's direct ListObjectsV2 (list-direct.ts), tried first by `listPages`; none: the SDK's only. */
  list?: DirectList
}

/** S3's limit for CopyObject and for a single PutObject. */
export const MAX_SINGLE_COPY = 5 * 1024 * 1024 * 1024

/**
 * Uploads a small body with one PutObject (`extra`: e.g. `IfNoneMatch: '*'`): by the direct PUT of
 * `ctx.direct` (put.ts) when it can, else (and on any answer but a 2xx) by the SDK's PutObject.
 */
export async function putObject(
  ctx: TransferContext,
  key: string,
  params: Record<string, unknown>,
  data: Buffer,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const input = { ...params, ...extra, Bucket: ctx.bucket, Key: key, Body: data, ContentLength: data.length }
  const viaSdk = async () => {
    await ctx.client.send(payloadSigning(new ctx.sdk.PutObjectCommand(input as never)), { abortSignal: ctx.signal })
  }
  if (!ctx.direct) return viaSdk()
  return ctx.direct.put({ key, input: { ...params, ...extra }, data, signal: ctx.signal }, viaSdk)
}

/** How many times the client sends a request (its `maxAttempts`, default 3). */
async function maxAttempts(client: S3Client): Promise<number> {
  const setting = (client.config as { maxAttempts?: number | (() => Promise<number>) }).maxAttempts
  const value = typeof setting === 'function' ? await setting() : setting
  return typeof value === 'number' && value >= 1 ? value : 3
}

/**
 * Uploads a file (up to `multipartThreshold`) with one PutObject whose body streams from disk,
 * `ContentLength` set: nothing is buffered. Its checksum (or, over http without checksums, its
 * SHA-256) is computed by a first read of the file, as the header must precede the body. The SDK
 * does not resend a stream body, so transient failures are retried here (up to the client's
 * `maxAttempts`), each attempt reading the file again; so is a resend under another name.
 */
export async function putFile(
  ctx: TransferContext,
  key: string,
  params: Record<string, unknown>,
  file: FileSource,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const integrity = await integrityOf(ctx.client, params)
  if (integrity.algorithm !== undefined || file.size === 0) {
    // A checksum only the SDK computes (or no bytes at all): one Buffer, which it resends itself.
    const data = Buffer.allocUnsafe(file.size)
    await readRange(file, data, 0, file.size)
    return putObject(ctx, key, params, data, extra)
  }
  const checksum = integrity.crc32 ? { ChecksumCRC32: await digestFile(file, 'crc32') } : {}
  const attempts = await maxAttempts(ctx.client)
  for (let attempt = 1; ; attempt++) {
    const body = fileStream(file)
    try {
      const input = { ...params, ...extra, ...checksum, Bucket: ctx.bucket, Key: key, Body: body, ContentLength: file.size }
      const command = payloadSigning(new ctx.sdk.PutObjectCommand(input as never), () => digestFile(file, 'sha256'))
      await ctx.client.send(command, { abortSignal: ctx.signal })
      return
    } catch (error) {
      if (file.failure !== undefined) throw file.failure
      if (attempt >= attempts || !isTransient(error) || ctx.signal?.aborted) throw error
      await builtin('node:timers/promises').setTimeout(Math.random() * 100 * 2 ** attempt, undefined, { signal: ctx.signal })
    } finally {
      body.destroy()
    }
  }
}

/** Aborts a multipart upload, ignoring a 404 (already aborted or completed). */
export async function abortUpload(ctx: TransferContext, key: string, uploadId: string): Promise<void> {
  try {
    await ctx.client.send(new ctx.sdk.AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId }))
  } catch {
    // Already gone (NoSuchUpload) or unreachable: nothing more we can do; a lifecycle rule
    // (AbortIncompleteMultipartUpload) cleans up what is left.
  }
}

/** The metadata member (`x-amz-meta-ns-write-id`) naming the write that stored an object. */
export const WRITE_TOKEN = 'ns-write-id'

/** A fresh write token (random, 128 bits). */
export function writeToken(): string {
  return builtin('node:crypto').randomBytes(16).toString('hex')
}

/** `params` with the write token added to their metadata. */
export function withToken(params: Record<string, unknown>, token: string): Record<string, unknown> {
  return { ...params, Metadata: { ...((params.Metadata as Record<string, string> | undefined) ?? {}), [WRITE_TOKEN]: token } }
}

/**
 * Whether the object at `key` was stored by the write of `token` (a HEAD; `params`' SSE-C key
 * and payer are sent with it). An error of the HEAD counts as no.
 */
export async function writtenBy(ctx: TransferContext, key: string, token: string, params: Record<string, unknown>): Promise<boolean> {
  try {
    const input = { ...sourceReadParameters(params, ''), Bucket: ctx.bucket, Key: key }
    const head = await ctx.client.send(new ctx.sdk.HeadObjectCommand(input as never), { abortSignal: ctx.signal })
    return head.Metadata?.[WRITE_TOKEN] === token
  } catch {
    return false
  }
}

/** The `CopySource` of a key: bucket and key, URL-encoded (`/` kept). */
export function copySource(bucket: string, key: string): string {
  return `${encodeURIComponent(bucket)}/${encodeKey(key)}`
}

function tooLargeToCopy(error: unknown): boolean {
  const e = error as { name?: string; message?: string }
  return e?.name === 'InvalidRequest' && /larger than the maximum allowable size/i.test(e.message ?? '')
}

/**
 * Copies `from` to `to` on the server. `params` (`copyParameters()`) are repeated on the copy (ACL,
 * storage class, encryption, the SSE-C key of source and copy; metadata and content type are
 * copied from the source); `extra` e.g.
 * `IfNoneMatch: '*'`. Objects over 5 GiB are copied part by part (UploadPartCopy).
 */
export async function copyObject(
  ctx: TransferContext,
  from: string,
  to: string,
  params: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  size?: number,
): Promise<void> {
  const limit = ctx.copyLimit ?? MAX_SINGLE_COPY
  if (size === undefined || size <= limit) {
    try {
      const input = { ...params, ...extra, Bucket: ctx.bucket, Key: to, CopySource: copySource(ctx.bucket, from) }
      await ctx.client.send(new ctx.sdk.CopyObjectCommand(input as never), { abortSignal: ctx.signal })
      return
    } catch (error) {
      if (!tooLargeToCopy(error)) throw error
    }
  }
  await multipartCopy(ctx, from, to, params, extra, limit)
}

/** Members of copy parameters that every request of a part-by-part copy repeats. */
const REQUEST_PARAMETERS = ['RequestPayer', 'ExpectedBucketOwner'] as const

/**
 * The read parameters of an object written with `params`: its SSE-C key, payer, owner; with
 * `prefix` `'CopySource'` (the default), those of the source of a copy (`CopySourceSSECustomer*`).
 */
function sourceReadParameters(params: Record<string, unknown>, prefix = 'CopySource'): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of REQUEST_PARAMETERS) if (params[name] !== undefined) out[name] = params[name]
  for (const name of SSE_C_PARAMETERS) if (params[`${prefix}${name}`] !== undefined) out[name] = params[`${prefix}${name}`]
  return out
}

/** What the requests of an upload repeat: its SSE-C key, payer, owner; with `source`, the source's SSE-C key too (UploadPartCopy). */
export function uploadRequestParameters(params: Record<string, unknown>, source: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of [...REQUEST_PARAMETERS, ...SSE_C_PARAMETERS]) {
    if (params[name] !== undefined) out[name] = params[name]
    if (source && params[`CopySource${name}`] !== undefined) out[`CopySource${name}`] = params[`CopySource${name}`]
  }
  return out
}

async function multipartCopy(
  ctx: TransferContext,
  from: string,
  to: string,
  params: Record<string, unknown>,
  extra: Record<string, unknown>,
  limit: number,
): Promise<void> {
  const { sdk, client, bucket } = ctx
  const head = await client.send(new sdk.HeadObjectCommand({ ...sourceReadParameters(params), Bucket: bucket, Key: from } as never))
  const size = head.ContentLength ?? 0
  const uploadParams = Object.fromEntries(Object.entries(params).filter(([name]) => !name.startsWith('CopySource')))
  const { UploadId } = await client.send(
    new sdk.CreateMultipartUploadCommand({
      ...uploadParams,
      Bucket: bucket,
      Key: to,
      ContentType: head.ContentType,
      ContentEncoding: head.ContentEncoding,
      ContentDisposition: head.ContentDisposition,
      CacheControl: head.CacheControl,
      ContentLanguage: head.ContentLanguage,
      Metadata: head.Metadata,
    } as never),
  )
  const uploadId = UploadId!
  try {
    const partSize = Math.max(Math.ceil(size / 10_000), Math.min(limit, 512 * 1024 * 1024))
    const count = Math.max(1, Math.ceil(size / partSize))
    const parts: { ETag: string; PartNumber: number }[] = new Array(count)
    let next = 0
    const worker = async () => {
      while (next < count) {
        const index = next++
        const start = index * partSize
        const end = Math.min(size, start + partSize) - 1
        ctx.signal?.throwIfAborted()
        const out = await client.send(
          new sdk.UploadPartCopyCommand({
            ...uploadRequestParameters(params, true),
            Bucket: bucket,
            Key: to,
            UploadId: uploadId,
            PartNumber: index + 1,
            CopySource: copySource(bucket, from),
            ...(size > 0 ? { CopySourceRange: `bytes=${start}-${end}` } : {}),
          } as never),
          { abortSignal: ctx.signal },
        )
        parts[index] = { ETag: out.CopyPartResult!.ETag!, PartNumber: index + 1 }
      }
    }
    await Promise.all(Array.from({ length: Math.min(ctx.transfer.queueSize, count) }, worker))
    await client.send(
      new sdk.CompleteMultipartUploadCommand({
        ...uploadRequestParameters(params, false),
        ...extra,
        Bucket: bucket,
        Key: to,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      } as never),
    )
  } catch (error) {
    await abortUpload(ctx, to, uploadId)
    throw error
  }
}
