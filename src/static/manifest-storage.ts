/**
 * `manifestStorage()`: Django's `ManifestStaticFilesStorage.url()` over any storage. The wrapper
 * is a `Storage` that delegates every method to the wrapped storage's public API (so its own
 * name checks, location, error wrapping and capabilities apply exactly once), except `url()`,
 * which first maps the name through `staticfiles.json` to its hashed name. The manifest is read
 * on first use and kept; `reload()` reads it again (after a deploy).
 */
import type { Readable, Writable } from 'node:stream'
import { FileNotFoundError, ImproperlyConfigured, InvalidArgumentError } from '../core/errors.js'
import { isSelfServing, signedUrlVerifierOf, type SignedUrlVerifier } from '../core/capabilities.js'
import { Storage, type TimeKind, type WriteRequest } from '../core/storage.js'
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
} from '../core/types.js'
import { DEFAULT_MANIFEST_NAME, parseManifest, type StaticManifest } from './manifest-file.js'
import { unquote } from './names.js'

/** Options of `manifestStorage()`. */
export interface ManifestStorageOptions {
  /** Name of the manifest (default `staticfiles.json`). */
  manifestName?: string
  /**
   * A name missing from the manifest throws `ImproperlyConfigured` (default true, Django's
   * `manifest_strict`); false gives the URL of the name as it is.
   */
  strict?: boolean
  /** Where the manifest is read from (default: the wrapped storage), e.g. a local copy shipped with the app. */
  manifestStorage?: Storage
}

/** A loaded manifest, and the hashed names it holds (which map to themselves). */
interface Loaded extends StaticManifest {
  hashed: Set<string>
  /** False when the manifest file does not exist. */
  found: boolean
}

/** The wrapper `manifestStorage()` returns. */
export class ManifestStorage extends Storage {
  /** The storage files are read from and URLs made by. */
  readonly storage: Storage
  readonly manifestName: string
  readonly strict: boolean
  readonly #source: Storage
  #loading?: Promise<Loaded>

  /** Wraps `storage`; reads nothing until the first `url()`. */
  constructor(storage: Storage, options: ManifestStorageOptions = {}) {
    super({ fileOverwrite: storage.fileOverwrite })
    this.storage = storage
    this.manifestName = options.manifestName ?? DEFAULT_MANIFEST_NAME
    this.strict = options.strict ?? true
    this.#source = options.manifestStorage ?? storage
  }

  /** The wrapped storage's `SelfServing` capability (handlers redirect to `url()`). */
  get servesItself(): true | undefined {
    return isSelfServing(this.storage) ? true : undefined
  }

  /** The wrapped storage's signed-URL verifier, for `serveStorage`/`storageHandler`. */
  get signedUrlVerifier(): SignedUrlVerifier | undefined {
    return signedUrlVerifierOf(this.storage)
  }

  /** `ManifestStorage(<wrapped>, staticfiles.json)`. */
  override toString(): string {
    return `ManifestStorage(${String(this.storage)}, ${this.manifestName})`
  }

  // ------------------------------------------------------------ the manifest

  async #read(): Promise<Loaded> {
    let text: string
    try {
      text = (await this.#source.read(this.manifestName)).toString('utf8')
    } catch (error) {
      if (error instanceof FileNotFoundError || (error as { code?: string })?.code === 'ENOENT') {
        return { paths: {}, hash: '', hashed: new Set(), found: false }
      }
      throw error
    }
    const manifest = parseManifest(text, this.manifestName)
    return { ...manifest, hashed: new Set(Object.values(manifest.paths)), found: true }
  }

  /** The manifest, read once (a failed read is retried on the next call). */
  manifest(): Promise<StaticManifest> {
    return this.#loaded()
  }

  #loaded(): Promise<Loaded> {
    if (!this.#loading) {
      const loading = this.#read()
      this.#loading = loading
      loading.catch(() => {
        if (this.#loading === loading) this.#loading = undefined
      })
    }
    return this.#loading
  }

  /** Reads the manifest again (after `collectStatic` published a new one). */
  async reload(): Promise<StaticManifest> {
    this.#loading = undefined
    return this.#loaded()
  }

  /**
   * Django's `stored_name`: the hashed name of `name` (a name already hashed maps to itself).
   * Missing with `strict`: `ImproperlyConfigured`, a deployment error rather than the caller's.
   */
  async storedName(name: string): Promise<string> {
    const loaded = await this.#loaded()
    const clean = name.trim()
    const hashed = loaded.paths[clean]
    if (hashed !== undefined) return hashed
    if (loaded.hashed.has(clean) || !this.strict) return clean
    const why = loaded.found
      ? `Run collectStatic with manifest: true after adding the file, or check the name (names are relative to the static root, e.g. 'css/app.css').`
      : `The manifest does not exist in the storage: run collectStatic with manifest: true first.`
    throw new ImproperlyConfigured(`Missing staticfiles manifest entry for '${clean}' in '${this.manifestName}'. ${why}`, { key: name })
  }

