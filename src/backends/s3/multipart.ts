/**
 * Multipart uploads, sent through the SDK client (which signs, maps errors and retries each
 * request): CreateMultipartUpload, `queueSize` UploadParts in flight, CompleteMultipartUpload, and
 * AbortMultipartUpload on any failure (nothing is left on the server).
 *
 * Memory: each of the `queueSize` workers owns one part buffer (`partSize` bytes, allocated once
 * and reused for every part it sends), so an upload holds `partSize × queueSize` plus what the
 * source stream buffers. A part is one Buffer: the SDK can resend it on a retry, and no copy is
 * made beyond filling the buffer (from the stream's chunks, or by a positional read of a file).
 * Bodies are checked as upload-body.ts says (a CRC32 header and `UNSIGNED-PAYLOAD` by default).
 */
import type { Readable } from 'node:stream'
import { joinChunks } from './write.js'
import { isAbortError } from '../../core/wrap-error.js'
import { abortUpload, uploadRequestParameters, writtenBy, type TransferContext } from './transfer.js'
import { checksumMembers, type FileSource, type Integrity, integrityOf, payloadSigning, readRange } from './upload-body.js'

/** S3's most parts in one upload. */
export const MAX_PARTS = 10_000

/** One part: its number (from 1), its bytes, and the reusable buffer they are in, if any. */
interface Part {
  number: number
  body: Buffer
  buffer?: Buffer
}

/** Where the parts come from, in order. */
interface PartFeed {
  /** The part size (raised for a known size that would need more than `MAX_PARTS` parts). */
  partSize: number
  /**
   * The next part, read into `scratch()` (the worker's own buffer, reused for each of its parts)
   * unless the bytes are in memory already; undefined after the last. The first part may be empty.
   */
  next(scratch: () => Buffer): Promise<Part | undefined>
  /** Whether the parts read so far were all there is. */
  ended(): Promise<boolean>
  /** Stops reading (a failed upload). */
  cancel(): void
}

/**
 * Parts of content of known length: slices of a Buffer (no copy), or ranges of a file read
 * into the worker's buffer (positional reads, so parts are read concurrently).
 */
function knownFeed(source: FileSource | Buffer, partSize: number): PartFeed {
  const total = Buffer.isBuffer(source) ? source.length : source.size
  const size = Math.max(partSize, Math.ceil(total / MAX_PARTS))
  const count = Math.max(1, Math.ceil(total / size))
  let next = 0
  return {
    partSize: size,
    async next(scratch) {
      if (next >= count) return undefined
      const index = next++
      const start = index * size
      const length = Math.min(size, total - start)
      if (Buffer.isBuffer(source)) return { number: index + 1, body: source.subarray(start, start + length) }
      const buffer = scratch()
      await readRange(source, buffer, start, length)
      return { number: index + 1, body: buffer.subarray(0, length), buffer }
    },
    ended: async () => next >= count,
    cancel: () => undefined,
  }
}

/** The error of a stream closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error('The content stream closed before its end.'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })
}

/** Chunks a reader keeps ahead of the parts at most (then the stream is paused). */
const READ_AHEAD = 1024 * 1024

/**
 * A pull reader over a stream's 'data' events, paused above `READ_AHEAD` bytes queued. Unlike
 * `read()` (and so the async iterator), it never joins buffered chunks into a new Buffer: every
 * chunk reaches the part buffer with one copy. Rejects with the stream's error, or on a close
 * before its end.
 */
function chunkReader(body: Readable): () => Promise<Buffer | undefined> {
  const queue: Buffer[] = []
  let queued = 0
  let ended = false
  let failure: { error: unknown } | undefined
  let wake: (() => void) | undefined
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  body.on('data', (chunk: Buffer | string | Uint8Array) => {
    const bytes =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    queue.push(bytes)
    queued += bytes.length
    if (queued >= READ_AHEAD) body.pause()
    notify()
  })
  body.once('end', () => {
    ended = true
    notify()
  })
  body.once('error', (error) => {
    failure ??= { error }
    notify()
  })
  body.once('close', () => {
    if (!ended) failure ??= { error: prematureClose() }
    notify()
  })
  // Ended or destroyed before this reader listened: those events have passed.
  if (body.readableEnded) ended = true
  else if (body.destroyed) failure = { error: body.errored ?? prematureClose() }
  return async () => {
    for (;;) {
      const chunk = queue.shift()
      if (chunk) {
        queued -= chunk.length
        if (queued < READ_AHEAD && body.isPaused() && !ended) body.resume()
        return chunk
      }
      if (failure) throw failure.error
      if (ended) return undefined
      await new Promise<void>((resolve) => (wake = resolve))
    }
  }
}

