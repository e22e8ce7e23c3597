/**
 * The backend contract: the protected `_`-prefixed methods a backend implements (or inherits
 * defaults for) and the hooks it may override. They receive names already checked and resolved
 * by `Storage` (storage.ts): relative to `location`, `/`-separated, normalised, never escaping.
 * docs/custom-backends.md lists them.
 */
import type { Readable, Writable } from 'node:stream'
import { FileExistsError, NotImplementedError, type StorageError } from './errors.js'
import { streamToBuffer } from './content.js'
import { checkedVersion, type OpenedVersion } from './open-version.js'
import { createStorageWriteStream } from './write-stream.js'
import { NO_LIMITS, type NameLimits } from './resolve.js'
import type { ErrorContext } from './wrap-error.js'
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

/** Options of `cleanup()`. */
export interface CleanupOptions extends IoOptions {
  /** Only leftovers last modified longer ago than this, in ms (default 86,400,000: one day). */
  olderThan?: number
}

/** Which kind of time `_getTime` is asked for. */
export type TimeKind = 'modified' | 'created' | 'accessed'

/** The options every backend has. */
export interface BaseStorageOptions {
  /** Keep existing files (default false): a taken name gets a `_<7 random chars>` suffix. */
  fileOverwrite?: boolean
}

/** The protected contract every `Storage` has; backends extend `Storage`, not this class. */
export abstract class StorageBackend {
  // ---------------------------------------------------------------- the backend contract

  /** Writes `req.body` under `name` and returns the name stored (see `WriteRequest.nextName`). */
  protected abstract _save(name: string, req: WriteRequest): Promise<string>
  /** A read stream of the file (inclusive byte range); `ENOENT`-like error when missing. */
  protected abstract _open(name: string, options: OpenOptions): Promise<Readable>
  /** Deletes the file; a missing file is no error. */
  protected abstract _delete(name: string, options: IoOptions): Promise<void>
  /** Whether the name exists. */
  protected abstract _exists(name: string, options: IoOptions): Promise<boolean>
  /** `[directories, files]` one level under `path` (`''` is the root). */
  protected abstract _listdir(path: string, options: IoOptions): Promise<[string[], string[]]>
  /** Files under the directory `prefix`, lazily. */
  protected abstract _list(prefix: string, options: ListOptions): AsyncIterable<FileEntry>
  /** Size, modification time and the rest; `ENOENT`-like error when missing. */
  protected abstract _stat(name: string, options: IoOptions): Promise<FileStat>
  /** The URL of the name. */
  protected abstract _url(name: string, options: UrlOptions): Promise<string> | string

  /**
   * The file at one version: its stat and reads of exactly those bytes. Default: a stat and reads
   * checked against it (core/open-version.ts); a backend that can open once overrides it.
   */
  protected async _openVersion(name: string, options: IoOptions): Promise<OpenedVersion> {
    return checkedVersion({ stat: (n, o) => this._stat(n, o), open: (n, o) => this._open(n, o) }, name, options)
  }

  /** Whole content; defaults to reading `_open`. */
  protected async _read(name: string, options: IoOptions): Promise<Buffer> {
    return streamToBuffer(await this._open(name, options))
  }

  /** A time of the file; only modification time by default (from `_stat`). */
  protected async _getTime(name: string, kind: TimeKind, options: IoOptions): Promise<Date> {
    if (kind === 'modified') return (await this._stat(name, options)).lastModified
    throw new NotImplementedError(`subclasses of Storage must provide a get${kind[0]!.toUpperCase()}${kind.slice(1)}Time() method`)
  }

  /** Copies a file; default streams it through `_open` and `_save`. */
  protected async _copy(from: string, to: string, overwrite: boolean, options: IoOptions): Promise<void> {
    const body = await this._open(from, options)
    await this._save(to, {
      body,
      overwrite,
      signal: options.signal,
      nextName: async () => {
        throw new FileExistsError(`File '${to}' already exists.`, { key: to })
      },
    })
  }

  /** Moves a file; default copies, then deletes the source. */
  protected async _move(from: string, to: string, overwrite: boolean, options: IoOptions): Promise<void> {
    await this._copy(from, to, overwrite, options)
    await this._delete(from, options)
  }

  /** Deletes many files; default deletes them a few at a time. */
  protected async _deleteMany(names: string[], options: IoOptions): Promise<void> {
    for (let i = 0; i < names.length; i += 16) await Promise.all(names.slice(i, i + 16).map((n) => this._delete(n, options)))
  }

  /**
   * Removes what interrupted writes left behind (temporary files or objects, incomplete uploads)
   * last modified more than `olderThan` ms ago, never those of writes in progress in this
   * process; returns how many it removed. Default: nothing to remove (0).
   */
  protected async _cleanup(_olderThan: number, _options: IoOptions): Promise<number> {
    return 0
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
      () => this._delete(name, {}),
    )
  }

  /**
   * Maps a provider error to a `StorageError`, or returns undefined to use the generic mapping.
   * Backends override this to translate their SDK's errors (the one place they do so).
   */
  protected mapError(_error: unknown, _context: ErrorContext): StorageError | undefined {
    return undefined
  }

  /** What names are confined to and limited by (S3: the key prefix and the 1,024-byte key limit). */
  protected get nameLimits(): NameLimits {
    return NO_LIMITS
  }

  /**
   * Whether a free-looking resolved name is held by a write in flight (S3: another save of this
   * process); the available-name loop then picks another. Default: nothing is reserved.
   */
  protected isNameReserved(_resolved: string): boolean {
    return false
  }

  /**
   * Whether `_save` commits no-overwrite writes exclusively (it never replaces a file and calls
   * `req.nextName` on a taken name): `save()` then skips the `exists()` probe of the first name
   * it tries, and lets the commit tell. Default false.
   */
  protected get exclusiveCommit(): boolean {
    return false
  }
}
