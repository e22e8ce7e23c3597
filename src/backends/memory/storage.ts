/**
 * InMemoryStorage: the Storage contract without a disk, for tests. Files live in a Map; a write
 * becomes visible only when its stream has been read to the end, so an aborted save leaves
 * nothing behind. Directories are implied by the names of the files under them.
 */
import type { Readable } from 'node:stream'
import {
  Storage,
  type BaseStorageOptions,
  type OpenedVersion,
  type ReadRange,
  type WriteRequest,
  type TimeKind,
} from '../../core/storage.js'
import { builtin } from '../../core/builtins.js'
import { FileExistsError } from '../../core/errors.js'
import { LocalUrls, type LocalUrlOptions } from '../../core/local-urls.js'
import type { SignedUrlVerifier } from '../../core/capabilities.js'
import { optionsFromEnv, resolveOptions, type EnvContext } from '../../core/options.js'
import { processEnv, type Env } from '../../core/env.js'
import { MEMORY_OPTIONS } from './options.js'
import { guessType } from '../../core/mime.js'
import { streamToBuffer } from '../../core/content.js'
import { isTemporaryName } from '../../core/names.js'
import type { FileEntry, FileStat, ListOptions, OpenOptions, SignedUpload, SignedUploadOptions, UrlOptions } from '../../core/types.js'

/** Options of `InMemoryStorage` (checked against MEMORY_OPTIONS in options.ts). */
export type InMemoryStorageOptions = LocalUrlOptions & BaseStorageOptions

interface MemoryFile {
  data: Buffer
  contentType?: string
  metadata?: Record<string, string>
  etag: string
  created: Date
  modified: Date
  accessed: Date
}

function notFound(name: string): Error {
  return Object.assign(new Error(`no such file: ${name}`), { code: 'ENOENT' })
}

/** Files in memory, with the same behaviour as the other backends. */
export class InMemoryStorage extends Storage {
  /** URL building and signing (used by `serveStorage`). */
  readonly urls: LocalUrls
  /** Checks this storage's signed URLs for the HTTP handlers (the `SignedUrlVerifier` capability). */
  get signedUrlVerifier(): SignedUrlVerifier {
    return this.urls
  }
  readonly #files = new Map<string, MemoryFile>()

  /**
   * Creates an empty storage from `options` only (the environment is `fromEnv()`'s job); an
   * unknown option or a bad value throws `ImproperlyConfigured`.
   */
  constructor(options: InMemoryStorageOptions = {}) {
    const values = resolveOptions<InMemoryStorageOptions & { fileOverwrite: boolean }>(MEMORY_OPTIONS, options)
    super({ fileOverwrite: values.fileOverwrite })
    this.urls = new LocalUrls(values, 'InMemoryStorage')
  }

  /** A storage from `overrides`, each option they leave unset taken from `env`: `MEDIA_URL` (baseUrl), `STORAGE_SECRET` (secret). */
  static fromEnv(env: Env = processEnv(), overrides: InMemoryStorageOptions = {}, context: EnvContext = {}): InMemoryStorage {
    return new InMemoryStorage(optionsFromEnv(MEMORY_OPTIONS, env, overrides, context))
  }

  /** `InMemoryStorage(<n> files)`. */
  override toString(): string {
    return `InMemoryStorage(${this.#files.size} files)`
  }

  private get(name: string): MemoryFile {
    const file = this.#files.get(name)
    if (!file) throw notFound(name)
    return file
  }

