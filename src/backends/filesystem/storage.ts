/**
 * FileSystemStorage: files under a local directory. Writes go to a temporary file in the target
 * directory and are committed by rename (overwrite) or by an exclusive hard link (no-overwrite),
 * so a crash or an aborted stream never leaves a partial file under the final name, and
 * concurrent saves of one name all succeed under distinct names.
 */
import { createWriteStream, realpathSync, lstatSync, constants as fsConstants } from 'node:fs'
import { chmod, copyFile, link, lstat, mkdir, open, opendir, readFile, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import * as path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Storage, type BaseStorageOptions, type WriteRequest, type TimeKind } from '../../core/storage.js'
import { FileExistsError, IsADirectoryError, NotImplementedError, SuspiciousFileOperation } from '../../core/errors.js'
import { LocalUrls, type LocalUrlOptions } from '../../core/local-urls.js'
import type { SignedUrlVerifier } from '../../core/capabilities.js'
import { optionsFromEnv, resolveOptions, type EnvContext } from '../../core/options.js'
import { processEnv, type Env } from '../../core/env.js'
import { FILESYSTEM_OPTIONS } from './options.js'
import { isTemporaryName, temporaryName } from '../../core/names.js'
import { guessType } from '../../core/mime.js'
import type { FileEntry, FileStat, ListOptions, OpenOptions, SignedUpload, SignedUploadOptions, UrlOptions } from '../../core/types.js'

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

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

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

  // ------------------------------------------------------------ confinement

  /**
   * The absolute path of a resolved name, refused when it (or its deepest existing ancestor)
   * really lives outside `location` — through a symlink, say.
   */
  private confine(name: string): string {
    const target = name ? path.join(this.location, name) : this.location
    let root: string
    try {
      root = realpathSync(this.location)
    } catch {
      return target // no root yet: nothing under it can be a link
    }
    let probe = target
    for (;;) {
      try {
        const real = realpathSync(probe)
        if (real !== root && !real.startsWith(root + path.sep)) break
        return target
      } catch (error) {
        if (!isMissing(error)) throw error
        let link = false
        try {
          link = lstatSync(probe).isSymbolicLink()
        } catch {}
        if (link) break // a dangling link: where it points is not ours to write
        if (probe === this.location) return target
        probe = path.dirname(probe)
      }
    }
    throw new SuspiciousFileOperation(`Attempted access to '${name}' denied.`, { key: name })
  }

  /** Whether a resolved name passes `confine` (symlinks that stay inside `location`). */
  private isConfined(name: string): boolean {
    try {
      this.confine(name)
      return true
    } catch {
      return false
    }
  }

  private async makeDirs(dir: string): Promise<void> {
    const mode = this.directoryPermissionsMode
    const first = await mkdir(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) })
    if (first === undefined || mode === undefined) return
    // mkdir's mode is masked by the umask: set it exactly on every level made here.
    for (let d = dir; d.length >= first.length; d = path.dirname(d)) {
      await chmod(d, mode)
      if (d === first) break
    }
  }

  private tempPath(dir: string): string {
    return path.join(dir, temporaryName(8))
  }

  /** Moves a finished temp file to its name: rename (overwrite) or exclusive link (keep both). */
  private async commit(tmp: string, name: string, overwrite: boolean, nextName: (taken: string) => Promise<string>): Promise<string> {
    if (overwrite) {
      await rename(tmp, this.confine(name))
      return name
    }
    for (;;) {
      const target = this.confine(name)
      try {
        await link(tmp, target)
        return name
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? ''
        if (code === 'EEXIST') {
          name = await nextName(name)
          continue
        }
        if (!LINK_UNSUPPORTED.has(code)) throw error
      }
      // No hard links here: reserve the name by exclusive create, then rename over it.
      try {
        await (await open(target, 'wx')).close()
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          name = await nextName(name)
          continue
        }
        throw error
      }
      await rename(tmp, target)
      return name
    }
  }

  // ------------------------------------------------------------ the backend contract

  protected async _save(name: string, req: WriteRequest): Promise<string> {
    const dir = path.dirname(this.confine(name))
    await this.makeDirs(dir)
    this.confine(name) // again, now that every directory exists
    const tmp = this.tempPath(dir)
    try {
      await pipeline(req.body, createWriteStream(tmp, { flags: 'wx', mode: this.filePermissionsMode ?? 0o666 }), { signal: req.signal })
      if (this.filePermissionsMode !== undefined) await chmod(tmp, this.filePermissionsMode)
      req.signal?.throwIfAborted()
      return await this.commit(tmp, name, req.overwrite, req.nextName)
    } finally {
      await rm(tmp, { force: true })
    }
  }

  protected async _open(name: string, options: OpenOptions): Promise<Readable> {
    const handle = await open(this.confine(name), 'r')
    try {
      if ((await handle.stat()).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
      return handle.createReadStream({ start: options.start, end: options.end, signal: options.signal })
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  protected override async _read(name: string): Promise<Buffer> {
    return readFile(this.confine(name))
  }

  protected async _delete(name: string): Promise<void> {
    const target = this.confine(name)
    try {
      await unlink(target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (isMissing(error)) return
      if (code === 'EISDIR' || code === 'EPERM') return rmdir(target)
      throw error
    }
  }

  protected async _exists(name: string): Promise<boolean> {
    try {
      await lstat(this.confine(name))
      return true
    } catch (error) {
      if (isMissing(error)) return false
      throw error
    }
  }

  protected async _listdir(dirName: string): Promise<[string[], string[]]> {
    const dir = this.confine(dirName)
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
        if (!this.isConfined(dirName ? `${dirName.replace(/\/+$/, '')}/${entry.name}` : entry.name)) continue
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
        dir = await opendir(this.confine(rel))
      } catch (error) {
        if (isMissing(error)) continue
        throw error
      }
      const names: [string, boolean][] = []
      for await (const entry of dir) {
        if (isTemporaryName(entry.name)) continue
        if (entry.isSymbolicLink() && !this.isConfined(rel ? `${rel}/${entry.name}` : entry.name)) continue
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

  protected async _stat(name: string): Promise<FileStat> {
    const st = await stat(this.confine(name))
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    const { type } = guessType(name)
    return { size: st.size, lastModified: st.mtime, etag: etagOf(st), ...(type ? { contentType: type } : {}) }
  }

  protected override async _getTime(name: string, kind: TimeKind): Promise<Date> {
    const st = await stat(this.confine(name))
    if (kind === 'modified') return st.mtime
    if (kind === 'accessed') return st.atime
    if (!st.birthtimeMs) throw new NotImplementedError('This file system does not record creation times.')
    return st.birthtime
  }

  protected override _path(name: string): string {
    return this.confine(name)
  }

  protected _url(name: string, options: UrlOptions): string {
    return this.urls.url(name, options)
  }

  protected override async _signedUploadUrl(name: string, options: SignedUploadOptions): Promise<SignedUpload> {
    return this.urls.signedUpload(name, options)
  }

  protected override async _copy(from: string, to: string, overwrite: boolean): Promise<void> {
    const src = this.confine(from)
    const dir = path.dirname(this.confine(to))
    await this.makeDirs(dir)
    const tmp = this.tempPath(dir)
    try {
      await copyFile(src, tmp, fsConstants.COPYFILE_EXCL)
      await this.commit(tmp, to, overwrite, async () => {
        throw new FileExistsError(`File '${to}' already exists.`, { key: to })
      })
    } finally {
      await rm(tmp, { force: true })
    }
  }

  protected override async _move(from: string, to: string, overwrite: boolean): Promise<void> {
    const src = this.confine(from)
    const st = await stat(src)
    if (st.isDirectory()) throw new IsADirectoryError(`'${from}' is a directory: move() moves files.`, { key: from })
    const target = this.confine(to)
    await this.makeDirs(path.dirname(target))
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
