/**
 * The user-facing `Storage`: every public method validates the name, resolves it inside
 * `location`, picks available names and wraps errors — once, here — then calls the backend's
 * small protected contract (`_save`, `_open`, ...). Backends extend this class and implement only
 * those methods; docs/custom-backends.md lists them.
 */
import type { Readable, Writable } from 'node:stream'
import { randomInt } from 'node:crypto'
import {
  ContentError,
  InvalidNameError,
  InvalidRangeError,
  StorageError,
  SuspiciousFileOperation,
  type StorageOperation,
} from './errors.js'
import { assertNoTraversal, cleanName, getValidFilename, validateFileName } from './names.js'
import { join, normpath, split } from './posix.js'
import { contentName, knownLength, prepareBody, toReadable } from './content.js'
import { availableName, fits, overwriteName } from './available-name.js'
import { maxNameBytes, resolveName, resolveTargetName } from './resolve.js'
import { genericStorageError, isAbortError, type ErrorContext } from './wrap-error.js'
import type {
  Content,
  FileEntry,
  FileStat,
  IoOptions,
  ListOptions,
  OpenOptions,
  SaveOptions,
  SignedUpload,
  SignedUploadOptions,
  UrlOptions,
  WriteStreamOptions,
} from './types.js'

export type { NameLimits } from './resolve.js'
export type { WriteRequest, TimeKind } from './backend.js'
import { StorageBackend, type TimeKind } from './backend.js'
export type { ErrorContext } from './wrap-error.js'

/** Throws for a range that is not two whole numbers >= 0 with start <= end. */
function checkRange({ start, end }: OpenOptions): void {
  const whole = (n: number | undefined) => n === undefined || (Number.isSafeInteger(n) && n >= 0)
  if (!whole(start) || !whole(end) || (start !== undefined && end !== undefined && start > end)) {
    throw new InvalidRangeError(
      `Invalid byte range start=${String(start)} end=${String(end)}: use whole numbers >= 0 with start <= end (end is inclusive).`,
    )
  }
}

/** The options every backend has. */
export interface BaseStorageOptions {
  /** Keep existing files (default false): a taken name gets a `_<7 random chars>` suffix. */
  fileOverwrite?: boolean
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * Abstract base class of every storage. Users call its public methods; backends implement the
 * protected `_`-prefixed ones, which receive names already checked and resolved: relative to
 * `location`, `/`-separated, normalised, never escaping.
 */
export abstract class Storage extends StorageBackend {
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

  private async isFree(name: string): Promise<boolean> {
    if (this.isNameReserved(this.resolveName(name))) return false
    return !(await this.exists(name))
  }

  /**
   * A free name close to `name`: Django's loop (`_<7 random chars>` before all suffixes, the root
   * shortened to fit `maxLength` and the backend's byte limit). With `fileOverwrite` the name
   * itself, only shortened (django-storages' `get_available_overwrite_name`).
   */
  async getAvailableName(name: string, maxLength?: number | null): Promise<string> {
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
      { isFree: (n) => this.isFree(n), alternative: (root, ext) => this.getAlternativeName(root, ext), maxNameBytes: maxBytes },
      cleaned,
      maxLength,
    )
  }

  // ---------------------------------------------------------------- errors

  /** Wraps any error once: storage errors and aborts pass through, provider errors get a class and `cause`. */
  protected wrapError(error: unknown, operation: StorageOperation, name: string): unknown {
    if (error instanceof StorageError || isAbortError(error)) return error
    let resolved: string | undefined
    try {
      resolved = this.resolveName(name)
    } catch {
      resolved = undefined
    }
    const context: ErrorContext = { operation, name, ...(resolved !== undefined ? { resolved } : {}) }
    return this.mapError(error, context) ?? genericStorageError(error, context)
  }

  /** Runs a call: rejects with the signal's reason when it aborts (at once when `race`), else wraps errors once. */
  private async run<T>(
    operation: StorageOperation,
    name: string,
    signal: AbortSignal | undefined,
    fn: () => Promise<T> | T,
    race = true,
  ): Promise<T> {
    try {
      signal?.throwIfAborted()
      const work = Promise.resolve(fn())
      return await (race ? abortable(work, signal) : work)
    } catch (error) {
      if (signal?.aborted && error === signal.reason) throw error
      throw this.wrapError(error, operation, name)
    }
  }

