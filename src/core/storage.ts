/**
 * The user-facing `Storage`: every public method validates the name, resolves it inside
 * `location`, picks available names and wraps errors — once, here — then calls the backend's
 * small protected contract (`_save`, `_open`, ...). Backends extend this class and implement only
 * those methods; docs/custom-backends.md lists them.
 */
import type { Readable, Writable } from 'node:stream'
import { randomInt } from 'node:crypto'
import {
  FileNotFoundError,
  FileExistsError,
  AccessDeniedError,
  NotImplementedError,
  StorageError,
  SuspiciousFileOperation,
} from './errors.js'
import {
  assertNoTraversal,
  cleanName,
  getAvailableOverwriteName,
  getValidFilename,
  hasControlCharacters,
  isTemporaryName,
  safeJoin,
  validateFileName,
} from './names.js'
import { allSuffixes, basename, codePointLength, dropLastCodePoints, join, normpath, split } from './posix.js'
import { contentName, knownLength, prepareBody, streamToBuffer, toReadable } from './content.js'
import { createStorageWriteStream } from './write-stream.js'
import type {
  Content,
  FileEntry,
  FileStat,
  ListOptions,
  OpenOptions,
  SaveOptions,
  SignedUpload,
  SignedUploadOptions,
  UrlOptions,
  WriteStreamOptions,
} from './types.js'

/** Throws for a range that is not two whole numbers >= 0 with start <= end. */
function checkRange({ start, end }: OpenOptions): void {
  const whole = (n: number | undefined) => n === undefined || (Number.isSafeInteger(n) && n >= 0)
  if (!whole(start) || !whole(end) || (start !== undefined && end !== undefined && start > end)) {
    throw new StorageError(
      `Invalid byte range start=${String(start)} end=${String(end)}: use whole numbers >= 0 with start <= end (end is inclusive).`,
      { code: 'E_INVALID_RANGE' },
    )
  }
}

// A name matching none of these is its own cleaned, safely joined form (the fast path of url()).
const NEEDS_NORMALISING = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|\\|^\//

/** What a backend's `_save` receives besides the name. */
export interface WriteRequest extends Omit<SaveOptions, 'maxLength' | 'onProgress'> {
  /** The content, as a byte stream; destroyed with an error when the caller aborts. */
  body: Readable
  /** Byte length when known in advance (buffers, strings, blobs). */
  size?: number
  /** Replace an existing file (`fileOverwrite`, or `createWriteStream`), else keep both. */
  overwrite: boolean
  /**
   * For no-overwrite writes: call when `name` turned out to be taken at commit time (exclusive
   * create failed); returns the next available, validated name to commit under instead.
   */
  nextName(taken: string): Promise<string>
  /** The content object `save()` was given, for backends that can use it directly. */
  content?: Content
}

/** Which kind of time `_getTime` is asked for. */
export type TimeKind = 'modified' | 'created' | 'accessed'

/** The options every backend has. */
export interface BaseStorageOptions {
  /** Keep existing files (default false): a taken name gets a `_<7 random chars>` suffix. */
  fileOverwrite?: boolean
}

/**
 * Abstract base class of every storage. Users call its public methods; backends implement the
 * protected `_`-prefixed ones, which receive names already checked and resolved: relative to
 * `location`, `/`-separated, normalised, never escaping.
 */
export abstract class Storage {
  /** Whether `save()` replaces an existing file of the same name (default false). */
  readonly fileOverwrite: boolean

  protected constructor(options: BaseStorageOptions = {}) {
    this.fileOverwrite = options.fileOverwrite ?? false
  }

  // ---------------------------------------------------------------- the backend contract

  /** Writes `req.body` under `name` and returns the name stored (see `WriteRequest.nextName`). */
  protected abstract _save(name: string, req: WriteRequest): Promise<string>
  /** A read stream of the file (inclusive byte range); `ENOENT`-like error when missing. */
  protected abstract _open(name: string, options: OpenOptions): Promise<Readable>
  /** Deletes the file; a missing file is no error. */
  protected abstract _delete(name: string): Promise<void>
  /** Whether the name exists. */
  protected abstract _exists(name: string): Promise<boolean>
  /** `[directories, files]` one level under `path` (`''` is the root). */
  protected abstract _listdir(path: string): Promise<[string[], string[]]>
  /** Files under the directory `prefix`, lazily. */
  protected abstract _list(prefix: string, options: ListOptions): AsyncIterable<FileEntry>
  /** Size, modification time and the rest; `ENOENT`-like error when missing. */
  protected abstract _stat(name: string): Promise<FileStat>
  /** The URL of the name. */
  protected abstract _url(name: string, options: UrlOptions): Promise<string> | string

