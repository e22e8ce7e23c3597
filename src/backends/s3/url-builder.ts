/**
 * `S3Storage.url()` and `signedUploadUrl()`: django-storages' decision procedure, with no AWS
 * SDK call on the `url()` path.
 * 1. `customDomain`: `<urlProtocol>//<customDomain>/<filepath_to_uri(key)>[?<form-encoded parameters>]`,
 *    CloudFront-signed (canned policy) when `querystringAuth` and a signer exist.
 * 2. Else `querystringAuth`: a SigV4 presigned URL from our own `QueryPresigner` (identical to
 *    the SDK's `getSignedUrl`), `parameters` being GetObject input names.
 * 3. Else the plain object URL (no credentials needed).
 */
import { ImproperlyConfigured, InvalidArgumentError, InvalidNameError } from '../../core/errors.js'
import { filepathToUri, formEncode } from '../../core/uri.js'
import type { SignedUpload, SignedUploadOptions, UrlOptions } from '../../core/types.js'
import type { ResolvedS3Options, CloudFrontSignerFunction } from './options.js'
import { configuredChecksums, type S3ClientHolder } from './client.js'
import { formatQuery, getObjectQuery, objectLocator, type ObjectLocator } from './endpoint.js'
import { QueryPresigner, type PresignMethod } from './signing/sigv4.js'
import { createCloudFrontSigner } from './signing/cloudfront.js'
import { loadPresignedPost } from './sdk.js'

interface Signing {
  locator: ObjectLocator
  get: QueryPresigner
  put: QueryPresigner
}

const METHODS = new Set<PresignMethod>(['GET', 'HEAD', 'PUT', 'DELETE'])

/** x-amz-* write parameters a presigned PUT carries in its query, as the SDK hoists them. */
const HOISTED: Record<string, string> = {
  ACL: 'x-amz-acl',
  StorageClass: 'x-amz-storage-class',
}

/**
 * Headers a direct upload must send; a presigned PUT signs them (the SDK keeps the encryption
 * headers signed rather than hoisted), so S3 refuses an upload with another Content-Type.
 */
const UPLOAD_HEADERS: Record<string, string> = {
  ContentType: 'Content-Type',
  CacheControl: 'Cache-Control',
  ContentDisposition: 'Content-Disposition',
  ContentEncoding: 'Content-Encoding',
  ServerSideEncryption: 'x-amz-server-side-encryption',
  SSEKMSKeyId: 'x-amz-server-side-encryption-aws-kms-key-id',
}

function invalid(message: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError(message, cause === undefined ? {} : { cause })
}

/** Builds the URLs of one S3Storage. */
export class S3Urls {
  readonly #options: ResolvedS3Options
  readonly #clients: S3ClientHolder
  readonly #cloudfront: CloudFrontSignerFunction | null
  #signing?: Signing
  #signingInit?: Promise<Signing>

  /** Parses the CloudFront key once (throws `ImproperlyConfigured` for a bad key). */
  constructor(options: ResolvedS3Options, clients: S3ClientHolder) {
    this.#options = options
    this.#clients = clients
    if (options.cloudfrontSigner !== undefined) this.#cloudfront = options.cloudfrontSigner
    else if (options.cloudfrontKeyId && options.cloudfrontKey) {
      try {
        this.#cloudfront = createCloudFrontSigner(options.cloudfrontKeyId, options.cloudfrontKey)
      } catch (error) {
        throw new ImproperlyConfigured(`S3Storage option 'cloudfrontKey' (env AWS_CLOUDFRONT_KEY): ${(error as Error).message}`)
      }
    } else this.#cloudfront = null
  }