  // ---------------------------------------------------------------- the public API

  /**
   * Saves `content` under `name` (or `content.name`) and returns the name stored, which differs
   * from `name` when it was taken and `fileOverwrite` is off. Streams are never buffered whole; a
   * failed or aborted save leaves nothing behind.
   */
  async save(name: string | null | undefined, content: Content, options: SaveOptions = {}): Promise<string> {
    const given = name ?? contentName(content)
    if (given === undefined) {
      throw new SuspiciousFileOperation("Could not derive file name from '': pass a name, or content with a `name`.", { key: '' })
    }
    this.checkTargetName(given)
    const { maxLength, onProgress, signal, ...rest } = options
    const source = toReadable(content)
    // The content may fail before a backend reads it (a missing file behind an fs.ReadStream, a
    // client that went away while the name was being picked): record it instead of letting an
    // unhandled 'error' event end the process, and report it as the content's failure.
    let sourceError: unknown
    source.on('error', (error) => {
      sourceError ??= error
    })
    // Not raced: the backend settles only after it cleaned up, so nothing is left behind.
    return this.run(
      'save',
      given,
      signal,
      async () => {
        try {
          const available = await this.getAvailableName(given, maxLength)
          validateFileName(available, true)
          signal?.throwIfAborted()
          if (sourceError !== undefined) throw sourceError
          const size = knownLength(content)
          const body = prepareBody(source, size, { signal, onProgress })
          const nextName = async (taken: string) => {
            const next = await this.getAvailableName(taken, maxLength)
            validateFileName(next, true)
            return this.resolveName(next)
          }
          const resolved = this.resolveName(available)
          const stored = await this._save(resolved, { ...rest, signal, body, size, content, overwrite: this.fileOverwrite, nextName })
          return validateFileName(stored, true)
        } catch (error) {
          if (!source.destroyed) source.destroy()
          if (signal?.aborted) throw signal.reason
          if (error !== undefined && error === sourceError && !isAbortError(error)) {
            const message = (error as Error)?.message ?? String(error)
            throw new ContentError(`Could not read the content to save as '${given}': ${message}`, {
              key: given,
              operation: 'save',
              cause: error,
            })
          }
          throw error
        }
      },
      false,
    )
  }

  /** A read stream of the file; `start`/`end` (inclusive) read a range. Missing: `FileNotFoundError`. */
  async open(name: string, options: OpenOptions = {}): Promise<Readable> {
    const key = this.resolveName(name)
    checkRange(options)
    return this.run('open', name, options.signal, () => this._open(key, options))
  }

  /** The whole content of the file. Missing: `FileNotFoundError`. */
  async read(name: string, options: IoOptions = {}): Promise<Buffer> {
    const key = this.resolveName(name)
    return this.run('read', name, options.signal, () => this._read(key, options))
  }

  /**
   * A Writable that stores what is written under `name` (overwriting it) once the stream
   * finishes; an errored or destroyed stream leaves nothing behind.
   */
  createWriteStream(name: string, options: WriteStreamOptions = {}): Writable {
    const key = this.checkTargetName(name)
    return this._createWriteStream(key, options, (error) => this.wrapError(error, 'write', name))
  }

  /** A resolved name that must name a file, not the storage root. */
  private fileKey(name: string, method: string): string {
    if (name === '' || name == null) throw new InvalidNameError(`The name must be given to ${method}().`)
    const key = this.resolveName(name)
    if (key === '') throw new InvalidNameError(`${method}() needs the name of a file: '${name}' names the storage root.`, { key: name })
    return key
  }

  /** Deletes the file; a missing file is no error, an empty name is. */
  async delete(name: string, options: IoOptions = {}): Promise<void> {
    const key = this.fileKey(name, 'delete')
    return this.run('delete', name, options.signal, () => this._delete(key, options))
  }

  /** Deletes every name given (batched where the backend can). Names are all checked first. */
  async deleteMany(names: Iterable<string>, options: IoOptions = {}): Promise<void> {
    const list = [...names]
    const keys = list.map((n) => this.fileKey(n, 'deleteMany'))
    return this.run('delete', list.join(', '), options.signal, () => this._deleteMany(keys, options))
  }

