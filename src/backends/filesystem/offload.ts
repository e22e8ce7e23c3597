/**
 * Small saves in one message instead of five thread-pool round trips. A save of a few KiB is
 * bound by round trips, not bytes: create the temporary file, write, link, close, unlink are five
 * trips through libuv's thread pool (each a wake-up of a pool thread and of the event loop), where
 * `fs.writeFile` makes three. One worker thread per process, started on the first small save,
 * runs the same system calls synchronously — on its own thread, never the event loop's — and
 * answers with one message. Until it is up, when it has a backlog, or if it cannot start, saves
 * take the thread-pool path; the guarantees are the same on both (exclusive temporary file,
 * exact mode, exclusive link or rename, temporary file removed).
 */
import type { Worker } from 'node:worker_threads'
import { builtin } from '../../core/builtins.js'

/** One small write for the worker: bytes into `tmp` (created exclusively), then committed to `target`. */
export interface OffloadJob {
  tmp: string
  target: string
  bytes: Uint8Array
  /** Mode to create `tmp` with; `fchmod` sets it exactly (past the umask). */
  mode: number
  fchmod: boolean
  /** rename over `target` (true) or link to it, failing on a taken name (false). */
  overwrite: boolean
}

/** Largest save the worker takes (larger ones are bound by bytes: the thread pool writes them in parallel). */
export const OFFLOAD_MAX_BYTES = 64 * 1024
const MAX_BACKLOG = 8
// The worker starts at the 16th small save of the process: a script that saves a few files never pays for it.
const WARM_UP_SAVES = 16
let smallSaves = 0

// Runs in the worker (CommonJS, evaluated from this string: no file to resolve, bundlers included).
const WORKER_SOURCE = `'use strict'
const { parentPort } = require('node:worker_threads')
const fs = require('node:fs')
const CREATE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL
const plain = (e) => ({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, dest: e.dest })
parentPort.on('message', ({ id, tmp, target, bytes, mode, fchmod, overwrite }) => {
  let fd = -1
  let step = 'open'
  try {
    fd = fs.openSync(tmp, CREATE, mode)
    step = 'write'
    for (let off = 0; off < bytes.byteLength; ) off += fs.writeSync(fd, bytes, off, bytes.byteLength - off)
    if (fchmod) fs.fchmodSync(fd, mode)
    fs.closeSync(fd)
    fd = -1
    step = 'commit'
    if (overwrite) fs.renameSync(tmp, target)
    else fs.linkSync(tmp, target)
    step = 'done'
  } catch (error) {
    if (fd >= 0) try { fs.closeSync(fd) } catch {}
    if (step !== 'open') try { fs.unlinkSync(tmp) } catch {}
    parentPort.postMessage({ id, error: plain(error) })
    return
  }
  if (!overwrite) try { fs.unlinkSync(tmp) } catch {}
  parentPort.postMessage({ id })
})
`

type Settle = { resolve: () => void; reject: (error: Error) => void }

/** One worker and the jobs it was given. */
interface Slot {
  worker: Worker
  ready: boolean
  pending: Map<number, Settle>
}

// Two workers at most (one on a single core): the second starts only when the first has a backlog.
// node:os and node:worker_threads load with the first worker, not with the package.
let maxWorkers: number | undefined
const workerLimit = (): number => (maxWorkers ??= Math.min(2, builtin('node:os').availableParallelism()))
const slots: Slot[] = []
let disabled = false
let seq = 0
let jobs = 0

/** An `fs`-like error from the worker's plain copy (code, errno, syscall and path kept for error mapping). */
function toError(plain: { message: string; code?: string; errno?: number; syscall?: string; path?: string; dest?: string }): Error {
  return Object.assign(new Error(plain.message), plain)
}

function fail(slot: Slot, error: Error): void {
  disabled = true // no new jobs for any worker in this process: the thread-pool path is always there
  slot.ready = false
  const i = slots.indexOf(slot)
  if (i >= 0) slots.splice(i, 1)
  for (const settle of slot.pending.values()) settle.reject(error)
  slot.pending.clear()
}

function start(): void {
  let worker: Worker
  try {
    worker = new (builtin('node:worker_threads').Worker)(WORKER_SOURCE, { eval: true, name: 'node-storages fs' })
  } catch {
    disabled = true // no worker threads here (a restricted runtime): the thread-pool path it is
    return
  }
  const slot: Slot = { worker, ready: false, pending: new Map() }
  slots.push(slot)
  worker.once('online', () => {
    slot.ready = slots.includes(slot)
  })
  worker.on('message', ({ id, error }: { id: number; error?: Parameters<typeof toError>[0] }) => {
    const settle = slot.pending.get(id)
    slot.pending.delete(id)
    if (slot.pending.size === 0) worker.unref()
    if (error) settle?.reject(toError(error))
    else settle?.resolve()
  })
  worker.on('error', (error) => fail(slot, error))
  worker.on('exit', (code) => fail(slot, new Error(`node-storages' file worker exited (code ${code}) with saves in flight`)))
  // Referenced only while it has work, so an idle worker never keeps the process alive (after
  // the listeners: adding a 'message' listener references the worker's port again).
  worker.unref()
}

/** The ready worker with the fewest jobs, if one has room. */
function pick(): Slot | undefined {
  let best: Slot | undefined
  for (const slot of slots)
    if (slot.ready && slot.pending.size < MAX_BACKLOG && (!best || slot.pending.size < best.pending.size)) best = slot
  return best
}

/** Whether a worker can take a job now; starts one at the 16th small save, a second on demand. */
export function offloadAvailable(size: number): boolean {
  if (disabled || size > OFFLOAD_MAX_BYTES) return false
  if (slots.length === 0) {
    if (++smallSaves >= WARM_UP_SAVES) start()
    return false
  }
  const slot = pick()
  if (slots.length < workerLimit() && slots.every((s) => s.ready && s.pending.size >= 2)) start()
  return slot !== undefined
}

/** Runs `job` in a worker (after `offloadAvailable()` said yes); rejects with the `fs` error of the step that failed. */
export function offload(job: OffloadJob): Promise<void> {
  const slot = pick() ?? slots.find((s) => s.ready)
  if (!slot) return Promise.reject(new Error("node-storages' file worker is gone"))
  const id = seq++
  jobs++
  // A view of a larger buffer would be cloned whole: send a copy of just its bytes.
  const { bytes } = job
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes)
  return new Promise<void>((resolve, reject) => {
    if (slot.pending.size === 0) slot.worker.ref()
    slot.pending.set(id, { resolve, reject })
    slot.worker.postMessage({ id, ...job, bytes: own })
  })
}

/** Turns the workers off (or back on) for this process; for tests of either path. */
export function setOffload(enabled: boolean): void {
  disabled = !enabled
}

/** How many jobs the workers were given in this process (tests check which path a save took). */
export function offloadedJobs(): number {
  return jobs
}

/** Starts a worker now and settles once it takes jobs (false: it cannot run here); for tests. */
export async function offloadReady(): Promise<boolean> {
  if (disabled) return false
  if (slots.length === 0) start()
  while (!slots.some((s) => s.ready) && !disabled) await new Promise((r) => setTimeout(r, 5))
  return slots.some((s) => s.ready)
}
