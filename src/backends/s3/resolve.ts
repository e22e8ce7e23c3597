/**
 * Reading and checking `S3Storage` options: each option, else its django-storages environment
 * variable, else the default. A bad value throws `ImproperlyConfigured` naming the option (and
 * the variable) and the fix; secrets never appear in a message.
 */
import { readFileSync } from 'node:fs'
import { ImproperlyConfigured } from '../../core/errors.js'
import { envBool, envJson, envList, envNumber, envValue, firstEnv, type Env } from '../../core/env.js'
import { checkOptions } from '../../core/options.js'
import { hasControlCharacters } from '../../core/names.js'
import { normpath } from '../../core/posix.js'
import {
  DEFAULT_GZIP_CONTENT_TYPES,
  S3_OPTION_NAMES,
  type ResolvedS3Options,
  type S3StorageOptions,
  type TransferConfig,
} from './options.js'
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'

const MIB = 1024 * 1024

const bad = (message: string) => new ImproperlyConfigured(message)

function str(value: unknown, option: string, envName: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw bad(`S3Storage option '${option}' (env ${envName}) must be a string, got ${typeof value}.`)
  return value
}

function bool(value: unknown, option: string): boolean | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw bad(`S3Storage option '${option}' must be true or false, got ${JSON.stringify(value)}.`)
  return value
}

function plainObject(value: unknown, option: string, envName: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw bad(`S3Storage option '${option}' (env ${envName}) must be an object, e.g. {"CacheControl": "max-age=86400"}.`)
  }
  return value as Record<string, unknown>
}

function checksumSetting(value: unknown, option: string): 'WHEN_SUPPORTED' | 'WHEN_REQUIRED' | undefined {
  if (value === undefined || value === null) return undefined
  const v = String(value).toUpperCase()
  if (v !== 'WHEN_SUPPORTED' && v !== 'WHEN_REQUIRED') {
    throw bad(`S3Storage option '${option}' must be 'WHEN_SUPPORTED' or 'WHEN_REQUIRED', got ${JSON.stringify(value)}.`)
  }
  return v
}

function checkLocation(location: string): string {
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
}

function transfer(value: TransferConfig | undefined): Required<TransferConfig> {
  const t = { partSize: 8 * MIB, queueSize: 4, multipartThreshold: 8 * MIB, ...(value ?? {}) }
  const known = ['partSize', 'queueSize', 'multipartThreshold']
  for (const key of Object.keys(t)) {
    if (!known.includes(key)) throw bad(`Invalid setting 'transferConfig.${key}' for S3Storage. Valid settings: ${known.join(', ')}.`)
  }
  if (!Number.isInteger(t.partSize) || t.partSize < 5 * MIB) {
    throw bad(
      `S3Storage option 'transferConfig.partSize' must be a whole number of bytes of at least 5 MiB (5242880), S3's smallest part; got ${t.partSize}.`,
    )
  }
  if (!Number.isInteger(t.queueSize) || t.queueSize < 1)
    throw bad(`S3Storage option 'transferConfig.queueSize' must be a whole number >= 1; got ${t.queueSize}.`)
  if (!Number.isInteger(t.multipartThreshold) || t.multipartThreshold < 0 || t.multipartThreshold > 5 * 1024 * MIB) {
    throw bad(
      `S3Storage option 'transferConfig.multipartThreshold' must be a whole number of bytes from 0 to 5 GiB; got ${t.multipartThreshold}.`,
    )
  }
  return t
}

function verifySetting(value: unknown, envName: string): false | Buffer | undefined {
  if (value === undefined || value === null || value === true) return undefined
  if (value === false) return false
  if (typeof value !== 'string') throw bad(`S3Storage option 'verify' must be false or a CA bundle path.`)
  const v = value.trim().toLowerCase()
  if (['false', '0', 'no', 'off'].includes(v)) return false
  if (['true', '1', 'yes', 'on'].includes(v)) return undefined
  try {
    return readFileSync(value)
  } catch (error) {
    throw new ImproperlyConfigured(
      `S3Storage option 'verify' (env ${envName}) names a CA bundle that cannot be read: ${value} (${(error as Error).message}).`,
      { cause: error },
    )
  }
}