  private build(
    region: string,
    checksums: { request: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'; response: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED' },
  ): Signing {
    const o = this.#options
    let locator: ObjectLocator
    try {
      locator = objectLocator({
        bucket: o.bucketName,
        region,
        endpointUrl: o.endpointUrl,
        addressingStyle: o.addressingStyle,
        useSsl: o.useSsl,
      })
    } catch (error) {
      throw new ImproperlyConfigured(
        `S3Storage cannot build URLs: ${(error as Error).message} Check bucketName, regionName and endpointUrl.`,
        { cause: error },
      )
    }
    const credentials = this.#clients.credentialProvider()
    return {
      locator,
      get: new QueryPresigner({
        region,
        credentials,
        requestChecksumCalculation: checksums.request,
        responseChecksumValidation: checksums.response,
      }),
      // Presigned uploads never carry a checksum: an empty body's CRC32 would make S3 refuse the upload.
      put: new QueryPresigner({
        region,
        credentials,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    }
  }

  /** Locator and presigners, built once (synchronously unless a given client must be asked its region). */
  private signing(): Signing | Promise<Signing> {
    if (this.#signing) return this.#signing
    const o = this.#options
    if (!o.client && o.regionName) return (this.#signing = this.build(o.regionName, configuredChecksums(o)))
    return (this.#signingInit ??= (async () => {
      const [region, checksums] = await Promise.all([this.#clients.region(), this.#clients.checksums()])
      return (this.#signing = this.build(region, checksums))
    })().catch((error: unknown) => {
      this.#signingInit = undefined // a failed lookup is retried by the next url()
      throw error
    }))
  }

  /** The URL of `key` (location included). */
  url(key: string, options: UrlOptions): string | Promise<string> {
    const o = this.#options
    const expire = options.expire ?? o.querystringExpire
    if (!Number.isInteger(expire) || expire < 0)
      throw invalid(`url() option 'expire' must be a whole number of seconds >= 0, got ${String(expire)}.`)
    if (o.customDomain) {
      let url = `${o.urlProtocol}//${o.customDomain}/${filepathToUri(key)}`
      if (options.parameters && Object.keys(options.parameters).length) url += '?' + formEncode(options.parameters)
      if (o.querystringAuth && this.#cloudfront) return this.#cloudfront(url, new Date(Date.now() + expire * 1000))
      return url
    }
    if (key === '') throw new InvalidNameError("S3 URLs need a file name: url('') with an empty location has no key.", { operation: 'url' })
    let query: Record<string, string>
    try {
      query = getObjectQuery(options.parameters)
    } catch (error) {
      throw invalid((error as Error).message, error)
    }
    const method = (options.httpMethod ?? 'GET').toUpperCase() as PresignMethod
    if (o.querystringAuth && !METHODS.has(method))
      throw invalid(`url() option 'httpMethod' must be GET, HEAD, PUT or DELETE, got '${options.httpMethod}'.`)
    const signing = this.signing()
    // No closure on the synchronous path: url() is hot, and a function per call shows in profiles.
    if (!(signing instanceof Promise)) return this.finish(signing, key, query, method, expire)
    return signing.then((ready) => this.finish(ready, key, query, method, expire))
  }

  /** The URL of `key` once the locator and presigners exist. */
  private finish(
    signing: Signing,
    key: string,
    query: Record<string, string>,
    method: PresignMethod,
    expire: number,
  ): string | Promise<string> {
    const { protocol, host, path } = signing.locator(key)
    if (!this.#options.querystringAuth) {
      const q = formatQuery(query)
      return `${protocol}//${host}${path}${q ? '?' + q : ''}`
    }
    // Built field by field: adding properties after a spread is slow on Node 20.
    const request = { method, protocol, host, path, query, expiresIn: expire }
    const presigner = method === 'PUT' ? signing.put : signing.get
    return presigner.presignSync(request) ?? presigner.presign(request)
  }

  /** A presigned PUT (default) or POST (with `content-length-range`) for `key`. */
  async signedUpload(key: string, params: Record<string, unknown>, options: SignedUploadOptions): Promise<Omit<SignedUpload, 'name'>> {
    const expire = options.expire ?? this.#options.querystringExpire
    const expiresAt = new Date(Date.now() + expire * 1000)
    if (options.method === 'POST') {
      const [{ createPresignedPost }, { client }] = await Promise.all([loadPresignedPost(), this.#clients.get()])
      const fields: Record<string, string> = {}
      for (const [member, header] of Object.entries(UPLOAD_HEADERS))
        if (params[member] !== undefined) fields[header] = String(params[member])
      for (const [member, field] of Object.entries(HOISTED))
        if (params[member] !== undefined) fields[field === 'x-amz-acl' ? 'acl' : field] = String(params[member])
      const max = options.maxSize ?? 5 * 1024 * 1024 * 1024
      const post = await createPresignedPost(client, {
        Bucket: this.#options.bucketName,
        Key: key,
        Conditions: [['content-length-range', 0, max]],
        Fields: fields,
        Expires: expire,
      })
      return { url: post.url, method: 'POST', headers: {}, fields: post.fields, expiresAt }
    }
    if (options.method !== undefined && options.method !== 'PUT')
      throw invalid(`signedUploadUrl() option 'method' must be 'PUT' or 'POST', got '${String(options.method)}'.`)
    const signing = await this.signing()
    const query: Record<string, string> = {}
    for (const [member, name] of Object.entries(HOISTED)) if (params[member] !== undefined) query[name] = String(params[member])
    const headers: Record<string, string> = {}
    for (const [member, header] of Object.entries(UPLOAD_HEADERS))
      if (params[member] !== undefined) headers[header] = String(params[member])
    // Without overwrite, the upload itself is conditional: a name taken since signing (or a second
    // upload to the same URL) gets 412 instead of replacing someone's file.
    if (!this.#options.fileOverwrite && this.#options.conditionalWrites) headers['If-None-Match'] = '*'
    const { protocol, host, path } = signing.locator(key)
    const url = await signing.put.presign({ method: 'PUT', protocol, host, path, query, expiresIn: expire, headers })
    return { url, method: 'PUT', headers, expiresAt }
  }
}
