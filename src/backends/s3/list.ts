/**
 * Listing S3 keys: ListObjectsV2 pages fetched as they are consumed (by the direct request of
 * list-direct.ts when the context has one, else the SDK's), markers and temp keys hidden.
 */
import type { FileEntry } from '../../core/types.js'
import type { TransferContext } from './transfer.js'
import { isTemporaryName } from '../../core/names.js'
import type { ListPage, ListRequest } from './list-direct.js'

/** Where to list and what to hide. */
export interface ListScope {
  /** The key prefix of the storage's location (`'media/'` or `''`). */
  root: string
  /** The prefix to list (`root` + directory + `/`). */
  prefix: string
  /** Sent with every request when set (from `objectParameters`). */
  expectedBucketOwner?: string
}

/** ListObjectsV2 pages under `prefix`, one request per page consumed. */
export async function* listPages(ctx: TransferContext, scope: ListScope, delimiter?: string): AsyncGenerator<ListPage> {
  let token: string | undefined
  do {
    const request: ListRequest = {
      Prefix: scope.prefix,
      ...(delimiter ? { Delimiter: delimiter } : {}),
      ...(token ? { ContinuationToken: token } : {}),
      ...(scope.expectedBucketOwner ? { ExpectedBucketOwner: scope.expectedBucketOwner } : {}),
    }
    const viaSdk = () =>
      ctx.client
        .send(new ctx.sdk.ListObjectsV2Command({ Bucket: ctx.bucket, ...request }), { abortSignal: ctx.signal })
        .catch((error: unknown) => {
          throw ctx.signal?.aborted ? ctx.signal.reason : error // the caller's reason, not the SDK's AbortError
        })
    const page = ctx.list ? await ctx.list.page(request, ctx.signal, viaSdk) : await viaSdk()
    yield page
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
}

/** Keys that are not files: directory markers (`dir/`) and our temporary upload keys. */
function hidden(scope: ListScope, key: string): boolean {
  return key.endsWith('/') || (key.startsWith(scope.root) && isTemporaryName(key.slice(scope.root.length)))
}

/**
 * django-storages' `listdir`: `[directories, files]` one level under the prefix, all pages, bare
 * names, the directory's own marker hidden and trailing slashes stripped.
 */
export async function listdir(ctx: TransferContext, scope: ListScope): Promise<[string[], string[]]> {
  const dirs: string[] = []
  const files: string[] = []
  for await (const page of listPages(ctx, scope, '/')) {
    for (const p of page.CommonPrefixes ?? []) {
      const dir = p.Prefix!.slice(scope.prefix.length).replace(/\/+$/, '')
      if (dir !== '') dirs.push(dir)
    }
    for (const o of page.Contents ?? []) {
      if (o.Key === scope.prefix || hidden(scope, o.Key!)) continue
      files.push(o.Key!.slice(scope.prefix.length))
    }
  }
  return [dirs, files]
}

/** The files under the prefix (one level, or every level), names relative to the location. */
export async function* listFiles(ctx: TransferContext, scope: ListScope, recursive: boolean): AsyncGenerator<FileEntry> {
  for await (const page of listPages(ctx, scope, recursive ? undefined : '/')) {
    for (const o of page.Contents ?? []) {
      if (hidden(scope, o.Key!)) continue
      yield {
        name: o.Key!.slice(scope.root.length),
        size: o.Size ?? 0,
        lastModified: o.LastModified ?? new Date(0),
        ...(o.ETag ? { etag: o.ETag } : {}),
      }
    }
  }
}
