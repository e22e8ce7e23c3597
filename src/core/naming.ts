/**
 * The naming half of `Storage`: Django's name rules as methods a subclass may override
 * (`getValidName`, `getAlternativeName`, `generateFilename`, `getAvailableName`), the
 * available-name loop with the backend's limits and reservations, and name resolution.
 */
import { availableName, fits, overwriteName } from './available-name.js'
import { StorageBackend, type BaseStorageOptions } from './backend.js'
import { builtin } from './builtins.js'
import { assertNoTraversal, cleanName, getValidFilename, validateFileName } from './names.js'
import { join, normpath, split } from './posix.js'
import { maxNameBytes, resolveName, resolveTargetName } from './resolve.js'
import type { IoOptions } from './types.js'

/** Name rules and resolution; `Storage` extends it with the public I/O methods. */
export abstract class NamingStorage extends StorageBackend {
  /** Whether `save()` replaces an existing file of the same name (default false). */
  readonly fileOverwrite: boolean

  protected constructor(options: BaseStorageOptions = {}) {
    super()
    this.fileOverwrite = options.fileOverwrite ?? false
  }

  // ---------------------------------------------------------------- names

  /** Checks a name and resolves it relative to `location` (see core/resolve.ts). */
  protected resolveName(name: string): string {
    return resolveName(name, this.nameLimits)
  }

  /** The checks of a name a file is written under; returns the resolved name. */
  protected checkTargetName(name: string): string {
    return resolveTargetName(name, this.nameLimits)
  }

  /** Django's `get_valid_name`: `getValidFilename`. */
  getValidName(name: string): string {
    return getValidFilename(name)
  }

  /** Django's `get_alternative_name`: `<root>_<7 random [A-Za-z0-9]><ext>`. */
  getAlternativeName(fileRoot: string, fileExt: string): string {
    const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    const { randomInt } = builtin('node:crypto')
    let suffix = ''
    for (let i = 0; i < 7; i++) suffix += chars[randomInt(chars.length)]
    return `${fileRoot}_${suffix}${fileExt}`
  }

  /**
   * Django's `generate_filename`: the directory kept, the file name made valid
   * (`some/folder/test with space.txt` → `some/folder/test_with_space.txt`).
   */
  generateFilename(filename: string): string {
    const [dirName, fileName] = split(String(filename).replace(/\\/g, '/'))
    assertNoTraversal(dirName)
    return normpath(join(dirName, this.getValidName(fileName)))
  }

  /** Django's `is_name_available`: not existing, not reserved, and fitting `maxLength` and the key limit. */
  async isNameAvailable(name: string, maxLength?: number | null): Promise<boolean> {
    if (!fits(name, maxLength, maxNameBytes(this.nameLimits))) return false
    return this.isFree(name)
  }

  private async isFree(name: string, signal?: AbortSignal): Promise<boolean> {
    if (this.isNameReserved(this.resolveName(name))) return false
    return !(await this.exists(name, signal ? { signal } : {}))
  }

  /**
   * A free name close to `name`: Django's loop (`_<7 random chars>` before all suffixes, the root
   * shortened to fit `maxLength` and the backend's byte limit). With `fileOverwrite` the name
   * itself, only shortened (django-storages' `get_available_overwrite_name`).
   */
  async getAvailableName(name: string, maxLength?: number | null): Promise<string> {
    return this.pickName(name, maxLength, false)
  }

  /** `getAvailableName`, taking the first candidate as free when `trustFirst` (see `exclusiveCommit`). */
  protected async pickName(name: string, maxLength: number | null | undefined, trustFirst: boolean, signal?: AbortSignal): Promise<string> {
    if (typeof name !== 'string') this.resolveName(name)
    // Django's checks on the name as given, then the name normalised and confined.
    const [rawDir, rawFile] = split(name.replace(/\\/g, '/'))
    assertNoTraversal(rawDir)
    validateFileName(rawFile)
    this.resolveName(name)
    const cleaned = cleanName(name.replace(/\\/g, '/'))
    const maxBytes = maxNameBytes(this.nameLimits)
    if (this.fileOverwrite) return overwriteName(cleaned, maxLength, maxBytes)
    return availableName(
      {
        isFree: (n) => (trustFirst ? ((trustFirst = false), Promise.resolve(true)) : this.isFree(n, signal)),
        alternative: (root, ext) => this.getAlternativeName(root, ext),
        maxNameBytes: maxBytes,
      },
      cleaned,
      maxLength,
    )
  }

  /** Whether the name exists (implemented by `Storage`). */
  abstract exists(name: string, options?: IoOptions): Promise<boolean>
}