  private isDir(name: string): boolean {
    const prefix = name === '' ? '' : name.replace(/\/+$/, '') + '/'
    for (const key of this.#files.keys()) if (key.startsWith(prefix)) return true
    return name === ''
  }

  private put(name: string, data: Buffer, meta: Pick<MemoryFile, 'contentType' | 'metadata'>, created?: Date): void {
    const now = new Date()
    this.#files.set(name, {
      data,
      ...meta,
      etag: `"${builtin('node:crypto').createHash('md5').update(data).digest('hex')}"`,
      created: created ?? now,
      modified: now,
      accessed: now,
    })
  }

  protected async _save(name: string, req: WriteRequest): Promise<string> {
    const data = await streamToBuffer(req.body)
    req.signal?.throwIfAborted()
    const meta = { contentType: req.contentType ?? guessType(name).type, metadata: req.metadata }
    for (;;) {
      const existing = this.#files.get(name)
      if (req.overwrite || (!existing && !this.isDir(name))) {
        this.put(name, data, meta, existing?.created)
        return name
      }
      name = await req.nextName(name)
    }
  }

  protected async _open(name: string, options: OpenOptions): Promise<Readable> {
    return readOf(this.get(name), options)
  }

  /** The version is the file record itself: a save replaces the record, never its bytes. */
  protected override async _openVersion(name: string): Promise<OpenedVersion> {
    const file = this.get(name)
    return { stat: statOf(file), read: async (range = {}) => readOf(file, range), close: async () => {} }
  }

  protected override async _read(name: string): Promise<Buffer> {
    const file = this.get(name)
    file.accessed = new Date()
    return Buffer.from(file.data)
  }

  protected async _delete(name: string): Promise<void> {
    this.#files.delete(name)
  }

  protected async _exists(name: string): Promise<boolean> {
    return this.#files.has(name) || this.isDir(name)
  }

  protected async _listdir(dirName: string): Promise<[string[], string[]]> {
    const prefix = dirName === '' ? '' : dirName.replace(/\/+$/, '') + '/'
    const dirs = new Set<string>()
    const files: string[] = []
    for (const key of this.#files.keys()) {
      if (!key.startsWith(prefix)) continue
      const rest = key.slice(prefix.length)
      const slash = rest.indexOf('/')
      if (slash === -1) files.push(rest)
      else dirs.add(rest.slice(0, slash))
    }
    return [[...dirs].sort(), files.sort()]
  }

  protected async *_list(dirName: string, options: ListOptions): AsyncIterable<FileEntry> {
    const prefix = dirName === '' ? '' : dirName.replace(/\/+$/, '') + '/'
    const names = [...this.#files.keys()].filter(
      (k) => k.startsWith(prefix) && (options.recursive || !k.slice(prefix.length).includes('/')),
    )
    for (const name of names.sort()) {
      const file = this.#files.get(name)
      if (file) yield { name, size: file.data.length, lastModified: file.modified, etag: file.etag }
    }
  }

  protected async _stat(name: string): Promise<FileStat> {
    return statOf(this.get(name))
  }

  protected override async _getTime(name: string, kind: TimeKind): Promise<Date> {
    const file = this.get(name)
    return kind === 'modified' ? file.modified : kind === 'created' ? file.created : file.accessed
  }

  protected _url(name: string, options: UrlOptions): string {
    return this.urls.url(name, options)
  }

  protected override async _signedUploadUrl(name: string, options: SignedUploadOptions): Promise<SignedUpload> {
    return this.urls.signedUpload(name, options)
  }

  /**
   * Writes here are atomic (a file appears when its content was read whole), so no save leaves a
   * temporary file; this removes files under a temporary name (`.nstmp-…`) older than `olderThan`,
   * should any have been put there (by `_save` of a subclass, say), and returns how many.
   */
  protected override async _cleanup(olderThan: number): Promise<number> {
    const cutoff = Date.now() - olderThan
    let removed = 0
    for (const [name, file] of this.#files) {
      if (isTemporaryName(name.slice(name.lastIndexOf('/') + 1)) && file.modified.getTime() <= cutoff) {
        this.#files.delete(name)
        removed++
      }
    }
    return removed
  }

  protected override async _copy(from: string, to: string, overwrite: boolean): Promise<void> {
    const file = this.get(from)
    if (!overwrite && (this.#files.has(to) || this.isDir(to))) throw new FileExistsError(`File '${to}' already exists.`, { key: to })
    this.put(to, Buffer.from(file.data), { contentType: file.contentType, metadata: file.metadata })
  }

  protected override async _move(from: string, to: string, overwrite: boolean): Promise<void> {
    await this._copy(from, to, overwrite)
    if (from !== to) this.#files.delete(from)
  }
}

function statOf(file: MemoryFile): FileStat {
  return {
    size: file.data.length,
    lastModified: file.modified,
    etag: file.etag,
    ...(file.contentType ? { contentType: file.contentType } : {}),
  }
}

function readOf(file: MemoryFile, range: ReadRange): Readable {
  file.accessed = new Date()
  const start = range.start ?? 0
  const end = range.end === undefined ? file.data.length : range.end + 1
  const slice = file.data.subarray(start, Math.max(start, end))
  return builtin('node:stream').Readable.from(slice.length ? [slice] : [], { objectMode: false })
}
