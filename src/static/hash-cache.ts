/**
 * The local hash cache of `collectStatic`: the MD5 of each source file it has read, remembered
 * with the file's size, modification and change times, inode and device, so that a re-run takes
 * the MD5 of an untouched file from one `stat` instead of reading and hashing it (as git's index
 * does). Nothing about the storage is cached: what is stored is still compared with every file's
 * MD5 through the listing, each run.
 *
 * An entry is used only when all five stat fields are unchanged. A write to a file changes its
 * change time (ctime), which no program can set back, so a file rewritten with the same size and
 * its old mtime is still read again. A file changed within {@link RACY_MS} before a scan began is
 * not remembered at all (its times could be those of a later write in the same clock tick), so it
 * is read again next time.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import * as path from 'node:path'

/** Files changed this close before a scan began (ms) are not remembered. */
export const RACY_MS = 2000

/** What is remembered of one file: `[size, mtimeMs, ctimeMs, ino, dev, md5]`. */
export type CacheEntry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, dev: number, md5: string]

/** The cache of one set of sources: entries by absolute path. */
export interface HashCache {
  /** Where it is kept. */
  file: string
  entries: Map<string, CacheEntry>
  /** Whether a scan saves what it learnt (false in a dry run, which writes nothing). */
  persist: boolean
}

const VERSION = 1

/**
 * The default cache file of a set of source directories, one file per set of sources: under
 * `$CACHE_DIR/node-storages` when `CACHE_DIR` names a directory (the convention of
 * find-cache-dir, which babel-loader and others follow), else under
 * `node_modules/.cache/node-storages` of the working directory; undefined (no cache) when the
 * working directory has no `node_modules`.
 */
export async function defaultCacheFile(
  sources: readonly string[],
  cwd = process.cwd(),
  env: Record<string, string | undefined> = process.env,
): Promise<string | undefined> {
  const id = createHash('sha256')
    .update(JSON.stringify(sources.map((s) => path.resolve(cwd, s))))
    .digest('hex')
    .slice(0, 16)
  const name = `collectstatic-${id}.json`
  const dir = env.CACHE_DIR
  if (dir && !['true', 'false', '1', '0'].includes(dir)) return path.join(path.resolve(cwd, dir), 'node-storages', name)
  const modules = path.join(cwd, 'node_modules')
  if (!(await stat(modules).catch(() => undefined))?.isDirectory()) return undefined
  return path.join(modules, '.cache', 'node-storages', name)
}

/** Reads the cache kept at `file`; an absent, unreadable or malformed file is an empty cache. */
export async function loadHashCache(file: string, persist = true): Promise<HashCache> {
  const entries = new Map<string, CacheEntry>()
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown; files?: Record<string, unknown> }
    if (data.version === VERSION && data.files && typeof data.files === 'object') {
      for (const [name, entry] of Object.entries(data.files)) if (isEntry(entry)) entries.set(name, entry)
    }
  } catch {
    // no cache yet, or one we cannot read: every file is read
  }
  return { file, entries, persist }
}

function isEntry(value: unknown): value is CacheEntry {
  return (
    Array.isArray(value) &&
    value.length === 6 &&
    value.slice(0, 5).every((n) => typeof n === 'number' && Number.isFinite(n)) &&
    typeof value[5] === 'string' &&
    /^[0-9a-f]{32}$/.test(value[5])
  )
}

/**
 * Keeps `entries` at `cache.file` (a temporary file renamed over it: a reader never sees half a
 * file). Failures are ignored: the cache only saves work.
 */
export async function saveHashCache(file: string, entries: Map<string, CacheEntry>): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`
  try {
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(temp, JSON.stringify({ version: VERSION, files: Object.fromEntries(entries) }))
    await rename(temp, file)
  } catch {
    await rm(temp, { force: true }).catch(() => undefined)
  }
}
