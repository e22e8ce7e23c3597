/**
 * FileSystemStorage: files under a local directory. Writes go to a temporary file in the target
 * directory and are committed by rename (overwrite) or by an exclusive hard link (no-overwrite),
 * so a crash or an aborted stream never leaves a partial file under the final name, and
 * concurrent saves of one name all succeed under distinct names.
 */
import type { ReadStream, Stats } from 'node:fs'
import { constants as fsConstants, type FileHandle, link, open, opendir, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import {
  Storage,
  type BaseStorageOptions,
  type OpenedVersion,
  type ReadRange,
  type WriteRequest,
  type TimeKind,
} from '../../core/storage.js'
import { FileExistsError, IsADirectoryError, NotImplementedError } from '../../core/errors.js'
import { LocalUrls, type LocalUrlOptions } from '../../core/local-urls.js'
import type { SignedUrlVerifier } from '../../core/capabilities.js'
import { optionsFromEnv, resolveOptions, type EnvContext } from '../../core/options.js'
import { processEnv, type Env } from '../../core/env.js'
import { FILESYSTEM_OPTIONS } from './options.js'
import { isTemporaryName } from '../../core/names.js'
import { guessType } from '../../core/mime.js'
import type {
  FileEntry,
  FileStat,
  IoOptions,
  ListOptions,
  OpenOptions,
  SignedUpload,
  SignedUploadOptions,
  UrlOptions,
} from '../../core/types.js'
import { Confinement, isMissing } from './confine.js'
import { LocalWriter } from './write.js'
import { removeTemporaryFiles } from './cleanup.js'

/** Options of `FileSystemStorage` (checked against FILESYSTEM_OPTIONS in options.ts). */
export interface FileSystemStorageOptions extends LocalUrlOptions, BaseStorageOptions {
  /** Directory files live in (default `./media`; made absolute; `''` is the working directory; `fromEnv()`: `MEDIA_ROOT`). */
  location?: string
  /** Mode of new files, e.g. `0o640` (default: 0o666 less the umask). */
  filePermissionsMode?: number | string
  /** Mode of new directories, e.g. `0o750` (default: 0o777 less the umask). */
  directoryPermissionsMode?: number | string
}

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'])

// Opens refuse a symlink at the last component (ELOOP), so only links pay for the realpath check.
const NOFOLLOW: number | undefined = fsConstants.O_NOFOLLOW

/** Files in a local directory; `url()` under `baseUrl`, optionally HMAC-signed. */
export class FileSystemStorage extends Storage {
  /** The absolute directory files live in. */
  readonly location: string
  /** URL building and signing (used by `serveStorage`). */
  readonly urls: LocalUrls
  /** Checks this storage's signed URLs for the HTTP handlers (the `SignedUrlVerifier` capability). */
  get signedUrlVerifier(): SignedUrlVerifier {
    return this.urls
  }
  readonly filePermissionsMode?: number
  readonly directoryPermissionsMode?: number

  /**
   * Creates the storage from `options` only (the environment is `fromEnv()`'s job); an unknown
   * option or a bad value throws `ImproperlyConfigured`.
   */
  constructor(options: FileSystemStorageOptions = {}) {
    const values = resolveOptions<FileSystemStorageOptions & { location: string; fileOverwrite: boolean }>(FILESYSTEM_OPTIONS, options)
    super({ fileOverwrite: values.fileOverwrite })
    this.location = path.resolve(values.location)
    this.urls = new LocalUrls(values, 'FileSystemStorage')
    this.filePermissionsMode = values.filePermissionsMode as number | undefined
    this.directoryPermissionsMode = values.directoryPermissionsMode as number | undefined
  }

  /**
   * A storage from `overrides`, each option they leave unset taken from `env`: `MEDIA_ROOT`
   * (location), `MEDIA_URL` (baseUrl), `STORAGE_SECRET` (secret, at least 32 bytes).
   */
  static fromEnv(env: Env = processEnv(), overrides: FileSystemStorageOptions = {}, context: EnvContext = {}): FileSystemStorage {
    return new FileSystemStorage(optionsFromEnv(FILESYSTEM_OPTIONS, env, overrides, context))
  }

  /** `FileSystemStorage(location)`, without secrets. */
  override toString(): string {
    return `FileSystemStorage(${this.location})`
  }

  // ------------------------------------------------------------ confinement and writes

  private confinement?: Confinement
  private writer?: LocalWriter

  /** The confinement checks (created on first use: `location`'s real path is resolved once). */
  private get conf(): Confinement {
    return (this.confinement ??= new Confinement(this.location))
  }

  private get writes(): LocalWriter {
    return (this.writer ??= new LocalWriter(this.conf, this.filePermissionsMode, this.directoryPermissionsMode))
  }

  /** The absolute path of `name` once it passed every confinement check (`Confinement.entry`). */
  private async confine(name: string): Promise<string> {
    await this.conf.entry(name)
    return this.conf.target(name)
  }

  // ------------------------------------------------------------ the backend contract

  /** Commits exclusively (link, or exclusive create): `save()` need not probe the name first. */
  protected override get exclusiveCommit(): boolean {
    return true
  }

  protected async _save(name: string, req: WriteRequest): Promise<string> {
    return this.writes.save(name, req)
  }

  /**
   * The temporary files (`.nstmp-…`) interrupted writes left under `location` (a killed process,
   * a full disk); symlinked directories are not followed, this process's own writes are kept.
   */
  protected override async _cleanup(olderThan: number, options: IoOptions): Promise<number> {
    return removeTemporaryFiles(this.location, olderThan, options.signal)
  }

  protected async _open(name: string, options: OpenOptions): Promise<Readable> {
    const handle = await this.openFile(name)
    try {
      if ((await handle.stat()).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
      return this.mapStreamErrors(handle.createReadStream({ start: options.start, end: options.end, signal: options.signal }), name)
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  /** One open of the file: the stat comes from the open descriptor, so headers and bytes are one version. */
  protected override async _openVersion(name: string): Promise<OpenedVersion> {
    const handle = await this.openFile(name)
    try {
      const st = await handle.stat()
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
      const { type } = guessType(name)
      let taken = false
      const take = () => {
        if (taken) throw new Error(`openVersion('${name}'): read() or close() was already called.`)
        taken = true
      }
      return {
        stat: { size: st.size, lastModified: st.mtime, etag: etagOf(st), ...(type ? { contentType: type } : {}) },
        read: async (range: ReadRange = {}) => {
          take()
          return this.mapStreamErrors(handle.createReadStream({ start: range.start, end: range.end }), name)
        },
        close: async () => {
          if (taken) return
          taken = true
          await handle.close()
        },
      }
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  /** Opens `name` for reading: one `open(O_NOFOLLOW)` in a known directory; a symlink is checked first. */
  private async openFile(name: string): Promise<FileHandle> {
    const target = this.conf.target(name)
    if (NOFOLLOW === undefined) return open(await this.confine(name), 'r')
    await this.conf.dir(path.dirname(target), name)
    try {
      return await open(target, fsConstants.O_RDONLY | NOFOLLOW)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw error
      await this.conf.link(target, name) // a symlink: followed only when it stays inside
      return open(target, 'r')
    }
  }

  /** Errors of a read stream that fails midway (EIO, a file truncated under it) become StorageErrors. */
  private mapStreamErrors(stream: ReadStream, name: string): ReadStream {
    const destroy = stream._destroy.bind(stream)
    stream._destroy = (error, callback) => destroy(error, (err) => callback(err ? (this.wrapError(err, 'open', name) as Error) : err))
    return stream
  }

  protected override async _read(name: string): Promise<Buffer> {
    const handle = await this.openFile(name)
    try {
      return await handle.readFile()
    } finally {
      await handle.close()
    }
  }

  protected async _delete(name: string): Promise<void> {
    const target = await this.confine(name)
    try {
      await unlink(target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (isMissing(error)) return
      if (code !== 'EISDIR' && code !== 'EPERM') throw error
      await rmdir(target)
      this.conf.forget(target)
    }
  }

  protected async _exists(name: string): Promise<boolean> {
    try {
      return (await this.conf.entry(name)) !== undefined
    } catch (error) {
      // Django's exists() is false for a name the file system cannot hold, so save() shortens it.
      if ((error as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return false
      throw error
    }
  }

  protected async _listdir(dirName: string): Promise<[string[], string[]]> {
    const dir = await this.confine(dirName)
    const dirs: string[] = []
    const files: string[] = []
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      if (isMissing(error)) return [[], []]
      throw error
    }
    for (const entry of entries) {
      if (isTemporaryName(entry.name)) continue
      let isDir = entry.isDirectory()
      if (entry.isSymbolicLink()) {
        // A link every other method refuses (outside location, dangling) is not listed either.
        if (!(await this.conf.allows(dirName ? `${dirName.replace(/\/+$/, '')}/${entry.name}` : entry.name))) continue
        isDir = await stat(path.join(dir, entry.name)).then(
          (s) => s.isDirectory(),
          () => false,
        )
      }
      ;(isDir ? dirs : files).push(entry.name)
    }
    return [dirs.sort(), files.sort()]
  }

  protected async *_list(prefix: string, options: ListOptions): AsyncIterable<FileEntry> {
    const pending = [prefix.replace(/\/+$/, '')]
    while (pending.length) {
      const rel = pending.shift()!
      let dir
      try {
        dir = await opendir(await this.confine(rel))
      } catch (error) {
        if (isMissing(error)) continue
        throw error
      }
      const names: [string, boolean][] = []
      for await (const entry of dir) {
        if (isTemporaryName(entry.name)) continue
        if (entry.isSymbolicLink() && !(await this.conf.allows(rel ? `${rel}/${entry.name}` : entry.name))) continue
        names.push([entry.name, entry.isDirectory()])
      }
      names.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      for (const [entryName, isDir] of names) {
        const name = rel ? `${rel}/${entryName}` : entryName
        if (isDir) {
          if (options.recursive) pending.push(name)
          continue
        }
        const st = await stat(path.join(this.location, name)).catch(() => undefined)
        if (!st?.isFile()) continue
        yield { name, size: st.size, lastModified: st.mtime, etag: etagOf(st) }
      }
    }
  }

  /** The stat of a file: one `lstat` in a known directory (a symlink is checked, then followed). */
  private async statOf(name: string): Promise<Stats> {
    const st = await this.conf.entry(name)
    if (st === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory '${name}'`), { code: 'ENOENT' })
    return st.isSymbolicLink() ? stat(this.conf.target(name)) : st
  }

  protected async _stat(name: string): Promise<FileStat> {
    const st = await this.statOf(name)
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    const { type } = guessType(name)
    return { size: st.size, lastModified: st.mtime, etag: etagOf(st), ...(type ? { contentType: type } : {}) }
  }

  protected override async _getTime(name: string, kind: TimeKind): Promise<Date> {
    const st = await this.statOf(name)
    if (kind === 'modified') return st.mtime
    if (kind === 'accessed') return st.atime
    if (!st.birthtimeMs) throw new NotImplementedError('This file system does not record creation times.')
    return st.birthtime
  }

  /** Synchronous by contract, so checked with synchronous calls (one `realpath` per level tried). */
  protected override _path(name: string): string {
    return this.conf.confineSync(name)
  }

  /**
   * The URL of `name`, refused like every other method when its directory resolves outside
   * `location` (a symlinked directory). A directory checked in the last second (existing or not
   * made yet) answers at once; another costs one `realpath`. The last component is not checked: a URL is only a string, and
   * serving it goes through `open()`, which refuses a link that points outside.
   */
  protected _url(name: string, options: UrlOptions): string | Promise<string> {
    if (this.conf.urlReady(name)) return this.urls.url(name, options)
    return this.conf.urlCheck(name).then(() => this.urls.url(name, options))
  }

  protected override async _signedUploadUrl(name: string, options: SignedUploadOptions): Promise<SignedUpload> {
    return this.urls.signedUpload(name, options)
  }

  protected override async _copy(from: string, to: string, overwrite: boolean): Promise<void> {
    const src = await this.confine(from)
    await this.writes.copy(src, to, overwrite, async () => {
      throw new FileExistsError(`File '${to}' already exists.`, { key: to })
    })
  }

  protected override async _move(from: string, to: string, overwrite: boolean): Promise<void> {
    const src = await this.confine(from)
    const st = await stat(src)
    if (st.isDirectory()) throw new IsADirectoryError(`'${from}' is a directory: move() moves files.`, { key: from })
    const target = this.conf.target(to)
    await this.writes.ensureDir(path.dirname(target), to)
    if (overwrite) return rename(src, target)
    try {
      await link(src, target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (code === 'EEXIST') throw new FileExistsError(`File '${to}' already exists.`, { key: to, cause: error })
      if (!LINK_UNSUPPORTED.has(code)) throw error
      await this._copy(from, to, false)
    }
    await unlink(src)
  }
}

function etagOf(st: Stats): string {
  return `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`
}
