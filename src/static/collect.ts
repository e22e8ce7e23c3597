/**
 * `collectStatic()`: Django's `collectstatic` for any `Storage`, as a sync. Every file under the
 * source directories is stored under its relative name (and, with `manifest`, also under its
 * hashed name, with `staticfiles.json` written last); what is already stored with the same bytes
 * is not sent again; `delete` removes the stored names no source has. See sync.ts for how
 * equality is decided and files are replaced, post-process.ts for the manifest.
 */
import { InvalidArgumentError, isStorageError } from '../core/errors.js'
import { isAbortError } from '../core/wrap-error.js'
import type { Storage } from '../core/storage.js'
import type { FileEntry, WriteStreamOptions } from '../core/types.js'
import { defaultCacheFile, loadHashCache } from './hash-cache.js'
import { DEFAULT_MANIFEST_NAME, serializeManifest } from './manifest-file.js'
import { DEFAULT_IGNORE_PATTERNS, IMMUTABLE_CACHE_CONTROL, looksHashed, md5Hex, segmentMatcher } from './names.js'
import { mapLimit } from './pool.js'
import { postProcess } from './post-process.js'
import { adjustableKind } from './references.js'
import { scanSources } from './sources.js'
import { isStored, storedFiles, storeFile, type PlannedFile } from './sync.js'

/** Options of the `manifest` (Django's ManifestStaticFilesStorage settings). */
export interface ManifestOptions {
  /** Name of the manifest in the storage (default `staticfiles.json`). */
  name?: string
  /** `STATIC_URL` (default `/static/`): `/`-rooted references under it are rewritten, others left alone. */
  staticUrl?: string
  /**
   * A CSS/JS reference to a file that is not collected fails the run naming both files (default
   * true, as Django); false leaves it as it is and reports a warning through `onWarning`.
   */
  strict?: boolean
}

/** What `onProgress` receives, once per file handled. */
export interface CollectProgress {
  /** What happened (in a dry run: what would have). */
  action: 'uploaded' | 'unchanged' | 'deleted' | 'failed'
  name: string
  /** Files handled so far, and in all (uploads and skips, then deletions once known). */
  done: number
  total: number
  /** Bytes sent so far. */
  bytes: number
}

/** Options of `collectStatic()`. */
export interface CollectStaticOptions {
  /** Store hashed copies and `staticfiles.json` (Django's ManifestStaticFilesStorage); default false. */
  manifest?: boolean | ManifestOptions
  /** Delete stored names that no source has (after everything else succeeded); default false. */
  delete?: boolean
  /** Store and delete nothing; the result says what would have been done. Default false. */
  dryRun?: boolean
  /** Files read, compared and sent at a time (default 16). */
  concurrency?: number
  /** Called once per file handled. */
  onProgress?: (progress: CollectProgress) => void
  /** Receives warnings (references left as they are with `manifest: { strict: false }`). */
  onWarning?: (message: string) => void
  /** Aborts the run: the promise rejects, no manifest is written, nothing is deleted. */
  signal?: AbortSignal
  /**
   * Which names carry a content hash and get `Cache-Control: public, max-age=31536000, immutable`
   * (the manifest's hashed names always do). Default: names with a hex hash segment
   * (`app.3f2a9c1b.js`, see `looksHashed`); Vite: `(name) => name.startsWith('assets/')`; false: none.
   */
  immutable?: RegExp | ((name: string) => boolean) | false
  /**
   * The `Cache-Control` of hashed names (default `public, max-age=31536000, immutable`); null
   * leaves it to the storage. A storage that declares its own (`objectParameters.CacheControl`
   * as a public property) keeps it.
   */
  cacheControl?: string | null
  /** `fnmatch` patterns of file and directory names to skip (default Django's `CVS`, `.*`, `*~`). */
  ignorePatterns?: readonly string[]
  /**
   * The local hash cache (hash-cache.ts): a file remembering each source file's MD5 with its size,
   * times, inode and device, so that a re-run reads only the files that changed. Default: a file
   * under `node_modules/.cache/node-storages/` of the working directory, when it has
   * `node_modules` (else none); a path: that file; false: none (every file is read). A dry run
   * uses it but does not write it.
   */
  cache?: string | false
}

