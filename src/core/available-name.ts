/**
 * Django's available-name loop (`get_available_name`), with django-storages' overwrite variant:
 * a taken name gets `_<7 random chars>` before all its suffixes, and the root is shortened to fit
 * `maxLength` (in code points) and the backend's key byte limit.
 */
import { SuspiciousFileOperation } from './errors.js'
import { getAvailableOverwriteName } from './names.js'
import { allSuffixes, codePointLength, dropLastCodePoints, join, split } from './posix.js'

/** What the loop asks of the storage. */
export interface NameHost {
  /** Whether the name is free: not stored, not reserved by a write in flight. */
  isFree(name: string): Promise<boolean>
  /** `<root>_<7 random chars><ext>`. */
  alternative(root: string, ext: string): string
  /** Longest stored name in UTF-8 bytes, if limited. */
  maxNameBytes?: number
}

/** How many code points to cut off a root so `name` fits `maxLength` and `maxBytes`. */
export function excessCodePoints(name: string, root: string, maxLength: number | null | undefined, maxBytes: number | undefined): number {
  let cut = maxLength ? Math.max(0, codePointLength(name) - maxLength) : 0
  if (maxBytes !== undefined) {
    let over = Buffer.byteLength(name) - maxBytes
    const cps = [...root]
    let n = 0
    while (over > 0 && n < cps.length) over -= Buffer.byteLength(cps[cps.length - 1 - n++]!)
    if (over > 0) n = cps.length
    cut = Math.max(cut, n)
  }
  return cut
}

/** Whether `name` fits `maxLength` (code points) and `maxBytes` (UTF-8). */
export function fits(name: string, maxLength: number | null | undefined, maxBytes: number | undefined): boolean {
  if (maxLength && codePointLength(name) > maxLength) return false
  return maxBytes === undefined || Buffer.byteLength(name) <= maxBytes
}

/** With `fileOverwrite`: the name itself, only shortened to fit (django-storages' `get_available_overwrite_name`). */
export function overwriteName(name: string, maxLength: number | null | undefined, maxBytes: number | undefined): string {
  const fitted = getAvailableOverwriteName(name, maxLength)
  const [dirName, fileName] = split(fitted)
  const cut = excessCodePoints(fitted, fileName, null, maxBytes)
  if (!cut) return fitted
  const ext = allSuffixes(fileName)
  const root = dropLastCodePoints(fileName.slice(0, fileName.length - ext.length), cut)
  if (!root) {
    throw new SuspiciousFileOperation(
      `Storage tried to truncate away entire filename "${fitted}": the name is too long for this storage.`,
      {
        key: fitted,
      },
    )
  }
  return join(dirName, root + ext)
}

/** Django's loop: `name` when free and fitting, else alternatives, shortened as needed. `name` is cleaned. */
export async function availableName(host: NameHost, name: string, maxLength: number | null | undefined): Promise<string> {
  const [dirName, fileName] = split(name)
  const ext = allSuffixes(fileName)
  let root = fileName.slice(0, fileName.length - ext.length)
  while (!(fits(name, maxLength, host.maxNameBytes) && (await host.isFree(name)))) {
    name = join(dirName, host.alternative(root, ext))
    const cut = excessCodePoints(name, root, maxLength, host.maxNameBytes)
    if (cut > 0) {
      root = dropLastCodePoints(root, cut)
      if (!root) {
        throw new SuspiciousFileOperation(
          `Storage can not find an available filename for "${name}". Please make sure that the corresponding file field allows sufficient "max_length".`,
          { key: name },
        )
      }
      name = join(dirName, host.alternative(root, ext))
    }
  }
  return name
}
