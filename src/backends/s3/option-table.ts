/**
 * The options of `S3Storage`, declared once: name, django-storages environment variables (in
 * priority order), kind, default and docs. The constructor checks options against this table
 * (resolve.ts adds the rules between options), `S3Storage.fromEnv()` fills unset options from
 * the variables, and docs/s3.md's option table is rendered from it (test/core/option-tables.test.ts).
 */
import {
  booleanOption,
  nonEmptyStringOption,
  objectOption,
  oneOfOption,
  sizeOption,
  stringListOption,
  stringOption,
} from '../../core/option-kinds.js'
import { FILE_OVERWRITE, QUERYSTRING_EXPIRE, type OptionEntry, type OptionTable } from '../../core/options.js'
import {
  checksumOption,
  clientOption,
  customDomainOption,
  endpointUrlOption,
  locationOption,
  pemOption,
  proxiesOption,
  signatureVersionOption,
  signerOption,
  signsCustomDomain,
  urlProtocolOption,
  verifyOption,
  WHEN_ENDPOINT,
  withoutAcl,
} from './option-kinds.js'
import { DEFAULT_GZIP_CONTENT_TYPES, type S3StorageOptions } from './options.js'
import { DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, millisecondsOption } from './timeouts.js'

type S3Entry = OptionEntry<unknown, keyof S3StorageOptions & string>

