/**
 * URLs of the backends that `serveStorage` serves (filesystem, memory): Django's
 * `urljoin(baseUrl, filepath_to_uri(name))`, optionally signed with an HMAC `secret`
 * (`?expires=<epoch>&signature=<hmac>`), and the signed PUT URLs of direct uploads.
 */
import { ImproperlyConfigured, InvalidArgumentError, NoUrlError, NotImplementedError } from './errors.js'
import type { SignedUrlVerifier } from './capabilities.js'
import { LOCAL_URL_OPTIONS, resolveOptions } from './options.js'
import { signGrant, verifyGrant, type GrantCheck, type LocalGrant } from './signing.js'
import { filepathToUri, formEncode } from './uri.js'
import type { SignedUpload, SignedUploadOptions, UrlOptions } from './types.js'

/** URL options of the filesystem and memory backends. */
export interface LocalUrlOptions {
  /** URL prefix files are served under (default `/media/`; a trailing `/` is added; `fromEnv()`: `MEDIA_URL`). `null`: no URLs. */
  baseUrl?: string | null
  /** Sign URLs with `secret` (default false). */
  querystringAuth?: boolean
  /** Seconds signed URLs stay valid (default 3600). */
  querystringExpire?: number
  /**
   * HMAC key of signed URLs; required when `querystringAuth` is on and for signed uploads
   * (`fromEnv()`: `STORAGE_SECRET`, at least 32 bytes).
   */
  secret?: string | Buffer
}

/** Builds and checks the URLs of one local storage. */
export class LocalUrls implements SignedUrlVerifier {
  readonly baseUrl: string | null
  readonly querystringAuth: boolean
  readonly querystringExpire: number
  readonly #secret: string | Buffer | undefined

  /**
   * Checks `options` (the entries of `LOCAL_URL_OPTIONS`; other names are the backend's) and
   * applies the defaults; a bad value throws `ImproperlyConfigured` naming `backendName`'s option.
   */
  constructor(options: LocalUrlOptions, backendName: string) {
    const values = resolveOptions<{
      baseUrl: string | null
      querystringAuth: boolean
      querystringExpire: number
      secret?: string | Buffer
    }>({ backend: backendName, entries: LOCAL_URL_OPTIONS }, options, 'ignore')
    this.baseUrl = values.baseUrl
    this.querystringAuth = values.querystringAuth
    this.querystringExpire = values.querystringExpire
    this.#secret = values.secret
    if (this.querystringAuth && this.#secret === undefined) {
      throw new ImproperlyConfigured(
        `${backendName} has querystringAuth on but no 'secret': pass secret (a long random string, e.g. from crypto.randomBytes(32).toString('hex')) or set STORAGE_SECRET to sign URLs.`,
      )
    }
  }

  /** Whether plain GETs are refused (`querystringAuth`): the `SignedUrlVerifier` capability. */
  get requireSignature(): boolean {
    return this.querystringAuth
  }

  /** Whether this storage can sign (has a secret). */
  get canSign(): boolean {
    return this.#secret !== undefined
  }

  private requireBase(): string {
    if (this.baseUrl === null) throw new NoUrlError('This file is not accessible via a URL: baseUrl is null.')
    return this.baseUrl
  }

  /** Seconds from now to the expiry of a signed URL: `expire` must be a whole number >= 0. */
  private expiresAt(expire: number | undefined): number {
    const seconds = expire ?? this.querystringExpire
    if (!Number.isSafeInteger(seconds) || seconds < 0) {
      throw new InvalidArgumentError(`The expiry of a signed URL must be a whole number of seconds >= 0, got ${String(expire)}.`)
    }
    return Math.floor(Date.now() / 1000) + seconds
  }

  /** The URL of `name` (already resolved), signed when `querystringAuth` is on. */
  url(name: string, options: UrlOptions = {}): string {
    let url = this.requireBase() + filepathToUri(name)
    const params = options.parameters && Object.keys(options.parameters).length ? formEncode(options.parameters) : ''
    if (!this.querystringAuth) return params ? `${url}?${params}` : url
    const expires = this.expiresAt(options.expire)
    const signature = signGrant(this.#secret!, { method: options.httpMethod ?? 'GET', name, expires })
    url += `?${params ? params + '&' : ''}expires=${expires}&signature=${signature}`
    return url
  }

  /** A signed PUT URL for a direct upload of `name`. */
  signedUpload(name: string, options: SignedUploadOptions): SignedUpload {
    if (options.method === 'POST') {
      throw new NotImplementedError('Signed POST uploads are an S3 feature; local storages sign PUT uploads (method: "PUT").')
    }
    if (!this.canSign) {
      throw new ImproperlyConfigured(
        "Signed upload URLs need a 'secret' option on this storage (an HMAC key, e.g. crypto.randomBytes(32).toString('hex')).",
      )
    }
    const expires = this.expiresAt(options.expire)
    if (options.maxSize !== undefined && (!Number.isSafeInteger(options.maxSize) || options.maxSize < 0)) {
      throw new InvalidArgumentError(
        `signedUploadUrl() option 'maxSize' must be a whole number of bytes >= 0, got ${String(options.maxSize)}.`,
      )
    }
    const grant: LocalGrant = { method: 'PUT', name, expires, contentType: options.contentType, maxSize: options.maxSize }
    const query: [string, unknown][] = [['expires', expires]]
    if (options.contentType !== undefined) query.push(['contentType', options.contentType])
    if (options.maxSize !== undefined) query.push(['maxSize', options.maxSize])
    query.push(['signature', signGrant(this.#secret!, grant)])
    const headers: Record<string, string> = {}
    if (options.contentType !== undefined) headers['Content-Type'] = options.contentType
    return {
      name,
      url: `${this.requireBase()}${filepathToUri(name)}?${formEncode(query)}`,
      method: 'PUT',
      headers,
      expiresAt: new Date(expires * 1000),
    }
  }

  /** Checks a signed URL's grant (constant-time); `serveStorage` calls this. */
  verify(grant: LocalGrant, signature: string, now = Date.now()): GrantCheck {
    if (!this.canSign) return 'bad-signature'
    return verifyGrant(this.#secret!, grant, signature, now)
  }
}