  /** Whether the name exists (filesystem and memory: also for a directory). */
  async exists(name: string, options: IoOptions = {}): Promise<boolean> {
    const key = this.resolveName(name)
    return this.run('exists', name, options.signal, () => this._exists(key, options))
  }

  /** `[directories, files]` one level under `path`, bare names; a missing directory is empty. */
  async listdir(path = '', options: IoOptions = {}): Promise<[string[], string[]]> {
    const key = this.resolveName(path)
    return this.run('list', path, options.signal, () => this._listdir(key, options))
  }

  /** Files under the directory `prefix` (`''`: the root), read lazily; `recursive` descends. */
  async *list(prefix = '', options: ListOptions = {}): AsyncIterable<FileEntry> {
    const key = this.resolveName(prefix)
    try {
      for await (const entry of this._list(key, options)) {
        options.signal?.throwIfAborted()
        yield entry
      }
    } catch (error) {
      if (options.signal?.aborted && error === options.signal.reason) throw error
      throw this.wrapError(error, 'list', prefix)
    }
  }

  /** Size in bytes. Missing: `FileNotFoundError`. */
  async size(name: string, options: IoOptions = {}): Promise<number> {
    return (await this.stat(name, options)).size
  }

  /** Size, modification time, ETag and content type. Missing: `FileNotFoundError`. */
  async stat(name: string, options: IoOptions = {}): Promise<FileStat> {
    const key = this.resolveName(name)
    return this.run('stat', name, options.signal, () => this._stat(key, options))
  }

  /** Last modification time. Missing: `FileNotFoundError`. */
  async getModifiedTime(name: string, options: IoOptions = {}): Promise<Date> {
    return this.time(name, 'modified', options)
  }

  /** Creation time; `NotImplementedError` where the backend has none. */
  async getCreatedTime(name: string, options: IoOptions = {}): Promise<Date> {
    return this.time(name, 'created', options)
  }

  /** Last access time; `NotImplementedError` where the backend has none. */
  async getAccessedTime(name: string, options: IoOptions = {}): Promise<Date> {
    return this.time(name, 'accessed', options)
  }

  private async time(name: string, kind: TimeKind, options: IoOptions): Promise<Date> {
    const key = this.resolveName(name)
    return this.run('stat', name, options.signal, () => this._getTime(key, kind, options))
  }

  /** A URL for the name (signed when the storage signs URLs). */
  async url(name: string, options: UrlOptions = {}): Promise<string> {
    const key = this.resolveName(name)
    try {
      return await this._url(key, options)
    } catch (error) {
      throw this.wrapError(error, 'url', name)
    }
  }

  /** The absolute local path (filesystem only; else `NotImplementedError`). */
  path(name: string): string {
    const key = this.resolveName(name)
    try {
      return this._path(key)
    } catch (error) {
      throw this.wrapError(error, 'path', name)
    }
  }

  /** Copies `from` to `to`; onto an existing name without `fileOverwrite`: `FileExistsError`. */
  async copy(from: string, to: string, options: IoOptions = {}): Promise<void> {
    const src = this.resolveName(from)
    const dst = this.checkTargetName(to)
    if (src === '') throw new InvalidNameError('copy() needs the name of a file to copy.', { key: from })
    return this.run('copy', from, options.signal, () => this._copy(src, dst, this.fileOverwrite, options))
  }

  /** Moves `from` to `to`; onto an existing name without `fileOverwrite`: `FileExistsError`. */
  async move(from: string, to: string, options: IoOptions = {}): Promise<void> {
    const src = this.resolveName(from)
    const dst = this.checkTargetName(to)
    if (src === '') throw new InvalidNameError('move() needs the name of a file to move.', { key: from })
    return this.run('move', from, options.signal, () => this._move(src, dst, this.fileOverwrite, options))
  }

  /**
   * A short-lived URL a browser or mobile client uploads to directly; the name goes through the
   * same validation and `getAvailableName` as `save()`.
   */
  async signedUploadUrl(name: string, options: SignedUploadOptions = {}): Promise<SignedUpload> {
    this.checkTargetName(name)
    return this.run('signedUploadUrl', name, options.signal, async () => {
      const available = await this.getAvailableName(name, options.maxLength)
      validateFileName(available, true)
      return this._signedUploadUrl(this.resolveName(available), options)
    })
  }
}