const entries: S3Entry[] = [
  {
    option: 'bucketName',
    env: ['AWS_STORAGE_BUCKET_NAME'],
    parse: stringOption,
    defaultDoc: '— (required)',
    doc: "The bucket. Missing: `ImproperlyConfigured` at construction. `{ bucketName: 'my-app-media' }`",
  },
  {
    option: 'location',
    env: ['AWS_LOCATION'],
    parse: locationOption,
    default: '',
    widensAccess: true,
    doc: "Key prefix every name lives under; names stay relative to it (`save('a.txt')` writes `media/a.txt` and returns `a.txt`). A leading `/` throws; a trailing `/` is ignored; `x//y` or `..` throw. `{ location: 'media' }`",
  },
  {
    ...FILE_OVERWRITE,
    env: ['AWS_S3_FILE_OVERWRITE'],
    doc: 'Replace the object saved under a taken name. When false, a taken name gets a `_<7 random chars>` suffix and the write itself is conditional (`If-None-Match: *`, see below). `{ fileOverwrite: true }`',
  },
  {
    option: 'objectParameters',
    env: ['AWS_S3_OBJECT_PARAMETERS'],
    envDoc: '(JSON)',
    parse: objectOption('{"CacheControl": "max-age=86400"}'),
    default: {},
    widensAccess: { narrow: withoutAcl, doc: '`ACL` and `Grant*`: `default` alias only' },
    doc: "PutObject parameters of every write. The download members (`SSECustomerAlgorithm`, `SSECustomerKey`, `SSECustomerKeyMD5`, `RequestPayer`, `ExpectedBucketOwner`, `ChecksumMode`, `VersionId`) are also sent with HEAD and GET. `{ objectParameters: { CacheControl: 'max-age=86400', ServerSideEncryption: 'AES256' } }`; per call: `save(name, body, { objectParameters })`.",
  },
  {
    option: 'defaultAcl',
    env: ['AWS_DEFAULT_ACL'],
    parse: stringOption,
    widensAccess: true,
    doc: "Canned ACL of new objects; none means no `x-amz-acl` header at all (the bucket decides). Ignored when `objectParameters` has `ACL`. Buckets with ACLs disabled (the AWS default since 2023) reject any ACL. `{ defaultAcl: 'public-read' }`",
  },
  {
    option: 'querystringAuth',
    env: ['AWS_QUERYSTRING_AUTH'],
    parse: booleanOption,
    default: true,
    widensAccess: { narrow: (signed) => (signed ? signed : undefined), doc: '`false`: `default` alias only' },
    doc: '`url()` signs (SigV4 presigned GET, or CloudFront with a custom domain). `false`: plain URLs, no credentials needed. `{ querystringAuth: false }`',
  },
  {
    ...QUERYSTRING_EXPIRE,
    env: ['AWS_QUERYSTRING_EXPIRE'],
    doc: 'Seconds a signed URL stays valid; `url(name, { expire })` overrides it. SigV4 allows at most 604800 (7 days). `{ querystringExpire: 600 }`',
  },
  {
    option: 'customDomain',
    env: ['AWS_S3_CUSTOM_DOMAIN'],
    parse: customDomainOption,
    widensAccess: {
      narrow: (domain, o) => (signsCustomDomain(o) ? domain : undefined),
      doc: 'without CloudFront keys: `default` alias only',
    },
    doc: "Host (with an optional path) URLs are built on, e.g. a CDN. No scheme, no trailing `/`. `{ customDomain: 'cdn.example.com/static' }`",
  },
  {
    option: 'urlProtocol',
    env: ['AWS_S3_URL_PROTOCOL'],
    parse: urlProtocolOption,
    default: 'https:',
    doc: "Scheme of custom-domain URLs; `'http'` and `'http:'` both work; empty means `https:`. `{ urlProtocol: 'http:' }`",
  },
  {
    option: 'cloudfrontKeyId',
    env: ['AWS_CLOUDFRONT_KEY_ID'],
    parse: stringOption,
    doc: "CloudFront public key id; with `cloudfrontKey`, custom-domain URLs are CloudFront-signed (canned policy). `{ cloudfrontKeyId: 'K2JCJMDEHXQW5F' }`",
  },
  {
    option: 'cloudfrontKey',
    env: ['AWS_CLOUDFRONT_KEY'],
    parse: pemOption,
    doc: "The matching RSA private key, PEM (string or Buffer; a one-line value with literal `\\n` escapes is accepted). Parsed once, at construction. `{ cloudfrontKey: fs.readFileSync('cf.pem') }`",
  },
  {
    option: 'cloudfrontSigner',
    parse: { ...signerOption, isUnset: (v: unknown) => v === undefined },
    defaultDoc: 'from the key pair',
    doc: "A custom signer `(url, expiresAt: Date) => signedUrl` (any CDN's token scheme), or `null` to disable signing even with keys set. `{ cloudfrontSigner: (url, at) => bunnySign(url, at) }`",
  },
  {
    option: 'regionName',
    env: ['AWS_S3_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION'],
    parse: stringOption,
    defaultOf: (values) => (values.client ? undefined : 'us-east-1'),
    defaultDoc: "`'us-east-1'`",
    doc: "Region requests are signed for. A wrong one makes S3 answer 301/400; the error names the bucket's real region. R2: `'auto'`. `{ regionName: 'eu-west-3' }`",
  },
  {
    option: 'endpointUrl',
    env: ['AWS_S3_ENDPOINT_URL'],
    parse: endpointUrlOption,
    defaultDoc: 'AWS',
    doc: "An S3-compatible endpoint. Path-style addressing and `WHEN_REQUIRED` checksums by default. `{ endpointUrl: 'http://127.0.0.1:9000' }`",
  },
  {
    option: 'addressingStyle',
    env: ['AWS_S3_ADDRESSING_STYLE'],
    parse: oneOfOption(['virtual', 'path', 'auto'] as const),
    default: 'auto',
    doc: "`'virtual'` (bucket in the host name), `'path'` (bucket in the path) or `'auto'`: virtual on AWS when the bucket name allows it (no dots, lower case), path with `endpointUrl`. `{ addressingStyle: 'path' }`",
  },
  {
    option: 'useSsl',
    env: ['AWS_S3_USE_SSL'],
    parse: booleanOption,
    default: true,
    doc: "`false`: http to the AWS endpoint (`http://bucket.s3.region.amazonaws.com/…`). An `endpointUrl`'s own scheme always wins.",
  },
  {
    option: 'verify',
    env: ['AWS_S3_VERIFY'],
    parse: verifyOption,
    defaultDoc: "Node's CAs",
    doc: "`false` skips TLS certificate checks (testing only); a string is the path of a CA bundle (read at construction). `{ verify: '/etc/ssl/internal-ca.pem' }`",
  },
  {
    option: 'proxies',
    env: ['AWS_S3_PROXIES'],
    parse: proxiesOption,
    defaultDoc: '—',
    doc: "Not supported directly (Node has no built-in proxy agent): setting it throws, naming the fix: `clientConfig: { requestHandler: { httpsAgent: new HttpsProxyAgent('http://proxy:3128') } }`.",
  },
  { option: 'proxy', parse: proxiesOption, defaultDoc: '—', doc: 'Not supported directly, as `proxies`.' },
  {
    option: 'signatureVersion',
    env: ['AWS_S3_SIGNATURE_VERSION'],
    parse: signatureVersionOption,
    defaultDoc: "`'s3v4'`",
    doc: "Only `'s3v4'`; anything else throws.",
  },
  {
    option: 'gzip',
    env: ['AWS_IS_GZIPPED'],
    parse: booleanOption,
    default: false,
    doc: 'Gzip bodies whose content type is in `gzipContentTypes` on save (streamed, level 9, mtime 0: the same input always gives the same bytes) with `Content-Encoding: gzip`; `open()`/`read()` decompress objects stored with `Content-Encoding: gzip`. `{ gzip: true }`',
  },
  {
    option: 'gzipContentTypes',
    env: ['GZIP_CONTENT_TYPES'],
    envDoc: '(comma-separated or a JSON array)',
    parse: stringListOption('content types', "['text/css', 'image/svg+xml']"),
    default: DEFAULT_GZIP_CONTENT_TYPES,
    defaultDoc: DEFAULT_GZIP_CONTENT_TYPES.map((t) => `\`${t}\``).join(', '),
    doc: "Exact matches of the final ContentType. `{ gzipContentTypes: ['text/css', 'application/json'] }`",
  },
  {
    option: 'transferConfig',
    env: ['AWS_S3_TRANSFER_CONFIG'],
    envDoc: '(JSON)',
    parse: objectOption('{"partSize": 16777216}'),
    defaultDoc: '`{ partSize: 8 MiB, queueSize: 4, multipartThreshold: 8 MiB }`',
    doc: 'Multipart settings: bodies up to `multipartThreshold` (read into memory, at most that much) go in one PutObject; larger or unknown-length ones stream as `partSize` parts, `queueSize` at a time (memory about `partSize × (queueSize + 1)`). `partSize` ≥ 5 MiB. `{ transferConfig: { partSize: 16 * 2 ** 20, queueSize: 8 } }`',
  },
  {
    option: 'clientConfig',
    env: ['AWS_S3_CLIENT_CONFIG'],
    envDoc: '(JSON)',
    parse: objectOption('{"maxAttempts": 5}'),
    default: {},
    doc: 'Extra `S3Client` settings, merged over the ones built from these options. `{ clientConfig: { maxAttempts: 5 } }`',
  },
  {
    option: 'client',
    parse: clientOption,
    defaultDoc: 'built',
    doc: 'A ready `S3Client`; then credentials, `clientConfig`, `verify` and checksum options are not applied to it. Set `regionName`, `endpointUrl` and `addressingStyle` to match it so `url()` builds the same URLs without asking it (else the region is asked of the client once).',
  },
  {
    option: 'accessKey',
    env: ['AWS_S3_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID'],
    parse: nonEmptyStringOption,
    defaultDoc: 'SDK chain',
    doc: "Access key id. With no keys and no profile, the AWS SDK's default chain applies (env, `~/.aws`, SSO, web identity/IRSA, ECS, EC2 instance role).",
  },
  {
    option: 'secretKey',
    env: ['AWS_S3_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY'],
    parse: nonEmptyStringOption,
    defaultDoc: 'SDK chain',
    doc: 'Secret access key. Never in a message, a log line, `toString()` or `util.inspect()`. A key without its secret throws.',
  },
  {
    option: 'securityToken',
    env: ['AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN'],
    parse: nonEmptyStringOption,
    doc: 'Session token of temporary keys.',
  },
  {
    option: 'sessionProfile',
    env: ['AWS_S3_SESSION_PROFILE'],
    parse: nonEmptyStringOption,
    doc: "A profile of `~/.aws/config`; together with keys it throws. `{ sessionProfile: 'media-uploader' }`",
  },
  {
    option: 'requestChecksumCalculation',
    env: ['AWS_REQUEST_CHECKSUM_CALCULATION'],
    parse: checksumOption,
    defaultOf: WHEN_ENDPOINT,
    defaultDoc: "SDK default; `'WHEN_REQUIRED'` with `endpointUrl`",
    doc: "When the SDK adds request checksums. Many S3-compatible stores reject the SDK's default (2025) checksums.",
  },
  {
    option: 'responseChecksumValidation',
    env: ['AWS_RESPONSE_CHECKSUM_VALIDATION'],
    parse: checksumOption,
    defaultOf: WHEN_ENDPOINT,
    defaultDoc: 'as above',
    doc: 'When the SDK validates response checksums; `WHEN_SUPPORTED` adds `x-amz-checksum-mode=ENABLED` to presigned GETs, as the SDK does.',
  },
  {
    option: 'conditionalWrites',
    env: ['AWS_S3_CONDITIONAL_WRITES'],
    parse: booleanOption,
    default: true,
    doc: 'Whether the server enforces `If-None-Match: *` (AWS S3 since August 2024, MinIO, R2). Set `false` where the server rejects the header (a 501) or ignores it. See "No overwrite".',
  },
  {
    option: 'connectTimeout',
    env: ['AWS_S3_CONNECT_TIMEOUT'],
    envDoc: '(ms)',
    parse: millisecondsOption,
    default: DEFAULT_CONNECT_TIMEOUT,
    defaultDoc: '10,000 ms',
    doc: "The longest wait for a connection to S3, in milliseconds (`0`: no limit). botocore's `connect_timeout`, in ms. A timed-out attempt is retried by the SDK; the last one fails the call with `TimeoutError` (`E_TIMEOUT`). `{ connectTimeout: 3_000 }`",
  },
  {
    option: 'readTimeout',
    env: ['AWS_S3_READ_TIMEOUT'],
    envDoc: '(ms)',
    parse: millisecondsOption,
    default: DEFAULT_READ_TIMEOUT,
    defaultDoc: '60,000 ms',
    doc: "The longest wait for the next byte of a request or an answer, in milliseconds (`0`: no limit); botocore's `read_timeout`, in ms. A server that stops answering fails the call with `TimeoutError` (`E_TIMEOUT`) within `readTimeout` × the SDK's attempts (3; `clientConfig.maxAttempts`). Applied to the client built from these options (not to a given `client`, nor over an instance in `clientConfig.requestHandler`). `{ readTimeout: 15_000 }`",
  },
  {
    option: 'maxMemorySize',
    env: ['AWS_S3_MAX_MEMORY_SIZE'],
    parse: sizeOption,
    defaultDoc: '—',
    doc: 'Accepted for compatibility; no effect (reads stream, they never spool).',
  },
  {
    option: 'fileNameCharset',
    env: ['AWS_S3_FILE_NAME_CHARSET'],
    parse: stringOption,
    defaultDoc: '—',
    doc: 'Accepted for compatibility; no effect (keys are UTF-8), as in django-storages.',
  },
]

/** Every option of `S3Storage`, in the order of its docs table. */
export const S3_OPTIONS: OptionTable<S3StorageOptions> = { backend: 'S3Storage', entries }

/** The option names `S3Storage` accepts; any other throws `ImproperlyConfigured`. */
export const S3_OPTION_NAMES: readonly (keyof S3StorageOptions)[] = entries.map((e) => e.option)
