/**
 * The files `collectStatic` collects: every file under the source directories (symbolic links
 * followed), named by its path relative to its source with `/` separators, Django's ignore
 * patterns applied to every segment, the first source winning when two hold the same name (as
 * Django's finders). Each file is hashed (MD5) as it is found, with bounded concurrency.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, readdir, readFile, stat } from 'node:fs/promises'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import { gzip } from 'node:zlib'
import { promisify } from 'node:util'
import { InvalidArgumentError } from '../core/errors.js'
import { mapLimit } from './pool.js'
import { scanInWorker, startScanWorker, WORKER_MIN_FILES, type WorkerScan } from './scan-worker.js'
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

/** MD5 of a file read as a stream (large files). */
async function streamMd5(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5')
  for await (const chunk of createReadStream(file, { signal })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Bytes of small files kept in memory after hashing, so they are not read twice (64 MiB). */
export const KEEP_BUDGET = 64 * 1024 * 1024

/**
 * Finds and hashes the files under `sources` (directories; a missing one or a file throws
 * `InvalidArgumentError`). Sorted by name. Files up to `WHOLE_READ_LIMIT` are read whole, in
 * one open, and their bytes kept while the budget lasts (always for the names `keep` selects).
 * From `WORKER_MIN_FILES` files on, a worker thread reads and hashes them first (scan-worker.ts);
 * what it leaves takes the asynchronous path below.
 */
export async function scanSources(sources: readonly string[], options: ScanOptions): Promise<SourceFile[]> {
  const byName = new Map<string, string>()
  // The scan worker starts once the walk has found enough files, so its start-up overlaps the walk.
  let seen = 0
  let worker: Worker | undefined
  const onFile = () => {
    if (++seen === WORKER_MIN_FILES) worker = startScanWorker()
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
  let budget = KEEP_BUDGET
  let quick: WorkerScan[] = []
  if (worker && entries.length < WORKER_MIN_FILES) {
    await worker.terminate() // fewer names than files found: sources sharing names
  } else if (worker) {
    const keep = entries.map(([name]) => options.keep(name))
    const scanned = await scanInWorker(
      entries.map(([, full]) => full),
      WHOLE_READ_LIMIT,
      keep,
      budget,
      options.signal,
      worker,
    )
    quick = scanned.found
    budget = scanned.budget
  }
  return mapLimit(entries, options.concurrency, async ([name, full], index): Promise<SourceFile> => {
    options.signal?.throwIfAborted()
    const found = quick[index]
    if (found !== undefined && found !== 'large') {
      quick[index] = undefined // its bytes, if any, now belong to the result alone
      const content = found.bytes && Buffer.from(found.bytes.buffer, found.bytes.byteOffset, found.bytes.byteLength)
      return { name, path: full, size: found.size, md5: found.md5, ...(content ? { content } : {}) }
    }
    const handle = await open(full, 'r')
    let bytes: Buffer | undefined
    let size: number
    try {
      size = (await handle.stat()).size
      if (size <= WHOLE_READ_LIMIT) bytes = await handle.readFile({ signal: options.signal })
    } finally {
      await handle.close()
    }
    if (bytes === undefined) {
      const md5 = await streamMd5(full, options.signal)
      const content = options.keep(name) ? await readFile(full, { signal: options.signal }) : undefined
      return { name, path: full, size, md5, ...(content ? { content } : {}) }
    }
    const md5 = createHash('md5').update(bytes).digest('hex')
    const keep = options.keep(name) || budget >= bytes.length
    if (keep && !options.keep(name)) budget -= bytes.length
    return { name, path: full, size: bytes.length, md5, ...(keep ? { content: bytes } : {}) }
  })
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