/** A file that could not be stored or deleted. */
export interface FailedFile {
  name: string
  error: unknown
}

/** What `collectStatic()` did (in a dry run: would have done). */
export interface CollectStaticResult {
  /** Files sent (the manifest included). */
  uploaded: number
  /** Files already stored with the same bytes. */
  unchanged: number
  /** Stored names deleted (`delete`). */
  deleted: number
  /** Bytes sent (before the storage's own compression). */
  bytes: number
  /** Files that failed; when any did, no manifest was written and nothing was deleted. */
  failed: FailedFile[]
  /** The names sent and deleted. */
  names: { uploaded: string[]; deleted: string[] }
  /** With `manifest`: its name, paths and hash, and whether the storage now holds it. */
  manifest?: { name: string; paths: Record<string, string>; hash: string; published: boolean }
  dryRun: boolean
}

/** The `Cache-Control` the storage declares for every write, when it exposes one. */
function declaredCacheControl(storage: Storage): string | undefined {
  const params = (storage as { objectParameters?: unknown }).objectParameters
  const value = params && typeof params === 'object' ? (params as Record<string, unknown>).CacheControl : undefined
  return typeof value === 'string' ? value : undefined
}

function immutableTest(option: CollectStaticOptions['immutable']): (name: string) => boolean {
  if (option === false) return () => false
  if (option instanceof RegExp) return (name) => option.test(name)
  return option ?? looksHashed
}

function checkConcurrency(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > 1000) {
    throw new InvalidArgumentError(`collectStatic: concurrency must be a whole number from 1 to 1000; got ${String(value)}.`)
  }
  return value
}

/**
 * Copies every file under `sources` into `storage` (Django's `collectstatic`): unchanged files
 * are skipped by content (no request per file on S3), changed ones replaced under their own
 * name, `manifest` adds hashed copies with rewritten CSS/JS references and `staticfiles.json`
 * (written last: a failed run leaves the previous one in place), `delete` removes stored names
 * no source has. Per-file failures are collected in `failed`; setup failures (a missing source,
 * a reference to a missing file, the listing) reject.
 */
export async function collectStatic(
  sources: string | readonly string[],
  storage: Storage,
  options: CollectStaticOptions = {},
): Promise<CollectStaticResult> {
  try {
    return await collect(sources, storage, options)
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason
    throw error
  }
}

