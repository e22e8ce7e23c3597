/**
 * S3 object URLs built without the AWS SDK (only plain string work), so that `url()` stays cheap
 * and importing the package does not load `@aws-sdk/client-s3`.
 *
 * Every choice here reproduces what `@aws-sdk/client-s3` (3.11xx, endpoint rules) does for an
 * `S3Client` configured with `{ region, endpoint: endpointUrl, forcePathStyle }`, where
 * `forcePathStyle` is `addressingStyle === 'path'`, or `endpointUrl` set and `addressingStyle`
 * not `'virtual'` (custom endpoints are path-style in our contract). test/s3/presign.test.ts
 * checks this against the SDK's own `getSignedUrl` output.
 *
 * The SDK's rules, as observed:
 * - A bucket goes in the host name only if it is a valid DNS label of 3-63 characters in lower
 *   case: no dots (even over plain http), no underscores, no upper case. Any other bucket is
 *   put in the path, percent-encoded.
 * - A custom endpoint whose host is an IP address is always path-style; `localhost` is not an IP
 *   (`http://bucket.localhost:9000`). Its scheme, host (lower-cased, default port dropped) and
 *   base path are kept: path-style is `<base>/` + bucket + `/` + key, virtual is
 *   `<base>` + `/` + key (so a base of `/b/` gives `/b//key`, as the SDK does).
 * - Keys are encoded per `/`-separated segment, leaving only `A-Za-z0-9_.-~` and `/` literal
 *   (`!*()'` are escaped). No dot-segment or slash normalisation: `a/../b` and `//a` are kept.
 * - `S3Client`'s `tls: false` is ignored by the S3 endpoint rules (the request still goes to
 *   https). `useSsl: false` here means "the AWS endpoint over http", which is what the SDK does
 *   with `endpoint: defaultEndpointUrl(region, false)`; pass that to the client to match.
 */

/** How the bucket is addressed: in the host name (`virtual`), in the path, or chosen for you. */
export type AddressingStyle = 'virtual' | 'path' | 'auto'

/** Where an S3 object lives: the inputs of {@link resolveObjectLocation}. */
export interface ObjectLocationOptions {
  bucket: string
  key: string
  /** AWS region, e.g. `eu-west-3`. Also the signing region. */
  region: string
  /** An S3-compatible endpoint such as `http://127.0.0.1:9000` (path-style unless `virtual`). */
  endpointUrl?: string
  addressingStyle?: AddressingStyle
  /** `false` uses http for the AWS endpoint; a custom endpoint's own scheme always wins. */
  useSsl?: boolean
}

/** A resolved object URL without its query: `${protocol}//${host}${path}`. */
export interface ObjectLocation {
  protocol: 'http:' | 'https:'
  /** Host name, with `:port` when the port is not the scheme's default. */
  host: string
  /** The URI-encoded path, starting with `/`. */
  path: string
}

