/**
 * The option types of `S3Storage`: django-storages' S3 settings in camelCase. Their variables,
 * kinds, defaults and docs are declared once in option-table.ts; resolve.ts checks them. Nothing
 * here loads the AWS SDK.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'

/** Multipart settings (s3transfer's `TransferConfig` in django-storages). */
export interface TransferConfig {
  /** Size of each multipart part in bytes (default 8 MiB; S3's minimum is 5 MiB). */
  partSize?: number
  /** Parts uploaded at once (default 4). Memory in use is about `partSize × (queueSize + 1)`. */
  queueSize?: number
  /**
   * Content up to this many bytes goes in one PutObject, larger or unknown-length content through
   * a multipart upload (default 8 MiB). Content of unknown length is read up to this size first,
   * so this is also the most a small upload holds in memory.
   */
  multipartThreshold?: number
}

/** Signs a CloudFront URL valid until `expiresAt` (canned policy); returns the signed URL. */
export type CloudFrontSignerFunction = (url: string, expiresAt: Date) => string

/**
 * Options of `S3Storage`. The constructor uses only these; `S3Storage.fromEnv()` (and
 * `createStorage()`) take each one left unset from the environment variable named with it.
 */
export interface S3StorageOptions {
  /** The bucket (required; env `AWS_STORAGE_BUCKET_NAME`). */
  bucketName?: string
  /**
   * Key prefix every name lives under, e.g. `'media'` (default `''`; env `AWS_LOCATION`). A
   * leading `/` throws; a trailing `/` is ignored.
   */
  location?: string
  /**
   * Replace an existing object on `save()` (default **false**, unlike django-storages' true; env
   * `AWS_S3_FILE_OVERWRITE`). When false a taken name gets a `_<7 random chars>` suffix, made
   * atomic with `If-None-Match: *` (see `conditionalWrites`).
   */
  fileOverwrite?: boolean
  /**
   * PutObject parameters for every write, e.g. `{ CacheControl: 'max-age=86400',
   * ServerSideEncryption: 'AES256' }` (default `{}`; env `AWS_S3_OBJECT_PARAMETERS`, JSON). Its
   * download-related members (`SSECustomerKey`, `RequestPayer`, `ExpectedBucketOwner`, ...) are
   * also sent with reads and HEADs.
   */
  objectParameters?: Record<string, unknown>
  /**
   * Canned ACL of new objects, e.g. `'private'` or `'public-read'` (default: none, so no
   * `x-amz-acl` header and the bucket's settings apply; env `AWS_DEFAULT_ACL`). Ignored when
   * `objectParameters` has an `ACL`. Buckets with "ACLs disabled" (the AWS default since 2023),
   * Cloudflare R2 and Backblaze B2 reject or ignore ACLs: leave this unset there.
   */
  defaultAcl?: string
  /** Sign `url()`s (default true; env `AWS_QUERYSTRING_AUTH`). False: plain URLs, no credentials needed. */
  querystringAuth?: boolean
  /** Seconds signed URLs stay valid (default 3600; env `AWS_QUERYSTRING_EXPIRE`). SigV4 allows at most 604800. */
  querystringExpire?: number
  /**
   * Host (optionally with a path) URLs are built on instead of the S3 endpoint, e.g.
   * `'cdn.example.com'` or `'cdn.example.com/static'` (env `AWS_S3_CUSTOM_DOMAIN`). Such URLs are
   * unsigned unless a CloudFront signer is configured. No trailing `/`.
   */
  customDomain?: string
  /** Scheme of custom-domain URLs: `'https:'` (default) or `'http:'` (env `AWS_S3_URL_PROTOCOL`). */
  urlProtocol?: string
  /** CloudFront key pair (public key) id for signed custom-domain URLs (env `AWS_CLOUDFRONT_KEY_ID`). Needs `cloudfrontKey`. */
  cloudfrontKeyId?: string
  /**
   * The CloudFront private key, PEM (env `AWS_CLOUDFRONT_KEY`; a value holding literal `\n`
   * sequences instead of line breaks is accepted). Needs `cloudfrontKeyId`.
   */
  cloudfrontKey?: string | Buffer
  /**
   * A custom signer for custom-domain URLs, `(url, expiresAt) => signedUrl`; `null` disables
   * signing even when CloudFront keys are set. Default: built from `cloudfrontKeyId`/`cloudfrontKey`.
   */
  cloudfrontSigner?: CloudFrontSignerFunction | null
  /**
   * AWS region, e.g. `'eu-west-3'` (env `AWS_S3_REGION_NAME`, then `AWS_REGION`,
   * `AWS_DEFAULT_REGION`; default `'us-east-1'`). Cloudflare R2: `'auto'`. A wrong region makes S3
   * answer 301/400; the error then names the bucket's real region.
   */
  regionName?: string
  /**
   * An S3-compatible endpoint, e.g. `'http://127.0.0.1:9000'` (MinIO) or
   * `'https://<account>.r2.cloudflarestorage.com'` (env `AWS_S3_ENDPOINT_URL`). Path-style unless
   * `addressingStyle: 'virtual'`; checksums default to `'WHEN_REQUIRED'`. See docs/s3-compatible.md.
   */
  endpointUrl?: string
  /**
   * `'virtual'` (bucket in the host name), `'path'` (bucket in the path) or `'auto'` (default:
   * virtual on AWS where the bucket name allows, path with `endpointUrl`; env `AWS_S3_ADDRESSING_STYLE`).
   */
  addressingStyle?: 'virtual' | 'path' | 'auto'
  /** Use https for the AWS endpoint (default true; env `AWS_S3_USE_SSL`). An `endpointUrl`'s own scheme wins. */
  useSsl?: boolean
  /**
   * TLS certificate checks: `false` disables them (testing only), a string is a CA bundle path
   * (env `AWS_S3_VERIFY`: `false` or a path). Default: Node's trusted CAs.
   */
  verify?: boolean | string
  /**
   * Not supported directly: Node has no built-in proxy agent. Pass
   * `clientConfig: { requestHandler: { httpsAgent: <a proxy agent> } }` instead; setting this
   * (or env `AWS_S3_PROXIES`) throws `ImproperlyConfigured` saying so.
   */
  proxies?: Record<string, string>
  /** Not supported directly, as `proxies`. */
  proxy?: string
  /** Only `'s3v4'` is accepted (env `AWS_S3_SIGNATURE_VERSION`); anything else throws: requests are always SigV4. */
  signatureVersion?: string
  /** Gzip content whose type is in `gzipContentTypes` on save (default false; env `AWS_IS_GZIPPED`); reads of gzipped objects are decompressed. */
  gzip?: boolean
  /**
   * Content types `gzip` compresses (env `GZIP_CONTENT_TYPES`, comma-separated or a JSON array).
   * Default `text/css`, `text/javascript`, `application/javascript`, `application/x-javascript`,
   * `image/svg+xml`.
   */
  gzipContentTypes?: readonly string[]
  /** Multipart settings (env `AWS_S3_TRANSFER_CONFIG`, JSON). */
  transferConfig?: TransferConfig
  /**
   * Extra `S3Client` settings, merged over the ones built from these options (env
   * `AWS_S3_CLIENT_CONFIG`, JSON), e.g. `{ maxAttempts: 5 }` or a `requestHandler` with a proxy agent.
   */
  clientConfig?: S3ClientConfig
  /**
   * A ready `S3Client` to use instead of building one (then `clientConfig`, credentials, `verify`
   * and checksum options are not applied to it). Set `regionName`/`endpointUrl`/`addressingStyle`
   * to match it so that `url()` builds the same URLs as the client, without asking it.
   */
  client?: S3Client
  /** Access key id (env `AWS_S3_ACCESS_KEY_ID`, then `AWS_ACCESS_KEY_ID`). Default: the SDK's provider chain. */
  accessKey?: string
  /** Secret access key (env `AWS_S3_SECRET_ACCESS_KEY`, then `AWS_SECRET_ACCESS_KEY`). Never logged. */
  secretKey?: string
  /** Session token of temporary credentials (env `AWS_SESSION_TOKEN`, then `AWS_SECURITY_TOKEN`). */
  securityToken?: string
  /** A profile of `~/.aws/config` (env `AWS_S3_SESSION_PROFILE`); not together with keys. */
  sessionProfile?: string
  /**
   * When the SDK adds request checksums: `'WHEN_SUPPORTED'` (the SDK's default) or
   * `'WHEN_REQUIRED'` (env `AWS_REQUEST_CHECKSUM_CALCULATION`). Default `'WHEN_REQUIRED'` with
   * `endpointUrl`: many S3-compatible stores reject the SDK's default checksums, and presigned
   * PUT URLs never carry one.
   */
  requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  /** When the SDK validates response checksums (env `AWS_RESPONSE_CHECKSUM_VALIDATION`); defaults as `requestChecksumCalculation`. */
  responseChecksumValidation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  /**
   * Whether the server enforces `If-None-Match: *` on writes (default true: AWS S3 since 2024,
   * MinIO, R2; env `AWS_S3_CONDITIONAL_WRITES`). With `fileOverwrite: false` it makes picking a
   * free name atomic. Set false for servers that reject the header; on servers that ignore it
   * (s3rver) the existence check before each write is the guard, as in django-storages.
   */
  conditionalWrites?: boolean
  /** The longest wait for a connection, in ms (default 10,000; 0: none; env `AWS_S3_CONNECT_TIMEOUT`). */
  connectTimeout?: number
  /** The longest wait for the next byte of a request or answer, in ms (default 60,000; 0: none; env `AWS_S3_READ_TIMEOUT`). */
  readTimeout?: number
  /** Accepted for django-storages compatibility, no effect: reads stream (env `AWS_S3_MAX_MEMORY_SIZE`). */
  maxMemorySize?: number
  /** Accepted for django-storages compatibility, no effect: keys are UTF-8 (env `AWS_S3_FILE_NAME_CHARSET`). */
  fileNameCharset?: string
}