async function collect(sources: string | readonly string[], storage: Storage, options: CollectStaticOptions): Promise<CollectStaticResult> {
  const { signal, onProgress } = options
  const dryRun = options.dryRun ?? false
  const concurrency = checkConcurrency(options.concurrency ?? 16)
  const manifestOptions: ManifestOptions | undefined = options.manifest ? (options.manifest === true ? {} : options.manifest) : undefined
  const manifestName = manifestOptions?.name ?? DEFAULT_MANIFEST_NAME
  const isImmutable = immutableTest(options.immutable)
  const cacheControl =
    declaredCacheControl(storage) !== undefined ? null : options.cacheControl === undefined ? IMMUTABLE_CACHE_CONTROL : options.cacheControl
  signal?.throwIfAborted()

  // The listing runs while the sources are read.
  const listing = storedFiles(storage, signal)
  listing.catch(() => undefined)
  const sourceList = typeof sources === 'string' ? [sources] : sources
  // The cache is read while the sources are walked.
  const cache =
    options.cache === false
      ? undefined
      : (options.cache === undefined ? defaultCacheFile(sourceList) : Promise.resolve(options.cache)).then((file) =>
          file === undefined ? undefined : loadHashCache(file, !dryRun),
        )
  const files = await scanSources(sourceList, {
    ...(cache ? { cache } : {}),
    ignore: segmentMatcher(options.ignorePatterns ?? DEFAULT_IGNORE_PATTERNS),
    keep: (name) => manifestOptions !== undefined && adjustableKind(name) !== undefined,
    concurrency,
    signal,
  })

  const planned: PlannedFile[] = files.map((f) => ({ name: f.name, md5: f.md5, size: f.size, source: f, immutable: isImmutable(f.name) }))
  let manifestFile: PlannedFile | undefined
  let manifest: CollectStaticResult['manifest']
  if (manifestOptions) {
    const processed = postProcess(new Map(files.map((f) => [f.name, { md5: f.md5, ...(f.content ? { content: f.content } : {}) }])), {
      staticUrl: manifestOptions.staticUrl,
      strict: manifestOptions.strict,
      onWarning: options.onWarning,
    })
    const taken = new Set(planned.map((p) => p.name))
    for (const f of files) {
      const name = processed.paths.get(f.name)!
      if (taken.has(name)) continue
      taken.add(name)
      const bytes = processed.rewritten.get(f.name)
      planned.push(
        bytes
          ? { name, md5: md5Hex(bytes), size: bytes.length, bytes, immutable: true }
          : { name, md5: f.md5, size: f.size, source: f, immutable: true },
      )
    }
    const { bytes, hash } = serializeManifest(processed.paths)
    manifestFile = { name: manifestName, md5: md5Hex(bytes), size: bytes.length, bytes, immutable: false }
    manifest = { name: manifestName, paths: Object.fromEntries(processed.paths), hash, published: false }
  }

  const stored = await listing
  const result: CollectStaticResult = {
    uploaded: 0,
    unchanged: 0,
    deleted: 0,
    bytes: 0,
    failed: [],
    names: { uploaded: [], deleted: [] },
    ...(manifest ? { manifest } : {}),
    dryRun,
  }
  let done = 0
  let total = planned.length
  const report = (action: CollectProgress['action'], name: string) =>
    onProgress?.({ action, name, done: ++done, total, bytes: result.bytes })

  /** Skips, sends or records the failure of one file; returns whether the storage now holds it. */
  const sync = async (file: PlannedFile, entry: FileEntry | undefined): Promise<boolean> => {
    let action: 'uploaded' | 'unchanged'
    try {
      if (await isStored(storage, entry, file, signal)) action = 'unchanged'
      else {
        const writeOptions: WriteStreamOptions = file.immutable && cacheControl ? { cacheControl } : {}
        if (!dryRun) await storeFile(storage, file, writeOptions, signal)
        action = 'uploaded'
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason
      if (isAbortError(error)) throw error
      result.failed.push({ name: file.name, error })
      report('failed', file.name)
      return false
    }
    if (action === 'unchanged') result.unchanged++
    else {
      result.uploaded++
      result.bytes += file.size
      result.names.uploaded.push(file.name)
    }
    report(action, file.name) // outside the try: an error of onProgress is the caller's, not the file's
    return true
  }

  await mapLimit(planned, concurrency, (file) => sync(file, stored.get(file.name)))
  // Written last, and only when every file is stored: a failed run leaves the previous manifest.
  if (manifestFile && result.failed.length === 0) {
    total++
    manifest!.published = (await sync(manifestFile, stored.get(manifestFile.name))) && !dryRun
  }

  if (options.delete && result.failed.length === 0) {
    const keep = new Set(planned.map((p) => p.name))
    if (manifestFile) keep.add(manifestFile.name)
    const extraneous = [...stored.keys()].filter((name) => !keep.has(name)).sort()
    total += extraneous.length
    for (let i = 0; i < extraneous.length; i += 1000) {
      const batch = extraneous.slice(i, i + 1000)
      try {
        if (!dryRun) await storage.deleteMany(batch, { signal })
      } catch (error) {
        if (signal?.aborted) throw signal.reason
        if (isAbortError(error) || !isStorageError(error)) throw error
        for (const name of batch) result.failed.push({ name, error })
        continue
      }
      for (const name of batch) {
        result.deleted++
        result.names.deleted.push(name)
        report('deleted', name)
      }
    }
  }
  result.names.uploaded.sort()
  return result
}