const HOST_LABEL = /^(?!.*-$)(?!-)[a-zA-Z0-9-]{1,63}$/
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)){3}$/
const UNRESERVED_PATH = /^[A-Za-z0-9_.~/-]*$/
const NEEDS_HEX = /[!'()*]/g
const hex = (c: string): string => '%' + c.charCodeAt(0).toString(16).toUpperCase()

/** The DNS suffix of each AWS partition, by region pattern (the SDK's partitions table). */
const PARTITIONS: Array<[RegExp, string]> = [
  [/^cn-\w+-\d+$/, 'amazonaws.com.cn'],
  [/^eusc-de-\w+-\d+$/, 'amazonaws.eu'],
  [/^us-iso-\w+-\d+$/, 'c2s.ic.gov'],
  [/^us-isob-\w+-\d+$/, 'sc2s.sgov.gov'],
  [/^eu-isoe-\w+-\d+$/, 'cloud.adc-e.uk'],
  [/^us-isof-\w+-\d+$/, 'csp.hci.ic.gov'],
]

/** RFC 3986 encoding as the SDK does it: only `A-Za-z0-9_.-~` stay literal. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(NEEDS_HEX, hex)
}

/** The S3 path encoding of a key: like {@link escapeUri} but `/` stays literal. */
export function encodeKey(key: string): string {
  if (UNRESERVED_PATH.test(key)) return key
  try {
    // `%2F` can only come from `/`: a literal `%` is itself encoded as `%25`.
    return encodeURIComponent(key).replace(/%2F/g, '/').replace(NEEDS_HEX, hex)
  } catch {
    throw new Error(`S3 key ${JSON.stringify(key)} is not valid Unicode (it has a lone surrogate).`)
  }
}

/** True when the SDK would put this bucket in the host name. */
export function isVirtualHostableBucket(bucket: string): boolean {
  return HOST_LABEL.test(bucket) && bucket.length >= 3 && bucket === bucket.toLowerCase()
}

/** The DNS suffix of the region's AWS partition (`amazonaws.com`, `amazonaws.com.cn`, ...). */
export function dnsSuffix(region: string): string {
  for (const [pattern, suffix] of PARTITIONS) if (pattern.test(region)) return suffix
  return 'amazonaws.com'
}

/** The regional AWS S3 endpoint, e.g. `https://s3.eu-west-3.amazonaws.com`. */
export function defaultEndpointUrl(region: string, useSsl = true): string {
  const host = region === 'aws-global' ? 's3.amazonaws.com' : `s3.${region}.${dnsSuffix(region)}`
  return `${useSsl ? 'https' : 'http'}://${host}`
}

function checkRegion(region: string): void {
  if (typeof region !== 'string' || !HOST_LABEL.test(region)) {
    throw new Error(`Region not accepted: ${JSON.stringify(region)} is not a valid host name label (e.g. 'us-east-1').`)
  }
  if (region.startsWith('fips-') || region.endsWith('-fips') || (region.endsWith('-global') && region !== 'aws-global')) {
    throw new Error(`Region '${region}' (a FIPS or global pseudo-region) is not supported by the URL builder; use a plain region name.`)
  }
}

function checkBucket(bucket: string): void {
  if (typeof bucket !== 'string' || bucket === '') throw new Error('S3 URLs need a bucket name.')
  if (bucket.startsWith('arn:') || /--(x|xa|op)-s3$/.test(bucket)) {
    throw new Error(
      `Bucket '${bucket}' is an ARN, an S3 Express directory bucket or an Outposts bucket; ` +
        'its URLs need the AWS SDK (they are not supported by the URL builder).',
    )
  }
}

/** A function mapping keys to locations for one bucket; the endpoint is parsed once. */
export type ObjectLocator = (key: string) => ObjectLocation

/** Prepare {@link resolveObjectLocation} for one bucket: call the result with each key. */
export function objectLocator(options: Omit<ObjectLocationOptions, 'key'>): ObjectLocator {
  const { bucket, region, endpointUrl, addressingStyle = 'auto', useSsl = true } = options
  checkRegion(region)
  checkBucket(bucket)
  const hostable = isVirtualHostableBucket(bucket)
  const bucketSegment = '/' + escapeUri(bucket)

  if (endpointUrl === undefined || endpointUrl === '') {
    const protocol = useSsl === false ? 'http:' : 'https:'
    const service = region === 'aws-global' ? 's3.amazonaws.com' : `s3.${region}.${dnsSuffix(region)}`
    if (addressingStyle !== 'path' && hostable) {
      const host = `${bucket}.${service}`
      return (key) => ({ protocol, host, path: '/' + encodeKey(key) })
    }
    return (key) => ({ protocol, host: service, path: bucketSegment + '/' + encodeKey(key) })
  }

  let url: URL
  try {
    url = new URL(endpointUrl)
  } catch {
    throw new Error(`endpointUrl ${JSON.stringify(endpointUrl)} is not an absolute URL (e.g. 'http://127.0.0.1:9000').`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`endpointUrl must use http or https, not '${url.protocol}'.`)
  }
  const protocol = url.protocol
  const base = url.pathname === '/' ? '' : url.pathname
  const isIp = IPV4.test(url.hostname) || url.hostname.startsWith('[')
  if (addressingStyle === 'virtual' && hostable && !isIp) {
    const host = `${bucket}.${url.host}`
    return (key) => ({ protocol, host, path: base + '/' + encodeKey(key) })
  }
  const prefix = (base.endsWith('/') ? base.slice(0, -1) : base) + bucketSegment + '/'
  const host = url.host
  return (key) => ({ protocol, host, path: prefix + encodeKey(key) })
}

/**
 * Where the SDK would send a request for this object: protocol, host (and port) and path.
 * Like the SDK, an empty key gives the bucket root (`/`); rejecting empty names is the caller's job.
 */
export function resolveObjectLocation(options: ObjectLocationOptions): ObjectLocation {
  return objectLocator(options)(options.key)
}

/** GetObject members sent in the query string, with their wire names. */
const QUERY_MEMBERS: Record<string, string> = {
  ResponseCacheControl: 'response-cache-control',
  ResponseContentDisposition: 'response-content-disposition',
  ResponseContentEncoding: 'response-content-encoding',
  ResponseContentLanguage: 'response-content-language',
  ResponseContentType: 'response-content-type',
  ResponseExpires: 'response-expires',
  VersionId: 'versionId',
  PartNumber: 'partNumber',
  // x-amz-* header members: the SDK's presigner hoists them into the query string.
  RequestPayer: 'x-amz-request-payer',
  ExpectedBucketOwner: 'x-amz-expected-bucket-owner',
  ChecksumMode: 'x-amz-checksum-mode',
}

/**
 * GetObject members the SDK sends as signed headers (`X-Amz-SignedHeaders=host;range`). A URL
 * signed that way only works when the browser sends the same headers, which a link cannot do,
 * so they are refused rather than silently dropped.
 */
const HEADER_MEMBERS = new Set([
  'IfMatch',
  'IfModifiedSince',
  'IfNoneMatch',
  'IfUnmodifiedSince',
  'Range',
  'SSECustomerAlgorithm',
  'SSECustomerKey',
  'SSECustomerKeyMD5',
])

/**
 * Map GetObject input names (`ResponseContentDisposition`, `VersionId`, ...) to S3 query
 * parameters (`response-content-disposition`, `versionId`, ...), keeping their order.
 * `null`/`undefined` values are left out, as the SDK does; a `Date` for `ResponseExpires` becomes
 * an HTTP date; other values go through `String()`. Throws for unknown names, for `Bucket`/`Key`
 * and for members that the SDK would send as headers.
 */
export function getObjectQuery(parameters?: Record<string, unknown> | null): Record<string, string> {
  const query: Record<string, string> = {}
  if (!parameters) return query
  for (const name of Object.keys(parameters)) {
    const value = parameters[name]
    const wire = Object.hasOwn(QUERY_MEMBERS, name) ? QUERY_MEMBERS[name] : undefined
    if (wire === undefined) {
      if (name === 'Bucket' || name === 'Key') {
        throw new Error(`URL parameter '${name}' cannot be set: the storage supplies the bucket and the key.`)
      }
      if (HEADER_MEMBERS.has(name)) {
        throw new Error(
          `URL parameter '${name}' is sent as an HTTP header, which a plain link cannot carry; ` +
            'S3 URLs take query members such as ResponseContentDisposition, ResponseContentType or VersionId.',
        )
      }
      throw new Error(
        `Unknown URL parameter '${name}': S3 URLs take GetObject input names such as ` +
          'ResponseContentDisposition, ResponseContentType or VersionId.',
      )
    }
    if (value === undefined || value === null) continue
    query[wire] = value instanceof Date ? value.toUTCString() : String(value)
  }
  return query
}

/**
 * A query string in the SDK's layout: keys sorted by UTF-16 code unit, keys and values
 * RFC 3986-encoded, joined with `&`. No leading `?`.
 */
export function formatQuery(query: Record<string, string>): string {
  const keys = Object.keys(query).sort()
  let out = ''
  for (const key of keys) out += (out ? '&' : '') + escapeUri(key) + '=' + escapeUri(query[key])
  return out
}

/**
 * The URL for `querystringAuth: false`: no credentials and no auth parameters, only the
 * GetObject query members from `parameters` (sorted and encoded as the SDK would). It equals the
 * SDK's presigned URL with every `X-Amz-*` parameter and the SDK's `x-id` routing hint removed.
 */
export function unsignedUrl(options: ObjectLocationOptions & { parameters?: Record<string, unknown> | null }): string {
  const { protocol, host, path } = resolveObjectLocation(options)
  const query = formatQuery(getObjectQuery(options.parameters))
  return `${protocol}//${host}${path}${query ? '?' + query : ''}`
}
