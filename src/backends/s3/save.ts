/**
 * `S3Storage._save`: how bytes reach a key without ever replacing someone else's file when
 * `fileOverwrite` is off.
 * - Small bodies (up to `multipartThreshold`) go in one PutObject with `If-None-Match: *`; on 412
 *   the same bytes are resent under the next free name (at most `MAX_NAME_RETRIES` times, then
 *   `FileExistsError`: a server that always answers 412). Content in memory (a Buffer, string or
 *   Blob) is sent as it is; a file (an untouched `fs.ReadStream`) streams from disk, opened again
 *   for a resend; a stream of unknown length is read into memory up to the threshold, so that it
 *   can be resent.
 * - Large bodies go into a multipart upload (multipart.ts): a file by ranged reads, content in
 *   memory by slices, a stream part by part. Without overwrite (and with
 *   `conditionalWrites`) they go to a temporary key first, then a server-side copy with
 *   `If-None-Match: *` puts them under a free name (retried on 412), and the temporary key is
 *   deleted: a name taken during a long upload costs a retry, not the upload.
 * - Concurrent saves of one name in one process claim names, so they never pick the same key
 *   (`S3Storage.isNameAvailable` counts a claimed name as taken);
 *   with `conditionalWrites: false` (servers that ignore the header, e.g. s3rver) a HEAD made
 *   after the claim is the guard against other processes, as in django-storages.
 */
import type { WriteRequest } from '../../core/storage.js'
import { FileExistsError } from '../../core/errors.js'
import { temporaryName } from '../../core/names.js'
import { isPreconditionFailed } from './errors.js'
import { bytesOf, copyParameters, gzipBody, type WritePlan } from './write.js'
import type { DebugLogger } from 'node:util'
import { builtin } from '../../core/builtins.js'
import type { Readable } from 'node:stream'
import { copyObject, putFile, putObject, withToken, writeToken, writtenBy, type TransferContext } from './transfer.js'
import { multipartUpload, type StreamParts, streamParts } from './multipart.js'
import { type FileSource, openFileSource } from './upload-body.js'

let logger: DebugLogger | undefined
/** `NODE_DEBUG=node-storages:s3` logging; node:util loads on the first message. */
const debug = (format: string, ...args: unknown[]): void => (logger ??= builtin('node:util').debuglog('node-storages:s3'))(format, ...args)

/** Keys being written without overwrite by this process (`endpoint|bucket|key`). */
const CLAIMED = new Set<string>()

/** What `saveObject` needs from the storage. */
export interface SaveHost {
  /** The key of a resolved name. */
  key(name: string): string
  /** `endpoint|bucket|key`: the identity of a key across storages of this process. */
  claimId(name: string): string
  /** The key prefix of the location (`'media/'` or `''`). */
  prefix: string
  exists(name: string, signal?: AbortSignal): Promise<boolean>
  deleteKey(key: string): Promise<void>
  conditionalWrites: boolean
  multipartThreshold: number
}

/** Whether a save of this process is writing the key (`SaveHost.claimId`) without overwrite. */
export function isClaimed(id: string): boolean {
  return CLAIMED.has(id)
}

/** How many times a save moves to another name (a 412, or a name claimed meanwhile) before giving up. */
export const MAX_NAME_RETRIES = 100

/** The error of a save that kept finding its name taken; `refused`: by 412s from the server. */
function tooManyRetries(name: string, refused: boolean): FileExistsError {
  const why = refused
    ? `the server refused ${MAX_NAME_RETRIES + 1} writes in a row as taken (412 Precondition Failed to If-None-Match: *). ` +
      'If it mis-handles If-None-Match (answers 412 for keys that do not exist), ' +
      'set conditionalWrites: false (AWS_S3_CONDITIONAL_WRITES=false).'
    : `no free name was found after ${MAX_NAME_RETRIES + 1} tries.`
  return new FileExistsError(`Could not save '${name}': ${why}`, { key: name })
}

/**
 * Claims `name` (see above); returns the name claimed. The claim is released by the caller
 * (`CLAIMED.delete(host.claimId(name))`). A name claimed by another save is passed to
 * `req.nextName`, which treats it as taken (`S3Storage.isNameAvailable`) and returns a free
 * alternative shortened to fit `maxLength` and the key limit.
 */
async function claim(host: SaveHost, name: string, req: WriteRequest): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    if (attempt > MAX_NAME_RETRIES) throw tooManyRetries(name, false)
    const id = host.claimId(name)
    if (CLAIMED.has(id)) {
      name = await req.nextName(name)
      continue
    }
    CLAIMED.add(id)
    if (host.conditionalWrites) return name
    let taken: boolean
    try {
      taken = await host.exists(name, req.signal)
    } catch (error) {
      CLAIMED.delete(id)
      throw error
    }
    if (!taken) return name
    CLAIMED.delete(id)
    name = await req.nextName(name)
  }
}

/** Temporary keys of multipart saves in progress in this process (`cleanup()` leaves them alone). */
const IN_FLIGHT = new Set<string>()

/** Whether a temporary key is being written by a save of this process. */
export function isInFlight(key: string): boolean {
  return IN_FLIGHT.has(key)
}

/**
 * Deletes the temporary key of a multipart save, retrying once; when both fail it is left for
 * `cleanup()` (it is hidden from listings, and named so cleanup finds it) and logged.
 */
