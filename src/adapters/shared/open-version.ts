/**
 * Opening a file for a response whose headers and bytes must come from the same version of it,
 * even while another writer replaces it: `storage.openVersion()` gives the stat and reads of that
 * version (FileSystemStorage from one open descriptor, InMemoryStorage from one record). The
 * core's default for other backends checks each read against the stat and fails with 503
 * (`E_UNAVAILABLE`) when the file changed meanwhile: then the version is opened again.
 */
import type { Readable } from 'node:stream'
import { isStorageError, ServiceUnavailableError } from '../../core/errors.js'
import type { Storage } from '../../core/storage.js'
import type { FileStat } from '../../core/types.js'
import type { ByteRange } from './conditional.js'

// A file replaced in a tight loop can beat a checked read a few times in a row: after the first
// misses the reader waits a little (randomly, so readers and writer fall out of step).
const ATTEMPTS = 24
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10)))

/** A file's stat and, when a body was asked for, a stream of exactly that version. */
export interface OpenedForResponse {
  stat: FileStat
  body?: Readable
}

/**
 * The stat of `name` and, when `rangeOf(stat)` asks for bytes, a stream of that range of the same
 * version. `rangeOf` returns undefined when no body is needed (HEAD, 304, 416, an empty file).
 * Throws the storage's errors (`FileNotFoundError` for a file deleted meanwhile).
 */
export async function openVersion(
  storage: Storage,
  name: string,
  rangeOf: (st: FileStat) => ByteRange | undefined,
  signal: AbortSignal,
): Promise<OpenedForResponse> {
  for (let attempt = 0; ; attempt++) {
    if (attempt >= 2) await pause(attempt)
    const opened = await storage.openVersion(name, { signal })
    const range = rangeOf(opened.stat)
    if (!range) {
      await opened.close()
      return { stat: opened.stat }
    }
    try {
      return { stat: opened.stat, body: await opened.read(range) }
    } catch (error) {
      const changed = isStorageError(error) && error instanceof ServiceUnavailableError && error.operation === 'open'
      if (!changed || attempt + 1 >= ATTEMPTS) throw error
    }
  }
}
