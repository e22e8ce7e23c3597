/**
 * The user-facing `Storage`: every public method validates the name, resolves it inside
 * `location`, picks available names and wraps errors — once, here — then calls the backend's
 * small protected contract (`_save`, `_open`, ...). Backends extend this class and implement only
 * those methods; docs/custom-backends.md lists them.
 */
import type { Readable, Writable } from 'node:stream'
import {
  ContentError,
  InvalidArgumentError,
  InvalidNameError,
  InvalidRangeError,
  StorageError,
  SuspiciousFileOperation,
  type StorageOperation,
} from './errors.js'
import { validateFileName } from './names.js'
import { contentName, knownLength, prepareBody, toReadable } from './content.js'
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
export type { OpenedVersion, ReadRange } from './open-version.js'
import type { OpenedVersion } from './open-version.js'
export type { WriteRequest, TimeKind, CleanupOptions, BaseStorageOptions } from './backend.js'
import type { BaseStorageOptions, CleanupOptions, TimeKind } from './backend.js'
import { NamingStorage } from './naming.js'
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

/**
 * Settles with `work`, or rejects with the signal's reason as soon as it aborts. A value that
 * arrives after the abort (an open stream, an open file) is handed to `release`, so nothing leaks.
 */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, release?: (late: T) => unknown): Promise<T> {
  if (!signal) return work
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work
      .then((value) => {
        if (signal.aborted) void Promise.resolve(release?.(value)).catch(() => {})
        resolve(value)
      }, reject)
      .finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * Abstract base class of every storage. Users call its public methods; backends implement the
 * protected `_`-prefixed ones, which receive names already checked and resolved: relative to
 * `location`, `/`-separated, normalised, never escaping.
 */
export abstract class Storage extends NamingStorage {
  protected constructor(options: BaseStorageOptions = {}) {
    super(options)
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

  /**
   * Runs a call and wraps its errors once; when `signal` aborts it rejects with the signal's reason
   * at once (unless `race: false`: the backend settles after cleaning up), and `release` gets a
   * value (a stream, an open file) that arrives after the abort.
   */
  private async run<T>(
    operation: StorageOperation,
    name: string,
    signal: AbortSignal | undefined,
    fn: () => Promise<T> | T,
    { race = true, release }: { race?: boolean; release?: (late: T) => unknown } = {},
  ): Promise<T> {
    try {
      signal?.throwIfAborted()
      const work = Promise.resolve(fn())
      return await (race ? abortable(work, signal, release) : work)
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
          // The probe is skipped only when the commit is exclusive and getAvailableName is not overridden.
          const trust = this.exclusiveCommit && this.getAvailableName === Storage.prototype.getAvailableName
          const available = trust ? await this.pickName(given, maxLength, true, signal) : await this.getAvailableName(given, maxLength)
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
      { race: false },
    )
  }

  /** A read stream of the file; `start`/`end` (inclusive) read a range. Missing: `FileNotFoundError`. */
  async open(name: string, options: OpenOptions = {}): Promise<Readable> {
    const key = this.resolveName(name)
    checkRange(options)
    return this.run('open', name, options.signal, () => this._open(key, options), { release: (stream) => stream.destroy() })
  }

  /**
   * The file at one version: `stat` and `read(range)` of exactly those bytes, even while another
   * writer replaces it (what an HTTP response needs). `close()` it when no read is started.
   */
  async openVersion(name: string, options: IoOptions = {}): Promise<OpenedVersion> {
    const key = this.resolveName(name)
    return this.run('open', name, options.signal, () => this._openVersion(key, options), { release: (opened) => opened.close() })
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
   * Removes the temporary files or objects (and S3's incomplete uploads of them) that interrupted
   * writes left, last modified more than `olderThan` ms ago (default one day, so a write in
   * progress elsewhere is never cut short); returns how many it removed.
   */
  async cleanup({ olderThan = 86_400_000, signal }: CleanupOptions = {}): Promise<number> {
    if (!(Number.isFinite(olderThan) && olderThan >= 0)) {
      throw new InvalidArgumentError(`cleanup() option 'olderThan' must be a number of ms >= 0, got ${String(olderThan)}.`)
    }
    return this.run('cleanup', '', signal, () => this._cleanup(olderThan, { signal }))
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
