/**
 * `S3Storage._save`: how bytes reach a key without ever replacing someone else's file when
 * `fileOverwrite` is off.
 * - Small bodies (up to `multipartThreshold`, read into memory) go in one PutObject with
 *   `If-None-Match: *`; on 412 the same bytes are resent under the next free name (at most
 *   `MAX_NAME_RETRIES` times, then `FileExistsError`: a server that always answers 412).
 * - Large or unknown-length bodies stream into a multipart upload. Without overwrite (and with
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
import { copyParameters, gzipBody, readHead, type WritePlan } from './write.js'
import { copyObject, multipartUpload, putObject, type TransferContext } from './transfer.js'

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
  exists(name: string): Promise<boolean>
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
      taken = await host.exists(name)
    } catch (error) {
      CLAIMED.delete(id)
      throw error
    }
    if (!taken) return name
    CLAIMED.delete(id)
    name = await req.nextName(name)
  }
}

/** Writes `req.body` under `name` (or the next free name) and returns the name stored. */
export async function saveObject(host: SaveHost, ctx: TransferContext, name: string, req: WriteRequest, plan: WritePlan): Promise<string> {
  const body = plan.gzip ? gzipBody(req.body) : req.body
  const head = await readHead(body, host.multipartThreshold)
  const conditional = !req.overwrite && host.conditionalWrites
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
    if (head.complete) {
      const data = Buffer.concat(head.chunks)
      for (;;) {
        try {
          await putObject(ctx, host.key(name), plan.params, data, conditional ? { IfNoneMatch: '*' } : {})
          return name
        } catch (error) {
          if (!conditional || !isPreconditionFailed(error)) throw error
          await next()
        }
      }
    }
    if (!conditional) {
      await multipartUpload(ctx, host.key(name), plan.params, head.stream())
      return name
    }
    const temp = host.prefix + temporaryName(12) // the form listings hide and save() refuses
    try {
      await multipartUpload(ctx, temp, plan.params, head.stream())
      for (;;) {
        try {
          await copyObject({ ...ctx, signal: undefined }, temp, host.key(name), copyParameters(plan.params), { IfNoneMatch: '*' })
          return name
        } catch (error) {
          if (!isPreconditionFailed(error)) throw error
          await next()
        }
      }
    } finally {
      await host.deleteKey(temp).catch(() => undefined)
    }
  } finally {
    if (claimed) CLAIMED.delete(claimed)
  }
}
