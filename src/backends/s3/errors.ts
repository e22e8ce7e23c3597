/**
 * The one place S3 errors become storage errors (`S3Storage.mapError`): 404 → FileNotFoundError,
 * 403 → AccessDeniedError naming the IAM action, NoSuchBucket → BucketNotFoundError, a wrong
 * region → ImproperlyConfigured naming the right one, 412 → FileExistsError. The SDK's error is
 * kept as `cause`; credentials never appear in a message.
 */
import {
  AccessDeniedError,
  BucketNotFoundError,
  FileExistsError,
  FileNotFoundError,
  ImproperlyConfigured,
  StorageError,
} from '../../core/errors.js'

/** What the mapper knows about the failed request. */
export interface S3ErrorContext {
  /** The storage operation (`save`, `open`, `check`, `delete`, `list`, ...). */
  operation: string
  /** The name as the caller gave it. */
  name: string
  /** The object key (location included), when one applies. */
  key?: string
  bucket: string
  region: string
  /** Whether writes carry an ACL (then `s3:PutObjectAcl` is needed too). */
  acl?: boolean
}

/** The S3 service error fields we read (`S3ServiceException` and its subclasses). */
interface SdkError {
  name?: string
  Code?: string
  message?: string
  Region?: string
  Endpoint?: string
  $metadata?: { httpStatusCode?: number }
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> }
}

const ACTIONS: Record<string, string> = {
  save: 's3:PutObject',
  write: 's3:PutObject',
  'sign upload for': 's3:PutObject',
  open: 's3:GetObject',
  read: 's3:GetObject',
  stat: 's3:GetObject',
  check: 's3:GetObject',
  delete: 's3:DeleteObject',
  list: 's3:ListBucket',
  copy: 's3:GetObject and s3:PutObject',
  move: 's3:GetObject, s3:PutObject and s3:DeleteObject',
}

/** The S3 error code of an SDK error (`NoSuchKey`, `AccessDenied`, ...). */
export function s3ErrorCode(error: unknown): string | undefined {
  const e = error as SdkError | null
  return e?.Code ?? e?.name
}

/** The HTTP status of an SDK error, if it came from the server. */
export function s3Status(error: unknown): number | undefined {
  const e = error as SdkError | null
  return e?.$metadata?.httpStatusCode ?? e?.$response?.statusCode
}

/** A 404 for the object (not for the bucket). */
export function isNotFound(error: unknown): boolean {
  const code = s3ErrorCode(error)
  if (code === 'NoSuchBucket') return false
  return s3Status(error) === 404 || code === 'NoSuchKey' || code === 'NotFound'
}

/** The 412 of a conditional write (`If-None-Match: *` on a taken key). */
export function isPreconditionFailed(error: unknown): boolean {
  return s3Status(error) === 412 || s3ErrorCode(error) === 'PreconditionFailed'
}

/** The bucket's real region, from the `x-amz-bucket-region` header or the error body. */
function actualRegion(e: SdkError): string | undefined {
  const header = e.$response?.headers?.['x-amz-bucket-region']
  if (header) return header
  if (e.Region) return e.Region
  const fromEndpoint = e.Endpoint && /(?:^|\.)s3[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(e.Endpoint)?.[1]
  if (fromEndpoint) return fromEndpoint
  const fromMessage = /expecting '([a-z0-9-]+)'/.exec(e.message ?? '')?.[1]
  return fromMessage
}

/** Maps an SDK error to a `StorageError`, or undefined when it is not an S3 service error. */
export function mapS3Error(error: unknown, ctx: S3ErrorContext): StorageError | undefined {
  const e = error as SdkError | null
  if (!e || typeof e !== 'object' || (!e.$metadata && !e.$response)) return undefined
  const code = s3ErrorCode(e)
  const status = s3Status(e)
  const where = ctx.key !== undefined ? `key '${ctx.key}' in bucket '${ctx.bucket}'` : `bucket '${ctx.bucket}'`
  const opts = { cause: error, key: ctx.name, operation: ctx.operation }

  if (code === 'NoSuchBucket') {
    return new BucketNotFoundError(
      `Bucket '${ctx.bucket}' does not exist in region '${ctx.region}' (or at the configured endpoint): check bucketName (AWS_STORAGE_BUCKET_NAME), regionName and endpointUrl.`,
      { ...opts, bucket: ctx.bucket, region: ctx.region },
    )
  }
  if (
    code === 'PermanentRedirect' ||
    code === 'AuthorizationHeaderMalformed' ||
    code === 'IllegalLocationConstraintException' ||
    status === 301
  ) {
    const right = actualRegion(e)
    const fix = right
      ? `set regionName: '${right}' (AWS_S3_REGION_NAME=${right})`
      : "set regionName (AWS_S3_REGION_NAME) to the bucket's region"
    return new ImproperlyConfigured(
      `Bucket '${ctx.bucket}' is ${right ? `in region '${right}'` : 'in another region'}, not '${ctx.region}': ${fix}.`,
      opts,
    )
  }
  if (isPreconditionFailed(e)) {
    return new FileExistsError(`File '${ctx.name}' already exists (${where}).`, opts)
  }
  if (isNotFound(e)) {
    return new FileNotFoundError(`File does not exist: '${ctx.name}' (${where}).`, opts)
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return new AccessDeniedError(
      `S3 refused the credentials (${code}) during ${ctx.operation} of '${ctx.name}': check the access key id and secret (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile) and regionName.`,
      { ...opts, bucket: ctx.bucket },
    )
  }
  if (code === 'RequestTimeTooSkewed') {
    return new StorageError(`S3 refused the request: this machine's clock is off by more than 15 minutes. Synchronise it (NTP).`, {
      ...opts,
      code: 'E_CLOCK_SKEW',
    })
  }
  if (status === 403 || code === 'AccessDenied' || code === 'AllAccessDisabled') {
    let action = ACTIONS[ctx.operation] ?? 's3:GetObject'
    if (ctx.acl && (ctx.operation === 'save' || ctx.operation === 'write' || ctx.operation === 'copy' || ctx.operation === 'move'))
      action += ' and s3:PutObjectAcl'
    const resource = ctx.operation === 'list' ? `arn:aws:s3:::${ctx.bucket}` : `arn:aws:s3:::${ctx.bucket}/${ctx.key ?? '*'}`
    const extra =
      ctx.operation === 'check' || ctx.operation === 'stat'
        ? ` (and s3:ListBucket on arn:aws:s3:::${ctx.bucket}, without which S3 answers 403 instead of 404 for missing keys)`
        : ''
    return new AccessDeniedError(
      `Access denied to '${ctx.name}' (${where}) during ${ctx.operation}: the credentials need ${action} on ${resource}${extra}.`,
      { ...opts, bucket: ctx.bucket, action },
    )
  }
  if (code === 'AccessControlListNotSupported') {
    return new ImproperlyConfigured(
      `Bucket '${ctx.bucket}' has ACLs disabled (Object Ownership: bucket owner enforced) and refuses the ACL of this write: unset defaultAcl (AWS_DEFAULT_ACL) and any ACL in objectParameters.`,
      opts,
    )
  }
  if (code === 'NotImplemented' && ctx.operation !== 'list') {
    return new StorageError(
      `The S3 server does not implement part of this ${ctx.operation} request (${e.message ?? code}). If it rejects conditional writes, set conditionalWrites: false.`,
      { ...opts, code: 'E_NOT_IMPLEMENTED' },
    )
  }
  return undefined
}
