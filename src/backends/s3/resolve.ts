import { ImproperlyConfigured } from '../../core/errors.js'
import type { Env } from '../../core/env.js'
import { optionsFromEnv, resolveOptions } from '../../core/options.js'
import { S3_OPTIONS } from './option-table.js'
import type { ResolvedS3Options, S3StorageOptions, TransferConfig } from './options.js'

const MIB = 1024 * 1024

const bad = (message: string) => new ImproperlyConfigured(message)

/** The options after the table pass: checked, normalised, defaults applied (credentials not yet paired). */
type TableValues = Omit<ResolvedS3Options, 'bucketName' | 'transferConfig' | 'credentials'> & {
  bucketName?: string
  transferConfig?: TransferConfig
  accessKey?: string
  secretKey?: string
  securityToken?: string
}

/** The multipart settings with their defaults, each checked. */
export function resolveTransferConfig(value: TransferConfig | undefined): Required<TransferConfig> {
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
  if (!Number.isInteger(t.queueSize) || t.queueSize < 1) {
    throw bad(`S3Storage option 'transferConfig.queueSize' must be a whole number >= 1; got ${t.queueSize}.`)
  }
  if (!Number.isInteger(t.multipartThreshold) || t.multipartThreshold < 0 || t.multipartThreshold > 5 * 1024 * MIB) {
    throw bad(
      `S3Storage option 'transferConfig.multipartThreshold' must be a whole number of bytes from 0 to 5 GiB; got ${t.multipartThreshold}.`,
    )
  }
  return t
}

/** Keys or a profile (not both), a key never without its secret; undefined: the SDK's chain. */
function credentialsOf(v: TableValues): ResolvedS3Options['credentials'] {
  if ((v.accessKey || v.secretKey) && v.sessionProfile) {
    throw bad(
      'AWS_S3_SESSION_PROFILE/sessionProfile should not be provided with AWS_S3_ACCESS_KEY_ID/accessKey and AWS_S3_SECRET_ACCESS_KEY/secretKey: ' +
        'use either a profile or keys.',
    )
  }
  if (Boolean(v.accessKey) !== Boolean(v.secretKey)) {
    throw bad(
      `S3Storage has ${v.accessKey ? 'an access key but no secret key' : 'a secret key but no access key'}: set both accessKey and secretKey (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or neither to use the AWS SDK's credential chain.`,
    )
  }
  if (!v.accessKey || !v.secretKey) return undefined
  return { accessKeyId: v.accessKey, secretAccessKey: v.secretKey, ...(v.securityToken ? { sessionToken: v.securityToken } : {}) }
}

/**
 * Checks `options` and applies the defaults; with `env`, options left unset are first taken
 * from it, as `S3Storage.fromEnv()` does (the constructor passes none). Throws
 * `ImproperlyConfigured` naming the option, its variables and the fix.
 */
export function resolveS3Options(options: S3StorageOptions, env?: Env): ResolvedS3Options {
  const v = resolveOptions<TableValues>(S3_OPTIONS, env ? optionsFromEnv(S3_OPTIONS, env, options) : options)
  if (!v.bucketName) throw bad("S3Storage needs a bucket: pass bucketName: 'my-bucket' or set AWS_STORAGE_BUCKET_NAME.")
  const credentials = credentialsOf(v)
  if (Boolean(v.cloudfrontKeyId) !== Boolean(v.cloudfrontKey)) {
    throw bad('Both AWS_CLOUDFRONT_KEY_ID/cloudfrontKeyId and AWS_CLOUDFRONT_KEY/cloudfrontKey must be provided together.')
  }
  const { cloudfrontKeyId, cloudfrontKey } = v
  return {
    bucketName: v.bucketName,
    location: v.location,
    fileOverwrite: v.fileOverwrite,
    objectParameters: v.objectParameters,
    ...(v.defaultAcl ? { defaultAcl: v.defaultAcl } : {}),
    querystringAuth: v.querystringAuth,
    querystringExpire: v.querystringExpire,
    ...(v.customDomain ? { customDomain: v.customDomain } : {}),
    urlProtocol: v.urlProtocol,
    ...(cloudfrontKeyId && cloudfrontKey ? { cloudfrontKeyId, cloudfrontKey } : {}),
    ...(v.cloudfrontSigner !== undefined ? { cloudfrontSigner: v.cloudfrontSigner } : {}),
    ...(v.regionName ? { regionName: v.regionName } : {}),
    ...(v.endpointUrl ? { endpointUrl: v.endpointUrl } : {}),
    addressingStyle: v.addressingStyle,
    useSsl: v.useSsl,
    verify: v.verify,
    gzip: v.gzip,
    gzipContentTypes: v.gzipContentTypes,
    transferConfig: resolveTransferConfig(v.transferConfig),
    clientConfig: v.clientConfig,
    ...(v.client ? { client: v.client } : {}),
    ...(credentials ? { credentials } : {}),
    ...(v.sessionProfile ? { sessionProfile: v.sessionProfile } : {}),
    requestChecksumCalculation: v.requestChecksumCalculation,
    responseChecksumValidation: v.responseChecksumValidation,
    conditionalWrites: v.conditionalWrites,
    connectTimeout: v.connectTimeout,
    readTimeout: v.readTimeout,
  }
}
