/**
 * `node-storages cleanup [--older-than AGE]`: removes what interrupted writes left behind
 * (`storage.cleanup()`): temporary files of the filesystem backend, temporary objects and their
 * incomplete multipart uploads on S3. AGE is a number of milliseconds or a number with a unit
 * (`90s`, `30m`, `12h`, `2d`); default one day, so writes in progress elsewhere are never cut short.
 */
import { isStorageError } from '../core/errors.js'
import type { Storage } from '../core/storage.js'

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** The usage line of the command. */
export const CLEANUP_USAGE =
  'cleanup [--older-than AGE]  remove leftovers of interrupted writes older than AGE (ms, or 90s, 30m, 12h, 2d; default 1d)'

/** `AGE` in ms (`1500`, `90s`, `30m`, `12h`, `2d`), or undefined when it is not one. */
export function parseAge(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim())
  if (!m) return undefined
  const ms = Number(m[1]) * UNITS[m[2] ?? 'ms']!
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}

/** `ms` as the largest whole unit (`86400000` → `1d`), for messages. */
function formatAge(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms >= UNITS[unit]! && ms % UNITS[unit]! === 0) return `${ms / UNITS[unit]!}${unit}`
  return `${ms}ms`
}

/**
 * Runs `node-storages cleanup` on `storage` with the arguments after the command name; writes its
 * lines through `out` and resolves to the exit code: 0 done, 1 the storage failed, 2 bad arguments.
 */
export async function cleanupCommand(storage: Storage, args: string[], out: (line: string) => void): Promise<number> {
  let olderThan = UNITS.d!
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const inline = arg.startsWith('--older-than=') ? arg.slice('--older-than='.length) : undefined
    if (arg !== '--older-than' && inline === undefined) {
      out(`cleanup: unknown argument '${arg}'. Usage: node-storages ${CLEANUP_USAGE}`)
      return 2
    }
    const value = inline ?? args[++i]
    const age = value === undefined ? undefined : parseAge(value)
    if (age === undefined) {
      out(`cleanup: --older-than takes an age in ms or with a unit (90s, 30m, 12h, 2d), got '${value ?? ''}'.`)
      return 2
    }
    olderThan = age
  }
  try {
    const removed = await storage.cleanup({ olderThan })
    out(
      `${String(storage)}: removed ${removed} leftover${removed === 1 ? '' : 's'} of interrupted writes older than ${formatAge(olderThan)}.`,
    )
    return 0
  } catch (error) {
    const message = isStorageError(error) ? `${error.code}: ${error.message}` : String((error as Error)?.message ?? error)
    out(`cleanup: ${message}`)
    return 1
  }
}
