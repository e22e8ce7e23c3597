/**
 * The AWS SDK packages are optional peer dependencies (django-storages' `[s3]` extra): a
 * filesystem-only install has none of them. They are imported here, lazily and once each; when
 * one is not installed, S3 fails with an `ImproperlyConfigured` that names the one `npm i` line
 * installing all of them.
 */
import { ImproperlyConfigured } from '../../core/errors.js'

/** The packages `S3Storage` imports at run time (all optional peers of node-storages). */
export const S3_SDK_PACKAGES = ['@aws-sdk/client-s3', '@aws-sdk/s3-presigned-post'] as const

/** The command that installs every package S3 needs. */
export const S3_SDK_INSTALL = `npm i ${S3_SDK_PACKAGES.join(' ')}`

/** One of the SDK packages S3 imports. */
export type S3SdkPackage = (typeof S3_SDK_PACKAGES)[number]

/** Whether `error` says that `pkg` itself (not some other module) could not be found. */
function isMissing(error: unknown, pkg: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false
  return typeof message === 'string' && message.includes(`'${pkg}'`)
}

/** The error for a missing SDK package, with the import failure as `cause`. */
export function missingSdk(pkg: S3SdkPackage, cause?: unknown): ImproperlyConfigured {
  return new ImproperlyConfigured(
    `S3Storage needs the AWS SDK, an optional peer dependency of node-storages, and ${pkg} is not installed. ` +
      `Install it with: ${S3_SDK_INSTALL}`,
    { cause },
  )
}

/** Imports `pkg` through `load`; a missing package becomes `missingSdk(pkg)`. */
async function importSdk<T>(pkg: S3SdkPackage, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (error) {
    throw isMissing(error, pkg) ? missingSdk(pkg, error) : error
  }
}

/** `@aws-sdk/client-s3`. */
export type ClientS3Module = typeof import('@aws-sdk/client-s3')
/** `@aws-sdk/s3-presigned-post`. */
export type PresignedPostModule = typeof import('@aws-sdk/s3-presigned-post')

let clientS3: Promise<ClientS3Module> | undefined
let presignedPost: Promise<PresignedPostModule> | undefined

/** Forgets a failed import, so a package installed later is found without a restart. */
function once<T>(promise: Promise<T>, reset: () => void): Promise<T> {
  promise.catch(reset)
  return promise
}

/** Imports `@aws-sdk/client-s3` (once per process). */
export function loadClientS3(): Promise<ClientS3Module> {
  return (clientS3 ??= once(
    importSdk('@aws-sdk/client-s3', () => import('@aws-sdk/client-s3')),
    () => (clientS3 = undefined),
  ))
}

/** Imports `@aws-sdk/s3-presigned-post` (presigned POST uploads; once per process). */
export function loadPresignedPost(): Promise<PresignedPostModule> {
  return (presignedPost ??= once(
    importSdk('@aws-sdk/s3-presigned-post', () => import('@aws-sdk/s3-presigned-post')),
    () => (presignedPost = undefined),
  ))
}
