/**
 * Moving bytes into S3: one PutObject for small bodies, a multipart upload (`@aws-sdk/lib-storage`,
 * loaded on first use) for large or unknown-length ones, and server-side copies (CopyObject, or
 * UploadPartCopy above 5 GiB). A failed or aborted multipart upload is aborted on the server.
 */
import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import type { S3Sdk } from './client.js'
import type { TransferConfig } from './options.js'
import { encodeKey } from './endpoint.js'
import { SSE_C_PARAMETERS } from './write.js'
import { loadLibStorage } from './sdk.js'
import { isAbortError } from '../../core/wrap-error.js'

/** What every transfer needs. */
export interface TransferContext {
  sdk: S3Sdk
  client: S3Client
  bucket: string
  transfer: Required<TransferConfig>
  signal?: AbortSignal
  /** Largest object CopyObject copies in one request (5 GiB; lowered by tests). */
  copyLimit?: number
}

/** S3's limit for CopyObject and for a single PutObject. */
export const MAX_SINGLE_COPY = 5 * 1024 * 1024 * 1024

/** Uploads a small body with one PutObject (`extra`: e.g. `IfNoneMatch: '*'`). */
export async function putObject(
  ctx: TransferContext,
  key: string,
  params: Record<string, unknown>,
  data: Buffer,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const input = { ...params, ...extra, Bucket: ctx.bucket, Key: key, Body: data, ContentLength: data.length }
  await ctx.client.send(new ctx.sdk.PutObjectCommand(input as never), { abortSignal: ctx.signal })
}

/** Aborts a multipart upload, ignoring a 404 (already aborted or completed). */
async function abortUpload(ctx: TransferContext, key: string, uploadId: string): Promise<void> {
  try {
    await ctx.client.send(new ctx.sdk.AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId }))
  } catch {
    // Already gone (NoSuchUpload) or unreachable: nothing more we can do; a lifecycle rule
    // (AbortIncompleteMultipartUpload) cleans up what is left.
  }
}

/**
 * The client lib-storage is given: the parts it sends carry the save's signal (lib-storage passes
 * none, so an aborted save would wait for its parts). CreateMultipartUpload (its upload id is
 * needed to abort the upload), CompleteMultipartUpload (the commit: once sent, it runs to the end)
 * and AbortMultipartUpload (the cleanup) are sent without it.
 */
function signalledClient(ctx: TransferContext): S3Client {
  const { client, signal, sdk } = ctx
  if (!signal) return client
  const unsignalled = [sdk.CreateMultipartUploadCommand, sdk.CompleteMultipartUploadCommand, sdk.AbortMultipartUploadCommand]
  return new Proxy(client, {
    get(target, prop) {
      if (prop !== 'send') return Reflect.get(target, prop)
      return (command: Parameters<S3Client['send']>[0], options?: { abortSignal?: AbortSignal }) =>
        target.send(command, unsignalled.some((c) => command instanceof c) ? options : { ...options, abortSignal: signal })
    },
  })
}

/**
 * Streams `body` into `key` through a multipart upload with `partSize` parts, `queueSize` at a
 * time (memory: about `partSize × (queueSize + 1)`). When the body errors (an aborted save) or
 * a request fails, the upload is aborted on the server before this rejects. `token` (the
 * object's `WRITE_TOKEN` metadata, in `params`) tells a failure whose object was nonetheless
 * stored whole (the answer to CompleteMultipartUpload lost, its retry answered NoSuchUpload):
 * that is a success.
 */
export async function multipartUpload(
  ctx: TransferContext,
  key: string,
  params: Record<string, unknown>,
  body: Readable,
  token?: string,
): Promise<void> {
  const { Upload } = await loadLibStorage()
  const upload = new Upload({
    client: signalledClient(ctx),
    params: { ...params, Bucket: ctx.bucket, Key: key, Body: body } as never,
    partSize: ctx.transfer.partSize,
    queueSize: ctx.transfer.queueSize,
    leavePartsOnError: false,
  })
  let bodyError: unknown
  body.once('error', (error) => (bodyError = error))
  try {
    await upload.done()
  } catch (error) {
    if (!body.destroyed) body.destroy()
    // lib-storage aborts the upload itself on failures it sees; make sure of it (a failed abort
    // must not hide why the upload failed).
    if (upload.uploadId) await abortUpload(ctx, key, upload.uploadId)
    if (ctx.signal?.aborted) throw ctx.signal.reason
    // The content's own failure wins; an AbortError of the body is lib-storage letting go of it
    // after a failed part (Node destroys an iterated stream so), not why the upload failed.
    if (bodyError !== undefined && !isAbortError(bodyError)) throw bodyError
    if (token !== undefined && (await writtenBy(ctx, key, token, params))) return
    throw error
  }
}

/** The metadata member (`x-amz-meta-ns-write-id`) naming the write that stored an object. */
export const WRITE_TOKEN = 'ns-write-id'

/** A fresh write token (random, 128 bits). */
export function writeToken(): string {
  return randomBytes(16).toString('hex')
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
function uploadRequestParameters(params: Record<string, unknown>, source: boolean): Record<string, unknown> {
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