/** django-storages' default `GZIP_CONTENT_TYPES`. */
export const DEFAULT_GZIP_CONTENT_TYPES: readonly string[] = [
  'text/css',
  'text/javascript',
  'application/javascript',
  'application/x-javascript',
  'image/svg+xml',
]

/** Explicit credentials (never printed). */
export interface S3Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** Every option resolved: defaults applied, environment read, values checked. */
export interface ResolvedS3Options {
  bucketName: string
  location: string
  fileOverwrite: boolean
  objectParameters: Record<string, unknown>
  defaultAcl?: string
  querystringAuth: boolean
  querystringExpire: number
  customDomain?: string
  urlProtocol: 'http:' | 'https:'
  cloudfrontKeyId?: string
  cloudfrontKey?: string
  /** `null`: disabled explicitly; undefined: built from the key pair if there is one. */
  cloudfrontSigner?: CloudFrontSignerFunction | null
  /** Undefined only when a `client` was given without `regionName`. */
  regionName?: string
  endpointUrl?: string
  addressingStyle: 'virtual' | 'path' | 'auto'
  useSsl: boolean
  /** CA bundle contents, or false to skip certificate checks. */
  verify?: false | Buffer
  gzip: boolean
  gzipContentTypes: readonly string[]
  transferConfig: Required<TransferConfig>
  clientConfig: S3ClientConfig
  client?: S3Client
  credentials?: S3Credentials
  sessionProfile?: string
  requestChecksumCalculation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  responseChecksumValidation?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  conditionalWrites: boolean
  connectTimeout: number
  readTimeout: number
}