/** The parts of a stream (`streamParts`). */
export interface StreamParts extends PartFeed {
  /**
   * Reads the content until it ends or passes `limit` bytes: `whole` is the content when it
   * ended within them (one PutObject), else the chunks read stay first in line for the parts.
   */
  head(limit: number): Promise<Buffer | undefined>
  /** The error the stream emitted, if any (the content's own failure). */
  error(): unknown
}

/**
 * Parts of a stream of unknown length, copied from its chunks into each part buffer (the only
 * copy), one reader at a time.
 */
export function streamParts(body: Readable, partSize: number): StreamParts {
  let bodyError: unknown
  body.once('error', (error) => (bodyError = error))
  /** Chunks read ahead (by `head`), taken before the stream's next ones. */
  const pending: Buffer[] = []
  const next = chunkReader(body)
  let leftover: Buffer | undefined
  let done = false
  let count = 0
  let lock: Promise<unknown> = Promise.resolve()
  /** The next non-empty chunk, or undefined at the end. */
  const pull = async (): Promise<Buffer | undefined> => {
    if (pending.length) return pending.shift()
    while (!done) {
      const chunk = await next()
      if (chunk === undefined) done = true
      else if (chunk.length) return chunk
    }
    return undefined
  }
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = lock.then(work, work)
    lock = run.catch(() => undefined)
    return run
  }
  const read = (scratch: () => Buffer) =>
    serial(async (): Promise<Part | undefined> => {
      const buffer = scratch()
      let filled = 0
      while (filled < buffer.length) {
        leftover ??= await pull()
        if (!leftover) break
        const n = leftover.copy(buffer, filled)
        filled += n
        leftover = n < leftover.length ? leftover.subarray(n) : undefined
      }
      if (filled === 0 && count > 0) return undefined
      if (count >= MAX_PARTS) {
        throw new Error(`The content needs more than ${MAX_PARTS} parts of ${partSize} bytes: set a larger transferConfig.partSize.`)
      }
      return { number: ++count, body: buffer.subarray(0, filled), buffer }
    })
  return {
    partSize,
    next: read,
    head: (limit) =>
      serial(async () => {
        const chunks: Buffer[] = []
        let length = 0
        for (;;) {
          const chunk = await pull()
          if (!chunk) return joinChunks(chunks)
          chunks.push(chunk)
          length += chunk.length
          if (length > limit) {
            pending.push(...chunks)
            return undefined
          }
        }
      }),
    ended: () => serial(async () => leftover === undefined && !pending.length && (done || (leftover = await pull()) === undefined)),
    error: () => bodyError,
    cancel: () => {
      if (!body.destroyed) body.destroy()
    },
  }
}

/** The members of the single PutObject or an UploadPart carrying `body`. */
function bodyInput(integrity: Integrity, body: Buffer): Record<string, unknown> {
  return { Body: body, ContentLength: body.length, ...checksumMembers(integrity, body) }
}

/**
 * Uploads `source` (a stream, or a file read by ranges) to `key` in `partSize` parts, `queueSize`
 * at a time; content that fits in one part goes in one PutObject instead. When the content fails
 * (its own error wins), a request fails or the signal aborts, the parts in flight are cancelled
 * and the upload is aborted on the server before this rejects. `token` (the object's
 * `WRITE_TOKEN` metadata, in `params`) tells a failure whose object was nonetheless stored whole
 * (the answer to CompleteMultipartUpload lost, its retry answered NoSuchUpload): that is a success.
 */
