/**
 * Reading and hashing many small source files in a worker thread. A no-change re-run of
 * `collectStatic` is bound by reading every source file to hash it: through `fs.promises` that is
 * four or five thread-pool round trips per file (open, fstat, read, close), about three quarters
 * of the re-run's time for 2,000 files. A worker makes the same calls synchronously, off the event
 * loop: every batch of paths is posted at once, and each answer is a few typed arrays plus the
 * buffers holding the kept bytes (several files per buffer), all transferred, never copied.
 * Anything the worker does not answer (a large file, an error, a file that changed size while
 * read, no worker threads) is left to the caller's asynchronous path, which reports errors as before.
 */
import type { Worker } from 'node:worker_threads'
import { builtin } from '../core/builtins.js'

/**
 * What the worker found for one path: its size, MD5 and (when kept) bytes, `'large'`, or
 * `undefined` (use the async path).
 */
export type WorkerScan = WorkerFound | 'large' | undefined

/** A file the worker hashed (or, `cached`, whose MD5 the hash cache gave: sources.ts). */
export interface WorkerFound {
  size: number
  md5: string
  bytes?: Uint8Array
  /** `[mtimeMs, ctimeMs, ino, dev]` of the file read (absent when the MD5 came from the cache). */
  stat?: [number, number, number, number]
  /** The MD5 is the cache entry's: the file was not read. */
  cached?: true
}

/** The answers of `scanInWorker`, by index, and what is left of the keep budget. */
export interface WorkerScanResult {
  found: WorkerScan[]
  budget: number
}

/** Below this many files the worker's start-up (a few ms) is not worth it. */
export const WORKER_MIN_FILES = 64

/** Paths per message. */
const BATCH = 256

/** Bytes of the buffers the worker reads kept files into, several files each (a larger file gets its own). */
const SLAB = 1024 * 1024

// Runs in the worker (CommonJS, evaluated from this string: no file to resolve, bundlers included).
// Answers travel as a few typed arrays and the slabs holding the kept bytes, all transferred (no
// copy, no object per file): status (0 none, 1 found, 2 large), sizes, raw MD5s,
// the stat fields of each file read, and per kept file its slab and offset.
const WORKER_SOURCE = `'use strict'
const { parentPort } = require('node:worker_threads')
const { openSync, fstatSync, readSync, closeSync } = require('node:fs')
const { createHash } = require('node:crypto')
const SLAB = ${SLAB}
let scratch = Buffer.allocUnsafeSlow(SLAB)
let budget = 0
parentPort.on('message', ({ paths, keep, limit, start }) => {
  if (start !== undefined) budget = start
  const n = paths.length
  const status = new Uint8Array(n)
  const sizes = new Float64Array(n)
  const md5 = new Uint8Array(16 * n)
  const where = new Int32Array(2 * n).fill(-1)
  const stats = new Float64Array(4 * n)
  const slabs = []
  let slab
  let used = 0
  for (let i = 0; i < n; i++) {
    let fd
    try {
      fd = openSync(paths[i], 'r')
      const st = fstatSync(fd)
      const size = st.size
      stats[4 * i] = st.mtimeMs
      stats[4 * i + 1] = st.ctimeMs
      stats[4 * i + 2] = st.ino
      stats[4 * i + 3] = st.dev
      if (size > limit) {
        status[i] = 2
        continue
      }
      // Bytes go back only for the files kept: those the caller must keep, then while the budget lasts.
      const kept = keep[i] === 1 || budget >= size
      let into
      let at = 0
      if (kept) {
        if (slab === undefined || slab.length - used < size + 1) {
          slab = Buffer.allocUnsafeSlow(Math.max(SLAB, size + 1))
          slabs.push(slab.buffer)
          used = 0
        }
        into = slab
        at = used
      } else {
        if (scratch.length < size + 1) scratch = Buffer.allocUnsafeSlow(size + 1)
        into = scratch
      }
      // One byte more than fstat's size: a file that grew, or shrank, since is left to the async path.
      const read = readSync(fd, into, at, size + 1, null)
      if (read !== size) continue
      createHash('md5').update(into.subarray(at, at + size)).digest().copy(md5, 16 * i)
      sizes[i] = size
      status[i] = 1
      if (kept) {
        if (keep[i] !== 1) budget -= size
        where[2 * i] = slabs.length - 1
        where[2 * i + 1] = at
        used += size
      }
    } catch {
      // left to the async path, which reports the error
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  }
  parentPort.postMessage({ status, sizes, md5, where, stats, slabs, budget }, [status.buffer, sizes.buffer, md5.buffer, where.buffer, stats.buffer, ...slabs])
})
`

