/**
 * The S3-specific option kinds of option-table.ts (each a check of a value given in code, with
 * the environment parser of core/env.ts where the variable needs one), and how values that widen
 * access are narrowed for aliases other than `default` (docs/configuration.md, "Named storages and the environment").
 */
import { builtin } from '../../core/builtins.js'
import { ImproperlyConfigured } from '../../core/errors.js'
import { booleanWord } from '../../core/env.js'
import { anyOption, optionKind, refusedOption, stringOption } from '../../core/option-kinds.js'
import { hasControlCharacters } from '../../core/names.js'
import { normpath } from '../../core/posix.js'

const bad = (message: string) => new ImproperlyConfigured(message)

function asString(value: unknown, label: string): string {
  return stringOption.check(value, label)
}

/** `location`: a key prefix: no leading `/`, normalised, a trailing `/` dropped. */
export const locationOption = optionKind<string>((value, label) => {
  const location = asString(value, label)
  if (location.startsWith('/')) {
    throw bad(`S3Storage.location cannot begin with a leading slash. Found '${location}'. Use '${location.replace(/^\/+/, '')}' instead.`)
  }
  const trimmed = location.replace(/\/+$/, '')
  if (trimmed !== '' && (hasControlCharacters(trimmed) || normpath(trimmed) !== trimmed || trimmed.split('/').includes('..'))) {
    throw bad(
      `S3Storage.location '${location}' is not a normalised key prefix (no '//', '.', '..' or control characters). Use '${normpath(trimmed).replace(/^(\.\.\/?)+/, '')}' instead.`,
    )
  }
  return trimmed
})

/** `customDomain`: a host with an optional path, no scheme, no trailing `/`. */
export const customDomainOption = optionKind<string>((value, label) => {
  const domain = asString(value, label)
  if (domain.endsWith('/') || /^[a-z]+:\/\//i.test(domain)) {
    throw bad(`${label} is a host with an optional path, without scheme or trailing '/', e.g. 'cdn.example.com'; got '${domain}'.`)
  }
  return domain
})

/** `'https:'` or `'http:'`; a missing colon is added; null or `''` mean `'https:'`. */
export const urlProtocolOption = optionKind<'http:' | 'https:'>(
  (value, label) => {
    const protocol = value === null || value === '' ? 'https:' : asString(value, label)
    const normalised = (protocol.endsWith(':') ? protocol : protocol + ':').toLowerCase()
    if (normalised !== 'http:' && normalised !== 'https:') throw bad(`${label} must be 'https:' or 'http:', got '${protocol}'.`)
    return normalised
  },
  undefined,
  (v) => v === undefined,
)

/** `endpointUrl`: an http(s) URL. */
export const endpointUrlOption = optionKind<string>((value, label) => {
  const url = asString(value, label)
  if (!/^https?:\/\/[^/]/i.test(url)) throw bad(`${label} must be an http(s) URL such as 'http://127.0.0.1:9000', got '${url}'.`)
  return url
})

/** A PEM stored in one line with literal `\n` escapes (common in env files) made multi-line. */
export const pemOption = optionKind<string>((value, label) => {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw bad(`${label} must be a PEM string or a Buffer.`)
  const text = Buffer.isBuffer(value) ? value.toString('ascii') : value
  return text.includes('\n') ? text : text.replace(/\\n/g, '\n')
})

/** `cloudfrontSigner`: a function `(url, expiresAt) => signedUrl`, or null to disable signing. */
export const signerOption = anyOption((value) => {
  if (value !== null && typeof value !== 'function') {
    throw bad("S3Storage option 'cloudfrontSigner' must be a function (url, expiresAt) => signedUrl, or null to disable signing.")
  }
  return value
})

/** `signatureVersion`: only `'s3v4'`. */
export const signatureVersionOption = optionKind<string>((value, label) => {
  const version = asString(value, label)
  if (version !== 's3v4') {
    throw bad(`${label} is '${version}': only 's3v4' is supported (SigV2 is retired). Remove the setting or set it to 's3v4'.`)
  }
  return version
})

/** false: no certificate checks; a path: a CA bundle (read now); true or unset: Node's CAs. */
export const verifyOption = optionKind<false | Buffer | undefined>((value, label) => {
  if (value === true) return undefined
  if (value === false) return false
  if (typeof value !== 'string') throw bad(`${label} must be false or a CA bundle path.`)
  const word = booleanWord(value)
  if (word !== undefined) return word ? undefined : false
  try {
    return builtin('node:fs').readFileSync(value)
  } catch (error) {
    throw new ImproperlyConfigured(`${label} names a CA bundle that cannot be read: ${value} (${(error as Error).message}).`, {
      cause: error,
    })
  }
})

/** `requestChecksumCalculation` / `responseChecksumValidation`: `WHEN_SUPPORTED` or `WHEN_REQUIRED`, any case. */
export const checksumOption = optionKind<'WHEN_SUPPORTED' | 'WHEN_REQUIRED'>((value, label) => {
  const v = String(value).toUpperCase()
  if (v !== 'WHEN_SUPPORTED' && v !== 'WHEN_REQUIRED')
    throw bad(`${label} must be 'WHEN_SUPPORTED' or 'WHEN_REQUIRED', got ${JSON.stringify(value)}.`)
  return v
})

/** `client`: a ready S3Client (anything with `send`). */
export const clientOption = anyOption((value) => {
  if (typeof value !== 'object' || value === null || typeof (value as { send?: unknown }).send !== 'function') {
    throw bad("S3Storage option 'client' must be an S3Client from @aws-sdk/client-s3.")
  }
  return value
})

const PROXIES_REFUSED =
  "S3Storage options 'proxies'/'proxy' (env AWS_S3_PROXIES) are not supported directly: Node has no built-in proxy agent. " +
  "Pass clientConfig: { requestHandler: { httpsAgent: new HttpsProxyAgent('http://proxy:3128') } } (package https-proxy-agent) instead."
/** `proxies` / `proxy` (and `AWS_S3_PROXIES`): refused whatever the value, naming the fix. */
export const proxiesOption = { ...refusedOption(PROXIES_REFUSED), isUnset: (v: unknown) => v === undefined }

/** The ACL members of PutObject: what makes an object readable by others. */
const ACL_PARAMETERS = ['ACL', 'GrantFullControl', 'GrantRead', 'GrantReadACP', 'GrantWriteACP']

/** Object parameters without their ACL members (encryption, caching and the rest are kept). */
export function withoutAcl(parameters: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(parameters).filter(([key]) => !ACL_PARAMETERS.includes(key)))
}

/** Whether custom-domain URLs of these options would be signed (a CloudFront key pair or a signer function). */
export function signsCustomDomain(o: Readonly<Record<string, unknown>>): boolean {
  if (o.cloudfrontSigner === null || o.querystringAuth === false) return false
  return typeof o.cloudfrontSigner === 'function' || Boolean(o.cloudfrontKeyId && o.cloudfrontKey)
}

/** The checksum default: `WHEN_REQUIRED` with a custom endpoint, else the SDK's own. */
export const WHEN_ENDPOINT = (values: Readonly<Record<string, unknown>>) => (values.endpointUrl ? ('WHEN_REQUIRED' as const) : undefined)