  /**
   * The URL of the hashed name through the wrapped storage (its domain, signing and all). A query
   * and fragment of `name` are kept (`fonts/f.eot?#iefix` → `…/fonts/f.<hash>.eot?#iefix`); a
   * query on a signed URL throws `InvalidArgumentError` (it would break the signature).
   */
  override async url(name: string, options: UrlOptions = {}): Promise<string> {
    const cut = name.search(/[?#]/)
    const path = cut === -1 ? name : name.slice(0, cut)
    const rest = cut === -1 ? '' : name.slice(cut)
    let url = await this.storage.url(await this.storedName(unquote(path)), options)
    if (rest === '') return url
    const hashAt = rest.indexOf('#')
    const query = (hashAt === -1 ? rest : rest.slice(0, hashAt)).replace(/^\?/, '')
    const fragment = hashAt === -1 ? undefined : rest.slice(hashAt + 1)
    if (query !== '' && url.includes('?')) {
      throw new InvalidArgumentError(
        `Cannot add the query of '${name}' to ${this.storage}'s URL, which has its own (a signed URL): ` +
          'the signature covers the whole query. Drop the query (hashed names need no cache-busting).',
        { key: name },
      )
    }
    if (query !== '') url += '?' + query
    else if (rest.startsWith('?#') && !url.includes('?')) url += '?' // the @font-face `?#iefix` hack
    if (fragment !== undefined && fragment !== '') url += '#' + fragment
    return url
  }

  // ------------------------------------------------------------ the public API, delegated

  override save(name: string | null | undefined, content: Content, options?: SaveOptions): Promise<string> {
    return this.storage.save(name, content, options)
  }
  override open(name: string, options?: OpenOptions): Promise<Readable> {
    return this.storage.open(name, options)
  }
  override read(name: string, options?: IoOptions): Promise<Buffer> {
    return this.storage.read(name, options)
  }
  override createWriteStream(name: string, options?: WriteStreamOptions): Writable {
    return this.storage.createWriteStream(name, options)
  }
  override delete(name: string, options?: IoOptions): Promise<void> {
    return this.storage.delete(name, options)
  }
  override deleteMany(names: Iterable<string>, options?: IoOptions): Promise<void> {
    return this.storage.deleteMany(names, options)
  }
  override exists(name: string, options?: IoOptions): Promise<boolean> {
    return this.storage.exists(name, options)
  }
  override listdir(path?: string, options?: IoOptions): Promise<[string[], string[]]> {
    return this.storage.listdir(path, options)
  }
  override list(prefix?: string, options?: ListOptions): AsyncIterable<FileEntry> {
    return this.storage.list(prefix, options)
  }
  override stat(name: string, options?: IoOptions): Promise<FileStat> {
    return this.storage.stat(name, options)
  }
  override size(name: string, options?: IoOptions): Promise<number> {
    return this.storage.size(name, options)
  }
  override getModifiedTime(name: string, options?: IoOptions): Promise<Date> {
    return this.storage.getModifiedTime(name, options)
  }
  override getCreatedTime(name: string, options?: IoOptions): Promise<Date> {
    return this.storage.getCreatedTime(name, options)
  }
  override getAccessedTime(name: string, options?: IoOptions): Promise<Date> {
    return this.storage.getAccessedTime(name, options)
  }
  override path(name: string): string {
    return this.storage.path(name)
  }
  override copy(from: string, to: string, options?: IoOptions): Promise<void> {
    return this.storage.copy(from, to, options)
  }
  override move(from: string, to: string, options?: IoOptions): Promise<void> {
    return this.storage.move(from, to, options)
  }
  override signedUploadUrl(name: string, options?: SignedUploadOptions): Promise<SignedUpload> {
    return this.storage.signedUploadUrl(name, options)
  }
  override getValidName(name: string): string {
    return this.storage.getValidName(name)
  }
  override getAlternativeName(fileRoot: string, fileExt: string): string {
    return this.storage.getAlternativeName(fileRoot, fileExt)
  }
  override generateFilename(filename: string): string {
    return this.storage.generateFilename(filename)
  }
  override isNameAvailable(name: string, maxLength?: number | null): Promise<boolean> {
    return this.storage.isNameAvailable(name, maxLength)
  }
  override getAvailableName(name: string, maxLength?: number | null): Promise<string> {
    return this.storage.getAvailableName(name, maxLength)
  }

  // ------------------------------------------------------------ the backend contract, delegated (for subclasses)

  protected async _save(name: string, req: WriteRequest): Promise<string> {
    const { body, signal, contentType, metadata, cacheControl, contentDisposition, objectParameters } = req
    const options = { signal, contentType, metadata, cacheControl, contentDisposition, objectParameters }
    return this.storage.save(name, body, options)
  }
  protected _open(name: string, options: OpenOptions): Promise<Readable> {
    return this.storage.open(name, options)
  }
  protected _delete(name: string, options: IoOptions): Promise<void> {
    return this.storage.delete(name, options)
  }
  protected _exists(name: string, options: IoOptions): Promise<boolean> {
    return this.storage.exists(name, options)
  }
  protected _listdir(path: string, options: IoOptions): Promise<[string[], string[]]> {
    return this.storage.listdir(path, options)
  }
  protected _list(prefix: string, options: ListOptions): AsyncIterable<FileEntry> {
    return this.storage.list(prefix, options)
  }
  protected _stat(name: string, options: IoOptions): Promise<FileStat> {
    return this.storage.stat(name, options)
  }
  protected override _getTime(name: string, kind: TimeKind, options: IoOptions): Promise<Date> {
    return kind === 'modified'
      ? this.storage.getModifiedTime(name, options)
      : kind === 'created'
        ? this.storage.getCreatedTime(name, options)
        : this.storage.getAccessedTime(name, options)
  }
  protected _url(name: string, options: UrlOptions): Promise<string> {
    return this.url(name, options)
  }
}

/**
 * A storage whose `url(name)` is the URL of `name`'s hashed name from the manifest
 * (`staticfiles.json`, written by `collectStatic(…, { manifest: true })`), made by `storage`
 * (custom domain, CloudFront or S3 signing and all); every other method is `storage`'s own.
 */
export function manifestStorage(storage: Storage, options: ManifestStorageOptions = {}): ManifestStorage {
  return new ManifestStorage(storage, options)
}
