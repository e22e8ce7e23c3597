/**
 * The one place S3 errors become storage errors (`S3Storage.mapError`): 404 → FileNotFoundError,
 * 403 → AccessDeniedError naming the IAM action (iam.ts), NoSuchBucket → BucketNotFoundError, a
 * wrong region → ImproperlyConfigured naming the right one, 412 → FileExistsError,
 * RequestTimeTooSkewed → ClockSkewError, 501 → NotImplementedError, 503/SlowDown →
 * ServiceUnavailableError, any other 5xx → StorageError with status 502. The advice comes from
 * advice.ts; the SDK's error is kept as `cause`; credentials never appear in a message.
 */
import {
  AccessDeniedError,
  BucketNotFoundError,
  ClockSkewError,
  FileExistsError,
  FileNotFoundError,
  ImproperlyConfigured,
  NotImplementedError,
  OPERATION_VERBS,
  ServiceUnavailableError,
  StorageError,
  type StorageOperation,
} from '../../core/errors.js'
import { ACL_DISABLED_FIX, CLOCK_FIX, noSuchBucketFix, refusedCredentials, sentence, wrongRegion } from './advice.js'
import { actionsFor, joinActions } from './iam.js'

/** What the mapper knows about the failed request. */
export interface S3ErrorContext {
  /** The storage operation (`save`, `open`, `exists`, `delete`, `list`, ...). */
  operation: StorageOperation
  /** The name as the caller gave it. */
  name: string
  /** The object key (location included), when one applies. */
  key?: string
  bucket: string
  region: string
  /** Whether writes carry an ACL (then `s3:PutObjectAcl` is needed too). */
  acl?: boolean
  /** The configured endpoint, named in the advice for a missing bucket. */
  endpointUrl?: string
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

/** Operations whose requests may carry `If-None-Match` (conditional writes). */
const CONDITIONAL: ReadonlySet<StorageOperation> = new Set<StorageOperation>(['save', 'write', 'upload', 'copy', 'move'])

/** Maps an SDK error to a `StorageError`, or undefined when it is not an S3 service error. */
export function mapS3Error(error: unknown, ctx: S3ErrorContext): StorageError | undefined {
  const e = error as SdkError | null
  if (!e || typeof e !== 'object' || (!e.$metadata && !e.$response)) return undefined
  const code = s3ErrorCode(e)
  const status = s3Status(e)
  const { operation, bucket, region } = ctx
  const verb = OPERATION_VERBS[operation] ?? operation
  const where = ctx.key !== undefined ? `key '${ctx.key}' in bucket '${bucket}'` : `bucket '${bucket}'`
  const opts = { cause: error, key: ctx.name, operation }
  const answer = [code && code !== 'Error' && code !== 'UnknownError' ? code : undefined, status ? `HTTP ${status}` : undefined]
    .filter(Boolean)
    .join(', ')

  if (code === 'NoSuchBucket') {
    const at = ctx.endpointUrl ? ` (at ${ctx.endpointUrl})` : ''
    return new BucketNotFoundError(`Bucket '${bucket}' does not exist in region '${region}'${at}: ${noSuchBucketFix(ctx.endpointUrl)}.`, {
      ...opts,
      bucket,
      region,
    })
  }
  if (
    code === 'PermanentRedirect' ||
    code === 'AuthorizationHeaderMalformed' ||
    code === 'IllegalLocationConstraintException' ||
    status === 301
  ) {
    return new ImproperlyConfigured(sentence(wrongRegion(bucket, actualRegion(e), region)), opts)
  }
  if (isPreconditionFailed(e)) {
    return new FileExistsError(`File '${ctx.name}' already exists (${where}).`, opts)
  }
  if (isNotFound(e)) {
    return new FileNotFoundError(`File does not exist: '${ctx.name}' (${where}).`, opts)
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return new AccessDeniedError(refusedCredentials(code, ` when trying to ${verb} '${ctx.name}'`), { ...opts, bucket })
  }
  if (code === 'RequestTimeTooSkewed') {
    return new ClockSkewError(`S3 refused the request: this machine's clock is off by more than 15 minutes; ${CLOCK_FIX}.`, opts)
  }
  if (status === 403 || code === 'AccessDenied' || code === 'AllAccessDisabled') {
    const action = joinActions(actionsFor(operation, ctx.acl))
    const resource = operation === 'list' ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${ctx.key ?? '*'}`
    const extra =
      operation === 'exists' || operation === 'stat'
        ? ` (and s3:ListBucket on arn:aws:s3:::${bucket}, without which S3 answers 403 instead of 404 for missing keys)`
        : ''
    return new AccessDeniedError(
      `Access denied to '${ctx.name}' (${where}) when trying to ${verb} it: the credentials need ${action} on ${resource}${extra}.`,
      { ...opts, bucket, action },
    )
  }
  if (code === 'AccessControlListNotSupported') {
    return new ImproperlyConfigured(
      `Bucket '${bucket}' has ACLs disabled (Object Ownership: bucket owner enforced) and refuses the ACL of this write: ` +
        `${ACL_DISABLED_FIX}.`,
      opts,
    )
  }
  if (code === 'NotImplemented' || status === 501) {
    const hint = CONDITIONAL.has(operation) ? ' If it rejects conditional writes (If-None-Match), set conditionalWrites: false.' : ''
    return new NotImplementedError(
      `The S3 server does not implement part of the request to ${verb} '${ctx.name}' (${e.message ?? code}).${hint}`,
      opts,
    )
  }
  if (status === 503 || code === 'SlowDown' || code === 'ServiceUnavailable') {
    return new ServiceUnavailableError(
      `S3 is throttling or unavailable (${answer}) when trying to ${verb} '${ctx.name}' (${where}): try again later; ` +
        'the SDK already retried (raise maxAttempts in clientConfig, or spread the load over more key prefixes).',
      opts,
    )
  }
  if (status !== undefined && status >= 500) {
    return new StorageError(
      `Unable to ${verb} '${ctx.name}' (${where}): S3 failed (${answer}${e.message && e.message !== code ? `: ${e.message}` : ''}).`,
      {
        ...opts,
        status: 502,
      },
    )
  }
  return undefined
}
