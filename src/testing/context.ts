/** What every part of the shared behaviour suite receives. */
import type { Storage } from '../core/storage.js'

/** Optional behaviours a backend may lack; their tests are skipped when false. */
export interface StorageCapabilities {
  /** `exists(dir)` is true for a directory holding files (filesystem, memory; not S3). */
  directories?: boolean
  /** `path()` returns a local absolute path. */
  path?: boolean
  /** `getCreatedTime` and `getAccessedTime` return dates. */
  times?: boolean
  /** `signedUploadUrl()` works with the factory's storage. */
  signedUploads?: boolean
}

/** Builds the storage under test, fresh or reused; `fileOverwrite` as asked. */
export type StorageFactory = (options: { fileOverwrite: boolean }) => Storage | Promise<Storage>

/** The shared state of one `describeStorage` run. */
export interface SuiteContext {
  /** The storage of the current test (no overwrite). */
  storage(): Storage
  /** A second storage of the same backend with `fileOverwrite: true` (its own files). */
  overwriting(): Promise<Storage>
  capabilities: StorageCapabilities
}

/** All names stored, recursively. */
export async function allNames(storage: Storage): Promise<string[]> {
  const names: string[] = []
  for await (const entry of storage.list('', { recursive: true })) names.push(entry.name)
  return names.sort()
}

/** A buffer of `size` bytes with a recognisable pattern seeded by `seed`. */
export function pattern(size: number, seed = 1): Buffer {
  const buf = Buffer.alloc(size)
  for (let i = 0; i < size; i++) buf[i] = (i * 31 + seed * 7) & 0xff
  return buf
}

/**
 * Writes `payload` with `createWriteStream(name)`, ends it, waits `delay` ms (-1: not at all)
 * and destroys it; resolves once it closed, with whether it had finished and whether the file
 * exists. A correct backend has `exists === finished`.
 */
export async function destroyAfterEnd(storage: Storage, name: string, delay: number): Promise<{ finished: boolean; exists: boolean }> {
  const stream = storage.createWriteStream(name)
  let finished = false
  stream.on('finish', () => (finished = true))
  stream.on('error', () => {})
  const closed = new Promise<void>((resolve) => stream.on('close', () => resolve()))
  stream.end('payload')
  if (delay >= 0) await new Promise((r) => setTimeout(r, delay))
  if (!stream.destroyed) stream.destroy(new Error('cancelled'))
  await closed
  return { finished, exists: await storage.exists(name) }
}