/**
 * Starts a scan worker ahead of `scanInWorker` (its start-up, tens of ms, then overlaps the walk
 * of the sources); undefined where worker threads are not available. Pass it to `scanInWorker`,
 * which terminates it, or terminate it yourself.
 */
export function startScanWorker(): Worker | undefined {
  try {
    // execArgv: [] — the worker needs none of the parent's flags (`--import` hooks would load in it too).
    return new (builtin('node:worker_threads').Worker)(WORKER_SOURCE, { eval: true, name: 'node-storages collectstatic', execArgv: [] })
  } catch {
    return undefined
  }
}

/**
 * Reads and hashes `paths` (files of at most `limit` bytes) in one worker thread, in batches; the
 * answer for each path is at its index. The bytes come back for the paths `keep` marks and, while
 * `budget` (bytes) lasts, for the others: memory stays within the budget plus the files the
 * caller keeps anyway. Rejects only with the signal's reason; a worker that cannot start or fails
 * answers `undefined` for the paths it did not do. `started`: a worker from `startScanWorker()`.
 */
export async function scanInWorker(
  paths: readonly string[],
  limit: number,
  keep: readonly boolean[],
  budget: number,
  signal?: AbortSignal,
  started: Worker | undefined = startScanWorker(),
): Promise<WorkerScanResult> {
  const out: WorkerScan[] = new Array(paths.length).fill(undefined)
  if (!started) return { found: out, budget }
  const worker = started
  try {
    signal?.throwIfAborted()
    // Every batch is posted at once (the worker answers them in order): it never waits for us.
    const batches = Math.ceil(paths.length / BATCH)
    for (let b = 0; b < batches; b++) {
      const at = b * BATCH
      const keepBytes = Uint8Array.from(keep.slice(at, at + BATCH), (k) => (k ? 1 : 0))
      const message: Record<string, unknown> = { paths: paths.slice(at, at + BATCH), keep: keepBytes, limit }
      if (b === 0) message.start = budget
      worker.postMessage(message)
    }
    await new Promise<void>((resolve, reject) => {
      let answered = 0
      const finish = (error?: unknown) => {
        worker.off('message', onMessage)
        worker.off('error', onFailure)
        worker.off('exit', onFailure)
        signal?.removeEventListener('abort', onAbort)
        if (error === undefined) resolve()
        else reject(error)
      }
      const onMessage = (answer: BatchAnswer) => {
        budget = answer.budget
        unpack(answer, out, answered * BATCH)
        if (++answered === batches) finish()
      }
      const onFailure = () => finish() // the rest takes the async path
      const onAbort = () => finish(signal!.reason)
      worker.on('message', onMessage)
      worker.once('error', onFailure)
      worker.once('exit', onFailure)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    return { found: out, budget }
  } finally {
    await worker.terminate()
  }
}

/** One batch's answer from the worker (see the worker source). */
interface BatchAnswer {
  status: Uint8Array
  sizes: Float64Array
  md5: Uint8Array
  where: Int32Array
  stats: Float64Array
  slabs: ArrayBuffer[]
  budget: number
}

/** Writes one batch's answers into `out` from index `at`. */
function unpack({ status, sizes, md5, where, stats, slabs }: BatchAnswer, out: WorkerScan[], at: number): void {
  const digests = Buffer.from(md5.buffer, md5.byteOffset, md5.byteLength)
  for (let i = 0; i < status.length; i++) {
    if (status[i] === 2) out[at + i] = 'large'
    if (status[i] !== 1) continue
    const size = sizes[i]!
    const found: WorkerFound = {
      size,
      md5: digests.toString('hex', 16 * i, 16 * i + 16),
      stat: [stats[4 * i]!, stats[4 * i + 1]!, stats[4 * i + 2]!, stats[4 * i + 3]!],
    }
    const slab = where[2 * i]!
    if (slab >= 0) found.bytes = new Uint8Array(slabs[slab]!, where[2 * i + 1]!, size)
    out[at + i] = found
  }
}
