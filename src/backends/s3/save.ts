/**
 * `S3Storage._save`: how bytes reach a key without ever replacing someone else's file when
 * `fileOverwrite` is off.
 * - Small bodies (up to `multipartThreshold`, read into memory) go in one PutObject with
 *   `If-None-Match: *`; on 412 the same bytes are resent under the next free name.
 * - Large or unknown-length bodies stream into a multipart upload. Without overwrite (and with
 *   `conditionalWrites`) they go to a temporary key first, then a server-side copy with
 *   `If-None-Match: *` puts them under a free name (retried on 412), and the temporary key is
 *   deleted: a name taken during a long upload costs a retry, not the upload.
 * - Concurrent saves of one name in one process claim names, so they never pick the same key;
 *   with `conditionalWrites: false` (servers that ignore the header, e.g. s3rver) a HEAD made
 *   after the claim is the guard against other processes, as in django-storages.
 */
import { randomBytes } from 'node:crypto'
import type { WriteRequest } from '../../core/storage.js'
import { allSuffixes, join, split } from '../../core/posix.js'
import { isPreconditionFailed } from './errors.js'
import { copyParameters, gzipBody, readHead, type WritePlan } from './write.js'
import { copyObject, multipartUpload, putObject, type TransferContext } from './transfer.js'

/** Basename prefix of the temporary objects of no-overwrite multipart uploads; listings hide them. */
export const TEMP_PREFIX = '.nstmp-'

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
  alternativeName(root: string, ext: string): string
  conditionalWrites: boolean
  multipartThreshold: number
}

/**
 * Claims `name` (see above); returns the name claimed. The claim is released by the caller
 * (`CLAIMED.delete(host.claimId(name))`).
 */
async function claim(host: SaveHost, name: string, original: string, req: WriteRequest): Promise<string> {
  for (;;) {
    const id = host.claimId(name)
    if (CLAIMED.has(id)) {
      const [dir, file] = split(original)
      const ext = allSuffixes(file)
      name = await req.nextName(join(dir, host.alternativeName(file.slice(0, file.length - ext.length), ext)))
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
  const original = name
  let claimed: string | undefined
  if (!req.overwrite) {
    name = await claim(host, name, original, req)
    claimed = host.claimId(name)
  }
  /** Moves to the next free name after a 412, claiming it in place of the current one. */
  const next = async () => {
    const taken = name
    if (claimed) CLAIMED.delete(claimed)
    claimed = undefined
    name = await claim(host, await req.nextName(taken), original, req)
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
    const temp = `${host.prefix}${TEMP_PREFIX}${randomBytes(12).toString('hex')}`
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