/** A PEM stored in one line with literal `\n` escapes (common in env files) made multi-line. */
function pem(value: string | Buffer | undefined): string | undefined {
  if (value === undefined) return undefined
  const text = Buffer.isBuffer(value) ? value.toString('ascii') : value
  return text.includes('\n') ? text : text.replace(/\\n/g, '\n')
}

/**
 * Resolves `options` over the environment (`AWS_*` names of django-storages), applies the
 * defaults and validates; throws `ImproperlyConfigured` naming the option and the fix.
 */
export function resolveS3Options(options: S3StorageOptions, env: Env): ResolvedS3Options {
  checkOptions(options, S3_OPTION_NAMES, 'S3Storage')
  const o = options

  if (o.proxies !== undefined || o.proxy !== undefined || envValue(env, 'AWS_S3_PROXIES') !== undefined) {
    throw bad(
      "S3Storage options 'proxies'/'proxy' (env AWS_S3_PROXIES) are not supported directly: Node has no built-in proxy agent. " +
        "Pass clientConfig: { requestHandler: { httpsAgent: new HttpsProxyAgent('http://proxy:3128') } } (package https-proxy-agent) instead.",
    )
  }
  const signatureVersion =
    str(o.signatureVersion, 'signatureVersion', 'AWS_S3_SIGNATURE_VERSION') ?? envValue(env, 'AWS_S3_SIGNATURE_VERSION')
  if (signatureVersion !== undefined && signatureVersion !== 's3v4') {
    throw bad(
      `S3Storage option 'signatureVersion' (env AWS_S3_SIGNATURE_VERSION) is '${signatureVersion}': only 's3v4' is supported (SigV2 is retired). Remove the setting or set it to 's3v4'.`,
    )
  }

  const bucketName = str(o.bucketName, 'bucketName', 'AWS_STORAGE_BUCKET_NAME') ?? envValue(env, 'AWS_STORAGE_BUCKET_NAME')
  if (!bucketName) {
    throw bad("S3Storage needs a bucket: pass bucketName: 'my-bucket' or set AWS_STORAGE_BUCKET_NAME.")
  }
  const location = checkLocation(str(o.location, 'location', 'AWS_LOCATION') ?? envValue(env, 'AWS_LOCATION') ?? '')

  // Credentials: options, then AWS_S3_* / AWS_* variables (empty values skipped), else the SDK chain.
  const accessKey = str(o.accessKey, 'accessKey', 'AWS_S3_ACCESS_KEY_ID') || firstEnv(env, 'AWS_S3_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID')
  const secretKey =
    str(o.secretKey, 'secretKey', 'AWS_S3_SECRET_ACCESS_KEY') || firstEnv(env, 'AWS_S3_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY')
  const securityToken =
    str(o.securityToken, 'securityToken', 'AWS_SESSION_TOKEN') || firstEnv(env, 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN')
  const sessionProfile = str(o.sessionProfile, 'sessionProfile', 'AWS_S3_SESSION_PROFILE') || envValue(env, 'AWS_S3_SESSION_PROFILE')
  if ((accessKey || secretKey) && sessionProfile) {
    throw bad(
      'AWS_S3_SESSION_PROFILE/sessionProfile should not be provided with AWS_S3_ACCESS_KEY_ID/accessKey and AWS_S3_SECRET_ACCESS_KEY/secretKey: ' +
        'use either a profile or keys.',
    )
  }
  if (Boolean(accessKey) !== Boolean(secretKey)) {
    throw bad(
      `S3Storage has ${accessKey ? 'an access key but no secret key' : 'a secret key but no access key'}: set both accessKey and secretKey (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or neither to use the AWS SDK's credential chain.`,
    )
  }
  const credentials =
    accessKey && secretKey
      ? { accessKeyId: accessKey, secretAccessKey: secretKey, ...(securityToken ? { sessionToken: securityToken } : {}) }
      : undefined

  const cloudfrontKeyId = str(o.cloudfrontKeyId, 'cloudfrontKeyId', 'AWS_CLOUDFRONT_KEY_ID') ?? envValue(env, 'AWS_CLOUDFRONT_KEY_ID')
  const cloudfrontKey = pem(o.cloudfrontKey ?? envValue(env, 'AWS_CLOUDFRONT_KEY'))
  if (Boolean(cloudfrontKeyId) !== Boolean(cloudfrontKey)) {
    throw bad('Both AWS_CLOUDFRONT_KEY_ID/cloudfrontKeyId and AWS_CLOUDFRONT_KEY/cloudfrontKey must be provided together.')
  }
  if (o.cloudfrontSigner !== undefined && o.cloudfrontSigner !== null && typeof o.cloudfrontSigner !== 'function') {
    throw bad("S3Storage option 'cloudfrontSigner' must be a function (url, expiresAt) => signedUrl, or null to disable signing.")
  }

  const addressingStyle = (str(o.addressingStyle, 'addressingStyle', 'AWS_S3_ADDRESSING_STYLE') ??
    envValue(env, 'AWS_S3_ADDRESSING_STYLE') ??
    'auto') as ResolvedS3Options['addressingStyle']
  if (!['virtual', 'path', 'auto'].includes(addressingStyle)) {
    throw bad(
      `S3Storage option 'addressingStyle' (env AWS_S3_ADDRESSING_STYLE) must be 'virtual', 'path' or 'auto', got '${addressingStyle}'.`,
    )
  }
  const endpointUrl = str(o.endpointUrl, 'endpointUrl', 'AWS_S3_ENDPOINT_URL') ?? envValue(env, 'AWS_S3_ENDPOINT_URL')
  if (endpointUrl !== undefined && !/^https?:\/\/[^/]/i.test(endpointUrl)) {
    throw bad(
      `S3Storage option 'endpointUrl' (env AWS_S3_ENDPOINT_URL) must be an http(s) URL such as 'http://127.0.0.1:9000', got '${endpointUrl}'.`,
    )
  }
  const regionName =
    str(o.regionName, 'regionName', 'AWS_S3_REGION_NAME') ??
    firstEnv(env, 'AWS_S3_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION') ??
    (o.client ? undefined : 'us-east-1')

  const protocol = (o.urlProtocol === undefined ? envValue(env, 'AWS_S3_URL_PROTOCOL') : o.urlProtocol) || 'https:'
  const urlProtocol = (protocol.endsWith(':') ? protocol : protocol + ':').toLowerCase()
  if (urlProtocol !== 'http:' && urlProtocol !== 'https:') {
    throw bad(`S3Storage option 'urlProtocol' (env AWS_S3_URL_PROTOCOL) must be 'https:' or 'http:', got '${protocol}'.`)
  }
  const customDomain = str(o.customDomain, 'customDomain', 'AWS_S3_CUSTOM_DOMAIN') ?? envValue(env, 'AWS_S3_CUSTOM_DOMAIN')
  if (customDomain !== undefined && (customDomain.endsWith('/') || /^[a-z]+:\/\//i.test(customDomain))) {
    throw bad(
      `S3Storage option 'customDomain' (env AWS_S3_CUSTOM_DOMAIN) is a host with an optional path, without scheme or trailing '/', e.g. 'cdn.example.com'; got '${customDomain}'.`,
    )
  }

  const querystringExpire = o.querystringExpire ?? envNumber(env, 'AWS_QUERYSTRING_EXPIRE') ?? 3600
  if (!Number.isInteger(querystringExpire) || querystringExpire < 0) {
    throw bad(
      `S3Storage option 'querystringExpire' (env AWS_QUERYSTRING_EXPIRE) must be a whole number of seconds >= 0, got ${String(querystringExpire)}.`,
    )
  }

  const gzipContentTypes = o.gzipContentTypes ?? envList(env, 'GZIP_CONTENT_TYPES') ?? DEFAULT_GZIP_CONTENT_TYPES
  if (!Array.isArray(gzipContentTypes) || !gzipContentTypes.every((t) => typeof t === 'string')) {
    throw bad("S3Storage option 'gzipContentTypes' must be an array of content types, e.g. ['text/css', 'image/svg+xml'].")
  }
  const objectParameters =
    plainObject(o.objectParameters ?? envJson(env, 'AWS_S3_OBJECT_PARAMETERS'), 'objectParameters', 'AWS_S3_OBJECT_PARAMETERS') ?? {}
  const transferConfig = transfer(
    plainObject(o.transferConfig ?? envJson(env, 'AWS_S3_TRANSFER_CONFIG'), 'transferConfig', 'AWS_S3_TRANSFER_CONFIG') as
      | TransferConfig
      | undefined,
  )
  const clientConfig = (plainObject(o.clientConfig ?? envJson(env, 'AWS_S3_CLIENT_CONFIG'), 'clientConfig', 'AWS_S3_CLIENT_CONFIG') ??
    {}) as S3ClientConfig
  if (o.client !== undefined && (typeof o.client !== 'object' || typeof (o.client as S3Client).send !== 'function')) {
    throw bad("S3Storage option 'client' must be an S3Client from @aws-sdk/client-s3.")
  }
  const maxMemorySize = o.maxMemorySize ?? envNumber(env, 'AWS_S3_MAX_MEMORY_SIZE')
  if (maxMemorySize !== undefined && (!Number.isFinite(maxMemorySize) || maxMemorySize < 0)) {
    throw bad(`S3Storage option 'maxMemorySize' must be a number of bytes >= 0, got ${String(maxMemorySize)}.`)
  }
  str(o.fileNameCharset, 'fileNameCharset', 'AWS_S3_FILE_NAME_CHARSET')
  const defaultAcl = str(o.defaultAcl, 'defaultAcl', 'AWS_DEFAULT_ACL') ?? envValue(env, 'AWS_DEFAULT_ACL')

  return {
    bucketName,
    location,
    fileOverwrite: bool(o.fileOverwrite, 'fileOverwrite') ?? envBool(env, 'AWS_S3_FILE_OVERWRITE') ?? false,
    objectParameters,
    ...(defaultAcl ? { defaultAcl } : {}),
    querystringAuth: bool(o.querystringAuth, 'querystringAuth') ?? envBool(env, 'AWS_QUERYSTRING_AUTH') ?? true,
    querystringExpire,
    ...(customDomain ? { customDomain } : {}),
    urlProtocol,
    ...(cloudfrontKeyId && cloudfrontKey ? { cloudfrontKeyId, cloudfrontKey } : {}),
    ...(o.cloudfrontSigner !== undefined ? { cloudfrontSigner: o.cloudfrontSigner } : {}),
    ...(regionName ? { regionName } : {}),
    ...(endpointUrl ? { endpointUrl } : {}),
    addressingStyle,
    useSsl: bool(o.useSsl, 'useSsl') ?? envBool(env, 'AWS_S3_USE_SSL') ?? true,
    verify: verifySetting(o.verify ?? envValue(env, 'AWS_S3_VERIFY'), 'AWS_S3_VERIFY'),
    gzip: bool(o.gzip, 'gzip') ?? envBool(env, 'AWS_IS_GZIPPED') ?? false,
    gzipContentTypes,
    transferConfig,
    clientConfig,
    ...(o.client ? { client: o.client } : {}),
    ...(credentials ? { credentials } : {}),
    ...(sessionProfile ? { sessionProfile } : {}),
    requestChecksumCalculation:
      checksumSetting(o.requestChecksumCalculation ?? envValue(env, 'AWS_REQUEST_CHECKSUM_CALCULATION'), 'requestChecksumCalculation') ??
      (endpointUrl ? 'WHEN_REQUIRED' : undefined),
    responseChecksumValidation:
      checksumSetting(o.responseChecksumValidation ?? envValue(env, 'AWS_RESPONSE_CHECKSUM_VALIDATION'), 'responseChecksumValidation') ??
      (endpointUrl ? 'WHEN_REQUIRED' : undefined),
    conditionalWrites: bool(o.conditionalWrites, 'conditionalWrites') ?? envBool(env, 'AWS_S3_CONDITIONAL_WRITES') ?? true,
  }
}