export async function multipartUpload(
  ctx: TransferContext,
  key: string,
  params: Record<string, unknown>,
  source: Readable | StreamParts | FileSource | Buffer,
  token?: string,
): Promise<void> {
  const { sdk, client, bucket } = ctx
  let feed: PartFeed
  let stream: StreamParts | undefined
  if (Buffer.isBuffer(source) || 'handle' in source) feed = knownFeed(source, ctx.transfer.partSize)
  else feed = stream = 'partSize' in source ? source : streamParts(source, ctx.transfer.partSize)
  // Parts in flight carry `signal`: the caller's, or this upload's own once a part failed.
  const inner = new AbortController()
  const onAbort = () => inner.abort(ctx.signal?.reason)
  ctx.signal?.addEventListener('abort', onAbort, { once: true })
  const signal = inner.signal
  let uploadId: string | undefined
  let committing = false
  try {
    ctx.signal?.throwIfAborted()
    const integrity = await integrityOf(client, params)
    const part1 = (await feed.next(() => Buffer.allocUnsafeSlow(feed.partSize)))!
    if (await feed.ended()) {
      committing = true
      const input = { ...params, ...bodyInput(integrity, part1.body), Bucket: bucket, Key: key }
      await client.send(payloadSigning(new sdk.PutObjectCommand(input as never)), { abortSignal: signal })
      return
    }
    // Sent without the signal: its upload id is what an abort needs.
    const algorithm = integrity.crc32 ? 'CRC32' : integrity.algorithm
    const created = await client.send(
      new sdk.CreateMultipartUploadCommand({
        ...params,
        ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}),
        Bucket: bucket,
        Key: key,
      } as never),
    )
    uploadId = created.UploadId!
    const repeated = { ...uploadRequestParameters(params, false), Bucket: bucket, Key: key, UploadId: uploadId }
    const parts: Record<string, unknown>[] = []
    let failure: { error: unknown } | undefined
    const worker = async (buffer: Buffer | undefined, part: Part | undefined) => {
      try {
        for (;;) {
          part ??= await feed.next(() => (buffer ??= Buffer.allocUnsafeSlow(feed.partSize)))
          if (!part) return
          buffer ??= part.buffer // reused for this worker's next parts
          signal.throwIfAborted()
          const input = { ...repeated, ...bodyInput(integrity, part.body), PartNumber: part.number }
          const out = await client.send(payloadSigning(new sdk.UploadPartCommand(input as never)), { abortSignal: signal })
          const crc = (input as { ChecksumCRC32?: string }).ChecksumCRC32 ?? out.ChecksumCRC32
          parts[part.number - 1] = {
            PartNumber: part.number,
            ETag: out.ETag,
            ...(crc ? { ChecksumCRC32: crc } : {}),
            ...(out.ChecksumCRC32C ? { ChecksumCRC32C: out.ChecksumCRC32C } : {}),
            ...(out.ChecksumSHA1 ? { ChecksumSHA1: out.ChecksumSHA1 } : {}),
            ...(out.ChecksumSHA256 ? { ChecksumSHA256: out.ChecksumSHA256 } : {}),
          }
          part = undefined
        }
      } catch (error) {
        if (!failure) {
          failure = { error }
          inner.abort(error) // cancel the other parts in flight
          feed.cancel()
        }
      }
    }
    const queue = Math.max(1, ctx.transfer.queueSize)
    await Promise.all(Array.from({ length: queue }, (_, i) => (i === 0 ? worker(undefined, part1) : worker(undefined, undefined))))
    if (failure) throw (failure as { error: unknown }).error
    ctx.signal?.throwIfAborted()
    // The commit: once sent it runs to the end (an abort then would leave the object or not).
    committing = true
    await client.send(new sdk.CompleteMultipartUploadCommand({ ...repeated, MultipartUpload: { Parts: parts } } as never))
  } catch (error) {
    feed.cancel()
    if (uploadId) await abortUpload(ctx, key, uploadId)
    if (ctx.signal?.aborted) throw ctx.signal.reason
    // The content's own failure wins; an AbortError of the body is the upload letting go of it
    // after a failed part, not why the upload failed.
    const bodyError = stream?.error()
    if (bodyError !== undefined && !isAbortError(bodyError)) throw bodyError
    if (committing && token !== undefined && (await writtenBy(ctx, key, token, params))) return
    throw error
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort)
  }
}
