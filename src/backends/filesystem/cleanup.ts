/**
 * Removing what interrupted writes left behind: the temporary files (`.nstmp-…`) of saves whose
 * process was killed, or whose disk filled up, before they could delete their own.
 */
import { lstat, opendir, unlink } from 'node:fs/promises'
import * as path from 'node:path'
import { isTemporaryName } from '../../core/names.js'
import { isMissing } from './confine.js'
import { inFlight } from './write.js'

/**
 * Removes the temporary files under `root` (recursively, never following a symlink) last modified
 * more than `olderThan` ms ago, except those this process is writing; returns how many it removed.
 * `signal` stops the walk between directories (files removed so far stay removed).
 */
export async function removeTemporaryFiles(root: string, olderThan: number, signal?: AbortSignal): Promise<number> {
  const cutoff = Date.now() - olderThan
  let removed = 0
  const pending = [root]
  while (pending.length) {
    signal?.throwIfAborted()
    const dir = pending.pop()!
    let entries
    try {
      entries = await opendir(dir)
    } catch (error) {
      if (isMissing(error)) continue // removed meanwhile (or no location yet)
      throw error
    }
    for await (const entry of entries) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) pending.push(full)
      else if (entry.isFile() && isTemporaryName(entry.name) && !inFlight.has(full)) {
        const st = await lstat(full).catch(() => undefined)
        if (st === undefined || st.mtimeMs > cutoff) continue
        await unlink(full).then(
          () => removed++,
          (error) => {
            if (!isMissing(error)) throw error
          },
        )
      }
    }
  }
  return removed
}
