/**
 * Reading and hashing many small source files in a worker thread. A no-change re-run of
 * `collectStatic` is bound by reading every source file to hash it: through `fs.promises` that is
 * four or five thread-pool round trips per file (open, fstat, read, close), about three quarters
 * of the re-run's time for 2,000 files. A worker makes the same calls synchronously, off the event
 * loop, and answers once per batch. Anything the worker does not answer (a large file, an error,
 * no worker threads) is left to the caller's asynchronous path, which reports errors as before.
 */
import type { Worker } from 'node:worker_threads'
import { builtin } from '../core/builtins.js'

/**
 * What the worker found for one path: its size, MD5 and (when kept) bytes, `'large'`, or
 * `undefined` (use the async path).
 */
export type WorkerScan = { size: number; md5: string; bytes?: Uint8Array } | 'large' | undefined

/** The answers of `scanInWorker`, by index, and what is left of the keep budget. */
export interface WorkerScanResult {
  found: WorkerScan[]
  budget: number
}

/** Below this many files the worker's start-up (a few ms) is not worth it. */
export const WORKER_MIN_FILES = 64

/** Paths per message: the abort signal is checked between batches. */
const BATCH = 256

// Runs in the worker (CommonJS, evaluated from this string: no file to resolve, bundlers included).
const WORKER_SOURCE = `'use strict'
const { parentPort } = require('node:worker_threads')
const { openSync, fstatSync, readSync, closeSync } = require('node:fs')
const { createHash } = require('node:crypto')
parentPort.on('message', ({ paths, keep, limit, budget }) => {
  const out = paths.map((path, i) => {
    let fd
    try {
      fd = openSync(path, 'r')
      const size = fstatSync(fd).size
      if (size > limit) return 'large'
      // One byte more than the size: a file that grew since the fstat is left to the async path.
      const bytes = Buffer.allocUnsafeSlow(size + 1)
      let read = 0
      for (;;) {
        const n = readSync(fd, bytes, read, bytes.length - read, null)
        if (n === 0) break
        read += n
        if (read === bytes.length) return undefined
      }
      const data = bytes.subarray(0, read)
      const md5 = createHash('md5').update(data).digest('hex')
      // Bytes go back only for the files kept: those the caller must keep, then while the budget lasts.
      if (!keep[i]) {
        if (budget < read) return { size: read, md5 }
        budget -= read
      }
      return { size: read, md5, bytes: data }
    } catch {
      return undefined
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  })
  parentPort.postMessage({ out, budget })
})
`

/**
 * Starts a scan worker ahead of `scanInWorker` (its start-up, tens of ms, then overlaps the walk
 * of the sources); undefined where worker threads are not available. Pass it to `scanInWorker`,
 * which terminates it, or terminate it yourself.
 */
export function startScanWorker(): Worker | undefined {
  try {
    return new (builtin('node:worker_threads').Worker)(WORKER_SOURCE, { eval: true, name: 'node-storages collectstatic' })
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
    for (let start = 0; start < paths.length; start += BATCH) {
      signal?.throwIfAborted()
      const batch = paths.slice(start, start + BATCH)
      const answer = await new Promise<WorkerScanResult['found'] | undefined>((resolve) => {
        const done = (value: { out: WorkerScan[]; budget: number } | undefined) => {
          if (value) budget = value.budget
          worker.off('message', done)
          worker.off('error', failed)
          worker.off('exit', failed)
          resolve(value?.out)
        }
        const failed = () => done(undefined)
        worker.on('message', done)
        worker.once('error', failed)
        worker.once('exit', failed)
        worker.postMessage({ paths: batch, keep: keep.slice(start, start + BATCH), limit, budget })
      })
      if (!answer) break // the worker failed: the rest takes the async path
      for (let i = 0; i < answer.length; i++) out[start + i] = answer[i]
    }
    signal?.throwIfAborted()
    return { found: out, budget }
  } finally {
    await worker.terminate()
  }
}
