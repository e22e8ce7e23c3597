/**
 * S3Storage: Amazon S3 and S3-compatible stores (MinIO, R2, B2, Spaces), django-storages'
 * `S3Storage` for Node. Names are relative to `location` and map to keys
 * `location/name`. The AWS SDK loads on first use; `url()` never calls it (URLs are built and
 * presigned by string formatting, see endpoint.ts, url-builder.ts and signing/).
 */
import type { Readable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import { Storage, type ErrorContext, type NameLimits, type WriteRequest } from '../../core/storage.js'
import { FileExistsError, type StorageError } from '../../core/errors.js'
import { processEnv, type Env } from '../../core/env.js'
import { optionsFromEnv, type EnvContext } from '../../core/options.js'
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
import { genericStorageError } from '../../core/wrap-error.js'
import { redactS3Error, secretsOf } from './redact.js'
import { isTimeout, timeoutError } from './timeouts.js'
import type { CloudFrontSignerFunction, ResolvedS3Options, S3StorageOptions } from './options.js'
import { resolveS3Options } from './resolve.js'
import { S3_OPTIONS } from './option-table.js'
import { S3ClientHolder, type S3Sdk } from './client.js'
import { isNotFound, isPreconditionFailed, mapS3Error, s3ErrorCode } from './errors.js'
import { isClaimed, isInFlight, saveObject, type SaveHost } from './save.js'
import { cleanupS3 } from './cleanup.js'
import { listdir, listFiles, type ListScope } from './list.js'
import { copyParameters, downloadParameters, writePlan, type WriteSettings } from './write.js'
import { copyObject, type TransferContext } from './transfer.js'
import { emptyStream, isEmptyRange, mapStreamErrors, readObject } from './read.js'
import { DirectGet } from './get.js'
import { DirectLink } from './direct.js'
import { DirectPut } from './put.js'
import { DirectList } from './list-direct.js'
import { S3Urls } from './url-builder.js'
import { explainHeadError } from './head-cause.js'
import { buildIamPolicy, type IamPolicy, policyScope } from './policy.js'
import type { Diagnosable, IamPolicyOptions, PolicyProvider, SelfServing } from '../../core/capabilities.js'
import type { Check, DiagnoseOptions } from '../../core/diagnostics.js'

/** S3 keys are at most 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024

/** Files in an S3 bucket under `location`. */
export class S3Storage extends Storage implements PolicyProvider, SelfServing, Diagnosable {
  /** The bucket. */
  readonly bucketName: string
  /** The key prefix names live under (`''`: the bucket root), without a trailing `/`. */
  readonly location: string
  /** Whether `url()` signs. */
  readonly querystringAuth: boolean
  /** Default lifetime of signed URLs, in seconds. */
  readonly querystringExpire: number
  /** The region requests are signed for. */
  readonly regionName?: string
  /** The canned ACL writes carry (`objectParameters.ACL`, else `defaultAcl`); none: no ACL header. */
  readonly defaultAcl?: string
  /** The PutObject parameters every write carries (`objectParameters`), read-only. */
  get objectParameters(): Readonly<Record<string, unknown>> {
    return this.#options.objectParameters
  }
  readonly #options: ResolvedS3Options
  readonly #clients: S3ClientHolder
  readonly #urls: S3Urls
  readonly #prefix: string
  readonly #saveHost: SaveHost
  #direct?: DirectGet
  #directPut?: DirectPut
  #directList?: DirectList
  #link?: DirectLink

  /**
   * Creates the storage from `options` only: the environment is read by `S3Storage.fromEnv()` and
   * `createStorage()`, never here. Throws `ImproperlyConfigured` for a bad or missing setting;
   * makes no network request and does not load the AWS SDK.
   */
  constructor(options: S3StorageOptions = {}) {
    const resolved = resolveS3Options(options)
    super({ fileOverwrite: resolved.fileOverwrite })
    this.#options = resolved
    this.bucketName = resolved.bucketName
    this.location = resolved.location
    this.querystringAuth = resolved.querystringAuth
    this.querystringExpire = resolved.querystringExpire
    if (resolved.regionName) this.regionName = resolved.regionName
    const acl = resolved.objectParameters.ACL ?? resolved.defaultAcl
    if (typeof acl === 'string' && acl) this.defaultAcl = acl
    this.#prefix = resolved.location ? resolved.location + '/' : ''
    this.#clients = new S3ClientHolder(resolved)
    this.#urls = new S3Urls(resolved, this.#clients)
    this.#saveHost = {
      key: (name) => this.key(name),
      claimId: (name) => `${resolved.endpointUrl ?? ''}|${this.bucketName}|${this.key(name)}`,
      prefix: this.#prefix,
      exists: (name, signal) => this._exists(name, { signal }),
      deleteKey: (key) => this.deleteKey(key),
      conditionalWrites: resolved.conditionalWrites,
      multipartThreshold: resolved.transferConfig.multipartThreshold,
    }
  }

  /**
   * A storage from `overrides`, each option they leave unset taken from the django-storages
   * `AWS_*` variables of `env` (docs/s3.md lists them; booleans, numbers and JSON parsed). With
   * `context.alias` other than `default`, variables that widen access are left out (docs/configuration.md).
   */
  static fromEnv(env: Env = processEnv(), overrides: S3StorageOptions = {}, context: EnvContext = {}): S3Storage {
    return new S3Storage(optionsFromEnv(S3_OPTIONS, env, overrides, context))
  }

  /** `S3Storage(bucket 'b', location 'media', region 'eu-west-3')`: never credentials. */
  override toString(): string {
    const endpoint = this.#options.endpointUrl ? `, endpoint '${this.#options.endpointUrl}'` : ''
    return `S3Storage(bucket '${this.bucketName}', location '${this.location}', region '${this.regionName ?? '(from client)'}'${endpoint})`
  }

  /** The S3 client (built on first call; loads the AWS SDK), for operations this class lacks. */
  async getClient(): Promise<S3Client> {
    return (await this.#clients.get()).client
  }

  /**
   * The S3 checks `node-storages doctor` adds (credentials, bucket, region, clock, ACLs, CORS, URL):
   * diagnose/. The checks load on the first iteration (a chunk of their own in the build).
   */
  async *diagnose(options?: DiagnoseOptions): AsyncIterable<Check> {
    const { diagnoseS3 } = await import('./diagnose/index.js')
    yield* diagnoseS3({ storage: this, options: this.#options }, options)
  }

  /** Closes the sockets of the client this storage built. */
  destroy(): void {
    this.#clients.destroy()
    this.#direct?.destroy()
    this.#link?.destroy()
  }

  /** The locator, presigner and keep-alive agent the direct GET and PUT share (direct.ts). */
  private get link(): DirectLink {
    return (this.#link ??= new DirectLink(this.#options, this.#clients, this.download))
  }

  /** The object key of a resolved name. */
  key(name: string): string {
    return this.#prefix + name
  }

  // ------------------------------------------------------------ hooks of the base class

  /** Names live under the key prefix `location`; keys are at most 1,024 bytes of UTF-8. */
  protected override get nameLimits(): NameLimits {
    this.#limits ??= { prefix: this.location, maxKeyBytes: MAX_KEY_BYTES, limitName: "S3's limit of 1,024 bytes" }
    return this.#limits
  }

  #limits?: NameLimits

  /** A name another save of this process is writing is not free (concurrent saves get distinct names). */
  protected override isNameReserved(resolved: string): boolean {
    return isClaimed(this.#saveHost.claimId(resolved))
  }

  /** SDK errors made safe (redact.ts), timeouts as `TimeoutError`, the rest mapped by errors.ts. */
  protected override mapError(error: unknown, context: ErrorContext): StorageError | undefined {
    const safe = this.redact(error)
    if (isTimeout(safe)) return timeoutError(safe, context.operation, context.name, this.#options)
    const key = context.resolved === undefined ? undefined : this.key(context.resolved)
    const acl = Boolean(this.#options.defaultAcl || this.#options.objectParameters.ACL)
    const mapped = mapS3Error(safe, {
      operation: context.operation,
      name: context.name,
      key,
      bucket: this.bucketName,
      region: this.regionName ?? 'unknown',
      ...(this.#options.endpointUrl ? { endpointUrl: this.#options.endpointUrl } : {}),
      acl,
    })
    return mapped ?? genericStorageError(safe, context)
  }

  /** An SDK error without its secrets (redact.ts). */
  private redact<T>(error: T): T {
    return redactS3Error(error, (this.#secrets ??= secretsOf(this.#options)))
  }

  #secrets?: string[]

  // ------------------------------------------------------------ helpers

  private async context(signal?: AbortSignal): Promise<TransferContext & { sdk: S3Sdk }> {
    const { sdk, client } = await this.#clients.get()
    return { sdk, client, bucket: this.bucketName, transfer: this.#options.transferConfig, signal }
  }

  private get writeSettings(): WriteSettings {
    const o = this.#options
    return { objectParameters: o.objectParameters, defaultAcl: o.defaultAcl, gzip: o.gzip, gzipContentTypes: o.gzipContentTypes }
  }

  private get download(): Record<string, unknown> {
    return downloadParameters(this.#options.objectParameters)
  }

  private async head(name: string, signal?: AbortSignal) {
    const { sdk, client } = await this.#clients.get()
    const input = { ...this.download, Bucket: this.bucketName, Key: this.key(name) }
    try {
      return await client.send(new sdk.HeadObjectCommand(input as never), { abortSignal: signal })
    } catch (error) {
      throw await explainHeadError(error, { client, sdk, input, signal }) // HEAD answers have no body: find the cause (head-cause.ts)
    }
  }

  // ------------------------------------------------------------ writes

  protected async _save(name: string, req: WriteRequest): Promise<string> {
    const ctx = { ...(await this.context(req.signal)), direct: (this.#directPut ??= new DirectPut(this.link)) }
    return saveObject(this.#saveHost, ctx, name, req, writePlan(this.key(name), req, this.writeSettings))
  }

  protected override async _copy(from: string, to: string, overwrite: boolean, options: IoOptions = {}): Promise<void> {
    if (from === to) {
      await this.head(from, options.signal)
      if (!overwrite) throw new FileExistsError(`File '${to}' already exists.`, { key: to })
      return
    }
    // The HEAD guards servers that ignore If-None-Match; the header makes it atomic where honoured.
    if (!overwrite && (await this._exists(to, options))) throw new FileExistsError(`File '${to}' already exists.`, { key: to })
    const ctx = await this.context(options.signal)
    const params = copyParameters({
      ...this.#options.objectParameters,
      ...(this.#options.defaultAcl && !this.#options.objectParameters.ACL ? { ACL: this.#options.defaultAcl } : {}),
    })
    const extra = !overwrite && this.#options.conditionalWrites ? { IfNoneMatch: '*' } : {}
    try {
      await copyObject(ctx, this.key(from), this.key(to), params, extra)
    } catch (error) {
      if (!overwrite && isPreconditionFailed(error)) {
        throw new FileExistsError(`File '${to}' already exists.`, { key: to, cause: this.redact(error) })
      }
      throw error
    }
  }

  protected override async _move(from: string, to: string, overwrite: boolean, options: IoOptions = {}): Promise<void> {
    await this._copy(from, to, overwrite, options)
    if (from !== to) await this._delete(from, options)
  }

  private async deleteKey(key: string, signal?: AbortSignal): Promise<void> {
    const { sdk, client } = await this.#clients.get()
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucketName, Key: key }), { abortSignal: signal })
  }

  protected async _delete(name: string, options: IoOptions = {}): Promise<void> {
    try {
      await this.deleteKey(this.key(name), options.signal)
    } catch (error) {
      if (!isNotFound(error)) throw error
    }
  }

  protected override async _deleteMany(names: string[], options: IoOptions = {}): Promise<void> {
    const { sdk, client } = await this.#clients.get()
    const abortSignal = options.signal
    for (let i = 0; i < names.length; i += 1000) {
      const Objects = names.slice(i, i + 1000).map((n) => ({ Key: this.key(n) }))
      let out
      try {
        out = await client.send(new sdk.DeleteObjectsCommand({ Bucket: this.bucketName, Delete: { Objects, Quiet: true } }), {
          abortSignal,
        })
      } catch (error) {
        if (s3ErrorCode(error) !== 'NotImplemented') throw error
        await super._deleteMany(names.slice(i), options) // a server without DeleteObjects
        return
      }
      const failed = (out.Errors ?? []).find((e) => e.Code !== 'NoSuchKey')
      if (failed) {
        const status = failed.Code === 'AccessDenied' ? 403 : undefined
        throw Object.assign(new Error(`${failed.Code}: ${failed.Message ?? ''} (key '${failed.Key}')`), {
          name: failed.Code,
          Code: failed.Code,
          $metadata: { httpStatusCode: status },
        })
      }
    }
  }

  // ------------------------------------------------------------ reads

  /**
   * GetObject through the direct GET of get.ts (a query-signed GET on a keep-alive agent), which
   * falls back to the SDK's GetObject for anything but a 2xx (get.ts says when it is not used).
   * A body failing midway errors with a StorageError, as a failed call would; after the caller's
   * abort, with the signal's reason.
   */
  protected async _open(name: string, options: OpenOptions): Promise<Readable> {
    const { signal } = options
    if (isEmptyRange(options)) {
      await this.head(name, signal)
      return emptyStream()
    }
    const key = this.key(name)
    const viaSdk = async (range?: string) => {
      const { sdk, client } = await this.#clients.get()
      const input = { ...this.download, Bucket: this.bucketName, Key: key, ...(range ? { Range: range } : {}) }
      return client.send(new sdk.GetObjectCommand(input as never), { abortSignal: signal })
    }
    const direct = (this.#direct ??= new DirectGet(this.#options, this.#clients, this.download, this.link))
    const get = (range?: string) => direct.get({ key, range, signal }, () => viaSdk(range))
    const body = await readObject(get, options, this.#options.gzip)
    return mapStreamErrors(body, (error) => (signal?.aborted ? signal.reason : this.wrapError(error, 'open', name)))
  }

  protected async _stat(name: string, options: IoOptions = {}): Promise<FileStat> {
    const out = await this.head(name, options.signal)
    return {
      size: out.ContentLength ?? 0,
      lastModified: out.LastModified ?? new Date(0),
      ...(out.ETag ? { etag: out.ETag } : {}),
      ...(out.ContentType ? { contentType: out.ContentType } : {}),
    }
  }

  protected async _exists(name: string, options: IoOptions = {}): Promise<boolean> {
    if (this.key(name) === '') return true // the bucket root
    try {
      await this.head(name, options.signal)
      return true
    } catch (error) {
      if (isNotFound(error)) return false
      throw error
    }
  }

  /** Temporary objects and incomplete uploads of interrupted saves under the location (cleanup.ts). */
  protected override async _cleanup(olderThan: number, options: IoOptions): Promise<number> {
    return cleanupS3(await this.context(options.signal), { root: this.#prefix, olderThan, inFlight: isInFlight })
  }

  private scope(name: string): ListScope {
    const dir = name.replace(/\/+$/, '')
    const owner = this.download.ExpectedBucketOwner
    return {
      root: this.#prefix,
      prefix: dir === '' ? this.#prefix : this.key(dir) + '/',
      ...(owner ? { expectedBucketOwner: String(owner) } : {}),
    }
  }

  protected async _listdir(name: string, options: IoOptions = {}): Promise<[string[], string[]]> {
    return listdir(await this.listContext(options.signal), this.scope(name))
  }

  protected async *_list(name: string, options: ListOptions): AsyncIterable<FileEntry> {
    yield* listFiles(await this.listContext(options.signal), this.scope(name), options.recursive ?? false)
  }

  /** The context of a listing: with the direct ListObjectsV2 of list-direct.ts. */
  private async listContext(signal?: AbortSignal): Promise<TransferContext & { sdk: S3Sdk }> {
    return { ...(await this.context(signal)), list: (this.#directList ??= new DirectList(this.link)) }
  }

  // ------------------------------------------------------------ URLs

  protected _url(name: string, options: UrlOptions): Promise<string> | string {
    return this.#urls.url(this.key(name), options)
  }

  protected override async _signedUploadUrl(name: string, options: SignedUploadOptions): Promise<SignedUpload> {
    const plan = writePlan(this.key(name), { contentType: options.contentType }, { ...this.writeSettings, gzip: false })
    return { name, ...(await this.#urls.signedUpload(this.key(name), plan.params, options)) }
  }

  // ------------------------------------------------------------ capabilities

  /** Files are fetched from `url()` (S3 or its CDN): HTTP handlers redirect GET/HEAD there (SelfServing). */
  readonly servesItself = true as const

  /**
   * The least-privilege IAM policy for this bucket and location (PolicyProvider, `node-storages
   * policy`): `doctor: true` adds the bucket-setting reads of `node-storages doctor`.
   */
  iamPolicy(options?: IamPolicyOptions): IamPolicy {
    return buildIamPolicy(policyScope(this.#options), options)
  }
}

export type { S3StorageOptions, CloudFrontSignerFunction }
