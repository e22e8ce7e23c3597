/**
 * Resolving a caller's name inside a storage: control characters, absolute names and names that
 * escape throw `SuspiciousFileOperation("Attempted access to '<name>' denied.")`; the result is
 * relative to `location`, `/`-separated and normalised. A backend states its limits once, as a
 * `NameLimits` value (S3: the key prefix and S3's 1,024-byte key limit).
 */
import { SuspiciousFileOperation } from './errors.js'
import { cleanName, hasControlCharacters, isTemporaryName, safeJoin, validateFileName } from './names.js'
import { basename } from './posix.js'

/** What a backend's names are confined to and limited by. */
export interface NameLimits {
  /** The key prefix names live under (S3's `location`); `''` for storages rooted at a directory. */
  prefix: string
  /** The longest stored key in UTF-8 bytes, prefix included (S3: 1,024), if limited. */
  maxKeyBytes?: number
  /** What the key limit is called in messages (e.g. `S3's limit of 1,024 bytes`). */
  limitName?: string
}

/** Limits of a storage with no prefix and no byte limit. */
export const NO_LIMITS: NameLimits = { prefix: '' }

// A name matching none of these is its own cleaned, safely joined form (the fast path of url()).
const NEEDS_NORMALISING = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|\\|^\//

/** The prefix without leading or trailing `/`, and with `/` when non-empty (`media/`). */
export function keyPrefix(limits: NameLimits): string {
  const p = limits.prefix.replace(/^\/+|\/+$/g, '')
  return p ? p + '/' : ''
}

/** The longest name (relative to the prefix) in UTF-8 bytes, if limited. */
export function maxNameBytes(limits: NameLimits): number | undefined {
  return limits.maxKeyBytes === undefined ? undefined : limits.maxKeyBytes - Buffer.byteLength(keyPrefix(limits))
}

function checkKeyLength(resolved: string, given: string, limits: NameLimits): void {
  if (limits.maxKeyBytes === undefined) return
  const bytes = Buffer.byteLength(keyPrefix(limits) + resolved)
  if (bytes > limits.maxKeyBytes) {
    throw new SuspiciousFileOperation(
      `Attempted access to '${given}' denied: its key would be ${bytes} bytes of UTF-8, over ${limits.limitName ?? `the limit of ${limits.maxKeyBytes} bytes`} (location included).`,
      { key: given },
    )
  }
}

/** Resolves `name` inside the storage (see the module comment); throws `SuspiciousFileOperation`. */
export function resolveName(name: string, limits: NameLimits): string {
  if (typeof name !== 'string') {
    throw new SuspiciousFileOperation(`Attempted access to '${String(name)}' denied: a name must be a string.`, { key: String(name) })
  }
  const denied = () => new SuspiciousFileOperation(`Attempted access to '${name}' denied.`, { key: name })
  if (hasControlCharacters(name)) throw denied()
  if (!NEEDS_NORMALISING.test(name)) {
    // Already normal (no `.`/`..` segment, no `//`, `\\` or leading `/`): resolves to itself.
    checkKeyLength(name, name, limits)
    return name
  }
  const cleaned = cleanName(name)
  if (cleaned.startsWith('/')) throw denied()
  const ns = limits.prefix.replace(/^\/+|\/+$/g, '')
  let joined: string
  try {
    joined = safeJoin(ns, cleaned)
  } catch {
    throw denied()
  }
  const resolved = ns ? joined.slice(ns.length + 1) : joined
  checkKeyLength(resolved, name, limits)
  return resolved
}

/**
 * The checks of a name a file is written under: a string, Django's `validate_file_name` (no
 * absolute name, no `..`, a file name), then `resolveName`, and not the temporary-file form.
 */
export function resolveTargetName(name: string, limits: NameLimits): string {
  if (typeof name !== 'string') return resolveName(name, limits)
  validateFileName(name, true)
  const resolved = resolveName(name, limits)
  if (isTemporaryName(basename(resolved))) {
    throw new SuspiciousFileOperation(
      `'${name}' has the form of node-storages' temporary files (.nstmp-<hex>), which listings hide: pick another name.`,
      { key: name },
    )
  }
  return resolved
}
