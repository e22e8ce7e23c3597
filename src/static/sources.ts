/**
 * The files `collectStatic` collects: every file under the source directories (symbolic links
 * followed), named by its path relative to its source with `/` separators, Django's ignore
 * patterns applied to every segment, the first source winning when two hold the same name (as
 * Django's finders). Each file is hashed (MD5) as it is found, with bounded concurrency.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { type FileHandle, open, readdir, readFile, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import { gzip } from 'node:zlib'
import { promisify } from 'node:util'
import { InvalidArgumentError } from '../core/errors.js'
import { mapLimit } from './pool.js'
import { type CacheEntry, type HashCache, RACY_MS, saveHashCache } from './hash-cache.js'
import { scanInWorker, startScanWorker, WORKER_MIN_FILES, type WorkerFound, type WorkerScan } from './scan-worker.js'
import type { Worker } from 'node:worker_threads'

const gzipAsync = promisify(gzip)

/** Files up to this size are read whole (one read); larger ones are hashed and sent as streams. */
export const WHOLE_READ_LIMIT = 4 * 1024 * 1024

/** A file found under a source directory. */
export interface SourceFile {
  /** Name relative to its source directory, `/`-separated: the name it is stored under. */
  name: string
  /** Its absolute path on disk. */
  path: string
  size: number
  /** Hex MD5 of its bytes. */
  md5: string
  /** Its bytes, when kept (CSS and JS in manifest mode; small files while `KEEP_BUDGET` lasts). */
  content?: Buffer
}

/** Options of `scanSources`. */
export interface ScanOptions {
  /** Whether a name segment (file or directory name) is ignored. */
  ignore: (segment: string) => boolean
  /** Whether to keep the bytes of a file in `content`. */
  keep: (name: string) => boolean
  concurrency: number
  signal?: AbortSignal
  /** Remembered hashes (hash-cache.ts), being loaded: used for untouched files, and updated with the files read. */
  cache?: Promise<HashCache | undefined>
}

/** `[name, absolute path]` of the files under `root`, depth-first, ignored segments skipped. */
async function walk(
  root: string,
  ignore: (segment: string) => boolean,
  signal?: AbortSignal,
  onFile?: () => void,
): Promise<[string, string][]> {
  const found: [string, string][] = []
  const pending: string[] = ['']
  while (pending.length > 0) {
    signal?.throwIfAborted()
    const dir = pending.pop()!
    const entries = await readdir(path.join(root, dir), { withFileTypes: true })
    for (const entry of entries) {
      if (ignore(entry.name)) continue
      const name = dir === '' ? entry.name : `${dir}/${entry.name}`
      const full = path.join(root, name)
      let isDir = entry.isDirectory()
      let isFile = entry.isFile()
      if (entry.isSymbolicLink()) {
        const target = await stat(full).catch(() => undefined) // a dangling link is skipped
        isDir = target?.isDirectory() ?? false
        isFile = target?.isFile() ?? false
      }
      if (isDir) pending.push(name)
      else if (isFile) {
        found.push([name, full])
        onFile?.()
      }
    }
  }
  return found
}

