/**
 * `S3Storage.cleanup()`: removes what interrupted multipart saves left under the location. A save
 * without overwrite streams into a temporary key (`<location>/.nstmp-<hex>`, hidden from listings)
 * before copying it to its name; a killed process, or a delete that failed twice, leaves that key,
 * or an incomplete multipart upload to it (whose parts S3 bills until aborted). Both are found by
 * their prefix, so the cost is one listing of each kind, not a walk of the bucket. Incomplete
 * uploads to other keys are not touched (nothing tells whose they are): a lifecycle rule
 * `AbortIncompleteMultipartUpload` handles those.
 */
import { isTemporaryName, TEMP_NAME_PREFIX } from '../../core/names.js'
import type { S3Sdk } from './client.js'
import { listPages } from './list.js'
import type { TransferContext } from './transfer.js'

/** What the cleanup needs besides the client. */
export interface CleanupScope {
  /** The key prefix of the location (`'media/'` or `''`). */
  root: string
  /** Milliseconds: only leftovers older than this go. */
  olderThan: number
  /** Keys a save of this process is still writing (kept whatever their age). */
  inFlight(key: string): boolean
}

/** Whether a key is a temporary key directly under `root`. */
function isTemporaryKey(root: string, key: string): boolean {
  return key.startsWith(root) && isTemporaryName(key.slice(root.length))
}

/** Deletes the temporary objects older than the cutoff; returns how many. */
async function removeObjects(ctx: TransferContext & { sdk: S3Sdk }, scope: CleanupScope, cutoff: number): Promise<number> {
  const stale: string[] = []
  for await (const page of listPages(ctx, { root: scope.root, prefix: scope.root + TEMP_NAME_PREFIX })) {
    for (const o of page.Contents ?? []) {
      const key = o.Key ?? ''
      if (!isTemporaryKey(scope.root, key) || scope.inFlight(key)) continue
      if ((o.LastModified?.getTime() ?? 0) <= cutoff) stale.push(key)
    }
  }
  let removed = 0
  for (const key of stale) {
    ctx.signal?.throwIfAborted()
    await ctx.client.send(new ctx.sdk.DeleteObjectCommand({ Bucket: ctx.bucket, Key: key }), { abortSignal: ctx.signal })
    removed++
  }
  return removed
}

/** Aborts the incomplete multipart uploads to temporary keys started before the cutoff; returns how many. */
async function abortUploads(ctx: TransferContext & { sdk: S3Sdk }, scope: CleanupScope, cutoff: number): Promise<number> {
  let aborted = 0
  let keyMarker: string | undefined
  let uploadIdMarker: string | undefined
  do {
    const page = await ctx.client.send(
      new ctx.sdk.ListMultipartUploadsCommand({
        Bucket: ctx.bucket,
        Prefix: scope.root + TEMP_NAME_PREFIX,
        ...(keyMarker ? { KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker } : {}),
      }),
      { abortSignal: ctx.signal },
    )
    for (const u of page.Uploads ?? []) {
      const key = u.Key ?? ''
      if (!isTemporaryKey(scope.root, key) || scope.inFlight(key) || (u.Initiated?.getTime() ?? 0) > cutoff) continue
      ctx.signal?.throwIfAborted()
      try {
        await ctx.client.send(new ctx.sdk.AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: u.UploadId }), {
          abortSignal: ctx.signal,
        })
        aborted++
      } catch (error) {
        if ((error as { name?: string })?.name !== 'NoSuchUpload') throw error // gone meanwhile: fine
      }
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined
    uploadIdMarker = page.NextUploadIdMarker
  } while (keyMarker)
  return aborted
}

/**
 * Removes the temporary objects of interrupted saves and aborts the incomplete multipart uploads
 * to temporary keys, both older than `scope.olderThan`; returns how many of both.
 */
export async function cleanupS3(ctx: TransferContext & { sdk: S3Sdk }, scope: CleanupScope): Promise<number> {
  const cutoff = Date.now() - scope.olderThan
  const uploads = await abortUploads(ctx, scope, cutoff)
  return uploads + (await removeObjects(ctx, scope, cutoff))
}