  /** Whole content; defaults to reading `_open`. */
  protected async _read(name: string): Promise<Buffer> {
    return streamToBuffer(await this._open(name, {}))
  }

  /** A time of the file; only modification time by default (from `_stat`). */
  protected async _getTime(name: string, kind: TimeKind): Promise<Date> {
    if (kind === 'modified') return (await this._stat(name)).lastModified
    throw new NotImplementedError(`subclasses of Storage must provide a get${kind[0]!.toUpperCase()}${kind.slice(1)}Time() method`)
  }

  /** Copies a file; default streams it through `_open` and `_save`. */
  protected async _copy(from: string, to: string, overwrite: boolean): Promise<void> {
    const body = await this._open(from, {})
    await this._save(to, {
      body,
      overwrite,
      nextName: async () => {
        throw new FileExistsError(`File '${to}' already exists.`, { key: to })
      },
    })
  }

  /** Moves a file; default copies, then deletes the source. */
  protected async _move(from: string, to: string, overwrite: boolean): Promise<void> {
    await this._copy(from, to, overwrite)
    await this._delete(from)
  }

  /** Deletes many files; default deletes them a few at a time. */
  protected async _deleteMany(names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += 16) await Promise.all(names.slice(i, i + 16).map((n) => this._delete(n)))
  }

  /** An absolute local path; unsupported by default. */
  protected _path(_name: string): string {
    throw new NotImplementedError("This backend doesn't support absolute paths.")
  }

  /** A direct-upload instruction; unsupported by default. */
  protected async _signedUploadUrl(_name: string, _options: SignedUploadOptions): Promise<SignedUpload> {
    throw new NotImplementedError('This backend does not support signed upload URLs.')
  }

  /** A write stream committing on finish; default pipes into `_save` with overwrite on. */
  protected _createWriteStream(name: string, options: WriteStreamOptions, wrap: (error: unknown) => unknown): Writable {
    return createStorageWriteStream(
      (body, signal) => this._save(name, { ...options, body, signal, overwrite: true, nextName: async () => name }),
      wrap,
      () => this._delete(name),
    )
  }

  /**
   * Maps a provider error to a `StorageError`, or returns undefined to use the generic mapping.
   * Backends override this to translate their SDK's errors (the one place they do so).
   */
  protected mapError(_error: unknown, _operation: string, _name: string): StorageError | undefined {
    return undefined
  }

  /**
   * A check of the resolved name a backend adds (S3: the 1,024-byte key limit). Throws
   * `SuspiciousFileOperation`; called for every name before any I/O.
   */
  protected checkResolvedName(_resolved: string, _given: string): void {}

  /** Longest stored name in UTF-8 bytes the backend allows, if limited (S3 keys). */
  protected maxNameBytes(): number | undefined {
    return undefined
  }

  /** The prefix names are confined to by `safeJoin` (S3: the key prefix); `''` for local roots. */
  protected get namespace(): string {
    return ''
  }

  // ---------------------------------------------------------------- names

  /**
   * Checks a name and resolves it relative to `location`: control characters, absolute names and
   * names that escape throw `SuspiciousFileOperation("Attempted access to '<name>' denied.")`.
   */
  protected resolveName(name: string): string {
    if (typeof name !== 'string') {
      throw new SuspiciousFileOperation(`Attempted access to '${String(name)}' denied: a name must be a string.`, { key: String(name) })
    }
    const denied = () => new SuspiciousFileOperation(`Attempted access to '${name}' denied.`, { key: name })
    if (hasControlCharacters(name)) throw denied()
    if (!NEEDS_NORMALISING.test(name)) {
      // Already normal (no `.`/`..` segment, no `//`, `\\` or leading `/`): resolves to itself.
      this.checkResolvedName(name, name)
      return name
    }
    const cleaned = cleanName(name)
    if (cleaned.startsWith('/')) throw denied()
    const ns = this.namespace.replace(/^\/+|\/+$/g, '')
    let joined: string
    try {
      joined = safeJoin(ns, cleaned)
    } catch {
      throw denied()
    }
    const resolved = ns ? joined.slice(ns.length + 1) : joined
    this.checkResolvedName(resolved, name)
    return resolved
  }

  /**
   * The checks of a name a file is written under: a string, Django's `validate_file_name` (no
   * absolute name, no `..`, a file name), then `resolveName`. Returns the resolved name.
   */
  protected checkTargetName(name: string): string {
    if (typeof name !== 'string') return this.resolveName(name)
    validateFileName(name, true)
    const resolved = this.resolveName(name)
    if (isTemporaryName(basename(resolved))) {
      throw new SuspiciousFileOperation(
        `'${name}' has the form of node-storages' temporary files (.nstmp-<hex>), which listings hide: pick another name.`,
        { key: name },
      )
    }
    return resolved
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

  /** How many code points to cut off a root so `name` fits `maxLength` and the byte limit. */
  private excess(name: string, root: string, maxLength?: number | null): number {
    let cut = maxLength ? Math.max(0, codePointLength(name) - maxLength) : 0
    const maxBytes = this.maxNameBytes()
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

  /** Django's `is_name_available`: not existing and not longer than `maxLength`. */
  async isNameAvailable(name: string, maxLength?: number | null): Promise<boolean> {
    const exists = await this.exists(name)
    if (maxLength && codePointLength(name) > maxLength) return false
    const maxBytes = this.maxNameBytes()
    if (maxBytes !== undefined && Buffer.byteLength(name) > maxBytes) return false
    return !exists
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
    name = cleanName(name.replace(/\\/g, '/'))
    const [dirName, fileName] = split(name)
    if (this.fileOverwrite) {
      const fitted = getAvailableOverwriteName(name, maxLength)
      const [, file] = split(fitted)
      const cut = this.excess(fitted, file, null)
      return cut ? this.getAvailableNameTruncated(fitted, cut) : fitted
    }
    const ext = allSuffixes(fileName)
    let root = fileName.slice(0, fileName.length - ext.length)
    while (!(await this.isNameAvailable(name, maxLength))) {
      name = join(dirName, this.getAlternativeName(root, ext))
      const cut = this.excess(name, root, maxLength)
      if (cut > 0) {
        root = dropLastCodePoints(root, cut)
        if (!root) {
          throw new SuspiciousFileOperation(
            `Storage can not find an available filename for "${name}". Please make sure that the corresponding file field allows sufficient "max_length".`,
            { key: name },
          )
        }
        name = join(dirName, this.getAlternativeName(root, ext))
      }
    }
    return name
  }

  private getAvailableNameTruncated(name: string, cut: number): string {
    const [dirName, fileName] = split(name)
    const ext = allSuffixes(fileName)
    const root = dropLastCodePoints(fileName.slice(0, fileName.length - ext.length), cut)
    if (!root) {
      throw new SuspiciousFileOperation(
        `Storage tried to truncate away entire filename "${name}": the name is too long for this storage.`,
        { key: name },
      )
    }
    return join(dirName, root + ext)
  }

  // ---------------------------------------------------------------- errors

  /** Wraps any error once: storage errors pass through, provider errors get a class and `cause`. */
  protected wrapError(error: unknown, operation: string, name: string): unknown {
    if (error instanceof StorageError) return error
    if ((error as Error)?.name === 'AbortError') return error
    const mapped = this.mapError(error, operation, name)
    if (mapped) return mapped
    const code = (error as NodeJS.ErrnoException)?.code
    const opts = { cause: error, key: name, operation }
    if (code === 'ENOENT' || code === 'ENOTDIR') return new FileNotFoundError(`File does not exist: '${name}'.`, opts)
    if (code === 'EEXIST') return new FileExistsError(`File '${name}' already exists.`, opts)
    if (code === 'EACCES' || code === 'EPERM') {
      return new AccessDeniedError(`Access denied to '${name}' (${operation}): check the permissions of the storage location.`, opts)
    }
    if (code === 'EISDIR') return new StorageError(`'${name}' is a directory, not a file.`, { ...opts, code: 'EISDIR' })
    const message = (error as Error)?.message ?? String(error)
    return new StorageError(`Unable to ${operation} '${name}': ${message}`, opts)
  }

  private async run<T>(operation: string, name: string, fn: () => Promise<T> | T): Promise<T> {
    try {
      return await fn()
    } catch (error) {
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
    source.on('error', (error) => (sourceError ??= error))
    return this.run('save', given, async () => {
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
        const stored = await this._save(this.resolveName(available), {
          ...rest,
          signal,
          body,
          size,
          content,
          overwrite: this.fileOverwrite,
          nextName,
        })
        return validateFileName(stored, true)
      } catch (error) {
        if (!source.destroyed) source.destroy()
        if (error !== undefined && error === sourceError && (error as Error)?.name !== 'AbortError') {
          throw new StorageError(`Could not read the content to save as '${given}': ${(error as Error)?.message ?? String(error)}`, {
            code: 'E_CONTENT',
            key: given,
            operation: 'save',
            cause: error,
          })
        }
        throw error
      }
    })
  }

  /** A read stream of the file; `start`/`end` (inclusive) read a range. Missing: `FileNotFoundError`. */
  async open(name: string, options: OpenOptions = {}): Promise<Readable> {
    const key = this.resolveName(name)
    checkRange(options)
    return this.run('open', name, () => this._open(key, options))
  }

  /** The whole content of the file. Missing: `FileNotFoundError`. */
  async read(name: string): Promise<Buffer> {
    const key = this.resolveName(name)
    return this.run('read', name, () => this._read(key))
  }

  /**
   * A Writable that stores what is written under `name` (overwriting it) once the stream
   * finishes; an errored or destroyed stream leaves nothing behind.
   */
  createWriteStream(name: string, options: WriteStreamOptions = {}): Writable {
    const key = this.checkTargetName(name)
    return this._createWriteStream(key, options, (error) => this.wrapError(error, 'write', name))
  }

  /** Deletes the file; a missing file is no error, an empty name is. */
  async delete(name: string): Promise<void> {
    if (name === '' || name == null) throw new StorageError('The name must be given to delete().', { code: 'E_INVALID_NAME' })
    const key = this.resolveName(name)
    if (key === '')
      throw new StorageError(`The name must be given to delete(): '${name}' names the storage root.`, { code: 'E_INVALID_NAME', key: name })
    return this.run('delete', name, () => this._delete(key))
  }

  /** Deletes every name given (batched where the backend can). Names are all checked first. */
  async deleteMany(names: Iterable<string>): Promise<void> {
    const list = [...names]
    for (const n of list)
      if (n === '' || n == null) throw new StorageError('The name must be given to deleteMany().', { code: 'E_INVALID_NAME' })
    const keys = list.map((n) => this.resolveName(n))
    keys.forEach((k, i) => {
      if (k === '')
        throw new StorageError(`The names given to deleteMany() must name files: '${list[i]}' names the storage root.`, {
          code: 'E_INVALID_NAME',
          key: list[i],
        })
    })
    return this.run('delete', list.join(', '), () => this._deleteMany(keys))
  }

  /** Whether the name exists (filesystem and memory: also for a directory). */
  async exists(name: string): Promise<boolean> {
    const key = this.resolveName(name)
    return this.run('check', name, () => this._exists(key))
  }

  /** `[directories, files]` one level under `path`, bare names; a missing directory is empty. */
  async listdir(path = ''): Promise<[string[], string[]]> {
    const key = this.resolveName(path)
    return this.run('list', path, () => this._listdir(key))
  }

  /** Files under the directory `prefix` (`''`: the root), read lazily; `recursive` descends. */
  async *list(prefix = '', options: ListOptions = {}): AsyncIterable<FileEntry> {
    const key = this.resolveName(prefix)
    try {
      yield* this._list(key, options)
    } catch (error) {
      throw this.wrapError(error, 'list', prefix)
    }
  }

  /** Size in bytes. Missing: `FileNotFoundError`. */
  async size(name: string): Promise<number> {
    return (await this.stat(name)).size
  }

  /** Size, modification time, ETag and content type. Missing: `FileNotFoundError`. */
  async stat(name: string): Promise<FileStat> {
    const key = this.resolveName(name)
    return this.run('stat', name, () => this._stat(key))
  }

  /** Last modification time. Missing: `FileNotFoundError`. */
  async getModifiedTime(name: string): Promise<Date> {
    const key = this.resolveName(name)
    return this.run('stat', name, () => this._getTime(key, 'modified'))
  }

  /** Creation time; `NotImplementedError` where the backend has none. */
  async getCreatedTime(name: string): Promise<Date> {
    const key = this.resolveName(name)
    return this.run('stat', name, () => this._getTime(key, 'created'))
  }

  /** Last access time; `NotImplementedError` where the backend has none. */
  async getAccessedTime(name: string): Promise<Date> {
    const key = this.resolveName(name)
    return this.run('stat', name, () => this._getTime(key, 'accessed'))
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
  async copy(from: string, to: string): Promise<void> {
    const src = this.resolveName(from)
    const dst = this.checkTargetName(to)
    if (src === '') throw new StorageError('copy() needs the name of a file to copy.', { code: 'E_INVALID_NAME', key: from })
    return this.run('copy', from, () => this._copy(src, dst, this.fileOverwrite))
  }

  /** Moves `from` to `to`; onto an existing name without `fileOverwrite`: `FileExistsError`. */
  async move(from: string, to: string): Promise<void> {
    const src = this.resolveName(from)
    const dst = this.checkTargetName(to)
    if (src === '') throw new StorageError('move() needs the name of a file to move.', { code: 'E_INVALID_NAME', key: from })
    return this.run('move', from, () => this._move(src, dst, this.fileOverwrite))
  }

  /**
   * A short-lived URL a browser or mobile client uploads to directly; the name goes through the
   * same validation and `getAvailableName` as `save()`.
   */
  async signedUploadUrl(name: string, options: SignedUploadOptions = {}): Promise<SignedUpload> {
    this.checkTargetName(name)
    return this.run('sign upload for', name, async () => {
      const available = await this.getAvailableName(name, options.maxLength)
      validateFileName(available, true)
      return this._signedUploadUrl(this.resolveName(available), options)
    })
  }
}