/** MD5 of an open file read as a stream from its start (large files); the handle stays open. */
async function streamMd5(handle: FileHandle, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5')
  for await (const chunk of handle.createReadStream({ start: 0, autoClose: false, signal })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Bytes of small files kept in memory after hashing, so they are not read twice (64 MiB). */
export const KEEP_BUDGET = 64 * 1024 * 1024

/**
 * Finds and hashes the files under `sources` (directories; a missing one or a file throws
 * `InvalidArgumentError`). Sorted by name. Files up to `WHOLE_READ_LIMIT` are read whole, in
 * one open, and their bytes kept while the budget lasts (always for the names `keep` selects).
 * With a hash cache, untouched files not kept get their MD5 from it (one `stat` each). When
 * `WORKER_MIN_FILES` or more files are left to read, a worker thread reads and hashes them first
 * (scan-worker.ts); what it leaves takes the asynchronous path below. The cache is then updated.
 */
export async function scanSources(sources: readonly string[], options: ScanOptions): Promise<SourceFile[]> {
  const began = Date.now()
  const byName = new Map<string, string>()
  // Whether the hash cache has loaded (null: not yet), and with how many entries.
  let remembered: number | null = options.cache ? null : 0
  options.cache?.then((cache) => (remembered = cache?.entries.size ?? 0))
  // The scan worker starts once the walk has found enough files, so its start-up overlaps the
  // walk; not while a hash cache may answer for the files (decided after the walk, below).
  let seen = 0
  let worker: Worker | undefined
  const onFile = () => {
    if (++seen === WORKER_MIN_FILES && remembered === 0) worker = startScanWorker()
  }
  try {
    for (const source of sources) {
      const root = path.resolve(source)
      const info = await stat(root).catch(() => undefined)
      if (!info?.isDirectory()) {
        throw new InvalidArgumentError(`collectStatic: the source '${source}' is not a directory${info ? '' : ' (it does not exist)'}.`)
      }
      for (const [name, full] of await walk(root, options.ignore, options.signal, onFile)) if (!byName.has(name)) byName.set(name, full)
    }
  } catch (error) {
    await worker?.terminate()
    throw error
  }
  const entries = [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const paths = entries.map(([, full]) => full)
  const keep = entries.map(([name]) => options.keep(name))
  const quick: WorkerScan[] = new Array(entries.length).fill(undefined)
  const cache = await options.cache
  if (cache && cache.entries.size > 0) await cacheHits(cache, paths, keep, quick, options.signal)
  const misses = quick.flatMap((found, i) => (found === undefined ? [i] : []))
  let budget = KEEP_BUDGET
  if (misses.length >= WORKER_MIN_FILES) {
    const scanned = await scanInWorker(
      misses.map((i) => paths[i]!),
      WHOLE_READ_LIMIT,
      misses.map((i) => keep[i]!),
      budget,
      options.signal,
      worker ?? startScanWorker(),
    )
    misses.forEach((i, k) => {
      quick[i] = scanned.found[k]
    })
    budget = scanned.budget
  } else await worker?.terminate() // few files left to read (or sources sharing names)
  // What each file's hash came from, for the cache: the stat of the file read, or the cache itself.
  const learnt: (Learnt | undefined)[] = quick.map((f) => (f === undefined || f === 'large' ? undefined : { ...f, bytes: undefined }))
  const files = await mapLimit(entries, options.concurrency, async ([name, full], index): Promise<SourceFile> => {
    options.signal?.throwIfAborted()
    const found = quick[index]
    if (found !== undefined && found !== 'large') {
      quick[index] = undefined // its bytes, if any, now belong to the result alone
      const content = found.bytes && Buffer.from(found.bytes.buffer, found.bytes.byteOffset, found.bytes.byteLength)
      return { name, path: full, size: found.size, md5: found.md5, ...(content ? { content } : {}) }
    }
    // One open for the stat and every byte hashed, so that what the cache remembers describes the
    // bytes hashed even if the path is re-pointed meanwhile (a release symlink flipped).
    const handle = await open(full, 'r')
    let bytes: Buffer | undefined
    let streamed: string | undefined
    let st: Stats
    try {
      st = await handle.stat()
      if (st.size <= WHOLE_READ_LIMIT || options.keep(name)) bytes = await handle.readFile({ signal: options.signal })
      else streamed = await streamMd5(handle, options.signal)
    } finally {
      await handle.close()
    }
    const stat: Learnt['stat'] = [st.mtimeMs, st.ctimeMs, st.ino, st.dev]
    if (streamed !== undefined) {
      learnt[index] = { size: st.size, md5: streamed, stat }
      return { name, path: full, size: st.size, md5: streamed }
    }
    bytes = bytes!
    const md5 = createHash('md5').update(bytes).digest('hex')
    if (bytes.length === st.size) learnt[index] = { size: st.size, md5, stat }
    const keep = options.keep(name) || budget >= bytes.length
    if (keep && !options.keep(name)) budget -= bytes.length
    return { name, path: full, size: bytes.length, md5, ...(keep ? { content: bytes } : {}) }
  })
  if (cache) await remember(cache, paths, learnt, began)
  return files
}

/** How a file's MD5 was found, as the cache records it. */
type Learnt = Omit<WorkerFound, 'bytes'>

/** Stats in flight at a time while checking the hash cache. */
const STAT_CONCURRENCY = 32

/**
 * The files the hash cache answers for: those not kept in memory whose size, times, inode and
 * device are still the remembered ones (one `stat` each) get the remembered MD5 in `found`.
 */
async function cacheHits(
  cache: HashCache,
  paths: readonly string[],
  keep: readonly boolean[],
  found: WorkerScan[],
  signal?: AbortSignal,
): Promise<void> {
  const candidates = paths.flatMap((full, i) => (keep[i] || !cache.entries.has(full) ? [] : [i]))
  await mapLimit(candidates, STAT_CONCURRENCY, async (i) => {
    signal?.throwIfAborted()
    const entry = cache.entries.get(paths[i]!)!
    const st = await stat(paths[i]!).catch(() => undefined)
    if (
      st?.isFile() &&
      st.size === entry[0] &&
      st.mtimeMs === entry[1] &&
      st.ctimeMs === entry[2] &&
      st.ino === entry[3] &&
      st.dev === entry[4]
    ) {
      found[i] = { size: st.size, md5: entry[5], cached: true }
    }
  })
}

/**
 * Updates the hash cache with this scan: entries of the files read (unless changed within
 * `RACY_MS` before the scan began), those taken from it, no others; saved when anything differs.
 */
async function remember(cache: HashCache, paths: readonly string[], found: readonly (Learnt | undefined)[], began: number): Promise<void> {
  const next = new Map<string, CacheEntry>()
  let changed = false
  found.forEach((f, i) => {
    if (f === undefined) return
    const full = paths[i]!
    const old = cache.entries.get(full)
    if (f.cached && old) next.set(full, old)
    else if (f.stat && Math.max(f.stat[0], f.stat[1]) < began - RACY_MS) {
      const entry: CacheEntry = [f.size, ...f.stat, f.md5]
      next.set(full, entry)
      if (!old || old.some((value, k) => value !== entry[k])) changed = true
    }
  })
  if (cache.persist && (changed || next.size !== cache.entries.size)) await saveHashCache(cache.file, next)
  cache.entries = next
}

/** The bytes of a source file: kept ones from memory, else read again. */
export async function readSource(file: SourceFile, signal?: AbortSignal): Promise<Buffer> {
  return file.content ?? readFile(file.path, { signal })
}

/** A stream of a source file's bytes (for large files). */
export function streamSource(file: SourceFile): Readable {
  return createReadStream(file.path)
}

/**
 * Hex MD5 of the bytes gzipped the way S3Storage stores them with `gzip` on (level 9, no name,
 * mtime 0: deterministic), so that an object stored gzipped is recognised by its ETag.
 */
export async function gzipMd5(bytes: Buffer): Promise<string> {
  return createHash('md5')
    .update(await gzipAsync(bytes, { level: 9 }))
    .digest('hex')
}