async function dropTemporary(host: SaveHost, key: string): Promise<void> {
  try {
    await host.deleteKey(key).catch(() => host.deleteKey(key))
  } catch (error) {
    debug('could not delete the temporary key %s (storage.cleanup() removes it later): %s', key, (error as Error)?.name)
  } finally {
    IN_FLIGHT.delete(key)
  }
}

/** The content of a save: sent by one PutObject (`put`, repeatable), or a multipart upload (`large`). */
type Payload =
  | { put: (ctx: TransferContext, key: string, params: Record<string, unknown>, extra: Record<string, unknown>) => Promise<void> }
  | { large: Readable | StreamParts | FileSource | Buffer }

/** One PutObject of bytes in memory. */
function bytesPayload(data: Buffer): Payload {
  return { put: (ctx, key, params, extra) => putObject(ctx, key, params, data, extra) }
}

/**
 * How the content of `req` is sent (see the module comment). A stream of unknown length is read
 * up to the threshold to tell; the chunks read then go first into its parts.
 */
async function payloadOf(
  req: WriteRequest,
  plan: WritePlan,
  file: FileSource | undefined,
  ctx: TransferContext,
  threshold: number,
): Promise<Payload> {
  if (file) return file.size <= threshold ? { put: (ctx, key, params, extra) => putFile(ctx, key, params, file, extra) } : { large: file }
  const bytes = plan.gzip ? undefined : await bytesOf(req, threshold)
  if (bytes) return bytes.length <= threshold ? bytesPayload(bytes) : { large: bytes }
  const parts = streamParts(plan.gzip ? gzipBody(req.body) : req.body, ctx.transfer.partSize)
  const whole = await parts.head(threshold)
  return whole ? bytesPayload(whole) : { large: parts }
}

/**
 * Writes `req.body` under `name` (or the next free name) and returns the name stored. Writes that
 * may be retried into a 412 of their own (conditional ones) or lose the answer to their last
 * request (multipart ones) carry a write token in their metadata (`WRITE_TOKEN`): an object
 * found under the name with this save's token was stored by this save.
 */
export async function saveObject(host: SaveHost, ctx: TransferContext, name: string, req: WriteRequest, plan: WritePlan): Promise<string> {
  const file = plan.gzip ? undefined : await openFileSource(req)
  try {
    return await saveContent(host, ctx, name, req, plan.params, await payloadOf(req, plan, file, ctx, host.multipartThreshold))
  } catch (error) {
    // A failed read of the file is the content's own failure: tell save(), which listens on its stream.
    if (file?.failure !== undefined && error === file.failure && req.body.listenerCount('error') > 0) req.body.emit('error', error)
    throw error
  } finally {
    await file?.handle.close().catch(() => undefined)
  }
}

/** The name loop of `saveObject` around one PutObject or a multipart upload (and a copy). */
async function saveContent(
  host: SaveHost,
  ctx: TransferContext,
  name: string,
  req: WriteRequest,
  writeParams: Record<string, unknown>,
  payload: Payload,
): Promise<string> {
  const conditional = !req.overwrite && host.conditionalWrites
  const token = writeToken()
  /** The commit requests run to the end once started: an abort then would leave an object behind. */
  const commitCtx = { ...ctx, signal: undefined }
  let claimed: string | undefined
  if (!req.overwrite) {
    name = await claim(host, name, req)
    claimed = host.claimId(name)
  }
  let refused = 0
  /** Moves to the next free name after a 412, claiming it in place of the current one. */
  const next = async () => {
    if (++refused > MAX_NAME_RETRIES) throw tooManyRetries(name, true)
    const taken = name
    if (claimed) CLAIMED.delete(claimed)
    claimed = undefined
    name = await claim(host, await req.nextName(taken), req)
    claimed = host.claimId(name)
  }
  try {
    if ('put' in payload) {
      const params = conditional ? withToken(writeParams, token) : writeParams
      for (;;) {
        try {
          await payload.put(ctx, host.key(name), params, conditional ? { IfNoneMatch: '*' } : {})
          return name
        } catch (error) {
          if (!conditional || !isPreconditionFailed(error)) throw error
          // A 412 to the retry of a write whose answer was lost: the object is ours.
          if (await writtenBy(commitCtx, host.key(name), token, params)) return name
          await next()
        }
      }
    }
    const params = withToken(writeParams, token)
    if (!conditional) {
      await multipartUpload(ctx, host.key(name), params, payload.large, token)
      return name
    }
    const temp = host.prefix + temporaryName(12) // the form listings hide and save() refuses
    IN_FLIGHT.add(temp)
    try {
      await multipartUpload(ctx, temp, params, payload.large, token)
      for (;;) {
        try {
          await copyObject(commitCtx, temp, host.key(name), copyParameters(writeParams), { IfNoneMatch: '*' })
          return name
        } catch (error) {
          if (!isPreconditionFailed(error)) throw error
          // The copy carries the temporary object's metadata, token included.
          if (await writtenBy(commitCtx, host.key(name), token, writeParams)) return name
          await next()
        }
      }
    } finally {
      await dropTemporary(host, temp)
    }
  } finally {
    if (claimed) CLAIMED.delete(claimed)
  }
}
