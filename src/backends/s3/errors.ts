/**
 * The one place S3 errors become storage errors (`S3Storage.mapError`): 404 → FileNotFoundError,
 * 403 → AccessDeniedError naming the IAM action (the one AWS names, else iam.ts's), NoSuchBucket →
 * BucketNotFoundError, a wrong region → ImproperlyConfigured naming the right one, 412 →
 * FileExistsError, RequestTimeTooSkewed → ClockSkewError, ExpiredToken/InvalidToken →
 * AccessDeniedError, no credentials at all → ImproperlyConfigured, 501 → NotImplementedError,
 * 503/SlowDown → ServiceUnavailableError, any other 5xx → StorageError with status 502. A failed
 * HEAD arrives explained by head-cause.ts. The advice comes from advice.ts; the SDK's error is kept
 * as `cause`; credentials never appear in a message.
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
import {
  ACL_DISABLED_FIX,
  CLOCK_FIX,
  CREDENTIALS_SOURCES,
  lookupPhrase,
  noSuchBucketFix,
  PUBLIC_ACL_BLOCKED_FIX,
  refusedCredentials,
  refusedToken,
  sentence,
  TOKEN_CODES,
  wrongRegion,
} from './advice.js'
import { bucketRegionHeader, headFailureOf } from './head-cause.js'
import { actionsFor, deniedActionOf, joinActions, NAME_LOOKUP_ACTIONS } from './iam.js'

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
  /** Whether writes carry an ACL (then `s3:PutObjectAcl` is needed too); the ACL itself when known. */
  acl?: boolean | string
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

/** Operations that look a name up (a HEAD) before they write: a refused HEAD is not a refused write. */
const LOOKS_UP: ReadonlySet<StorageOperation> = new Set<StorageOperation>(['save', 'write', 'upload', 'signedUploadUrl', 'copy', 'move'])

/** What a HEAD of `exists()` is, for messages: save() and signedUploadUrl() make one before they write. */
const HEAD_NOTE = 'a HEAD request, as save() and signedUploadUrl() make before they write'

/** Canned ACLs Block Public Access counts as public. */
const PUBLIC_ACLS: ReadonlySet<string> = new Set(['public-read', 'public-read-write', 'authenticated-read'])

/** How an operation reads in a message: `exists()` looks a name up (save() and signedUploadUrl() call it first). */
function verbOf(operation: StorageOperation): string {
  return operation === 'exists' ? 'look up' : (OPERATION_VERBS[operation] ?? operation)
}

/** The SDK found no credentials at all (its provider chain's `CredentialsProviderError`). */
function isMissingCredentials(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | null
  return e?.name === 'CredentialsProviderError' || /Could not load credentials from any providers/.test(e?.message ?? '')
}

/** The 403 of an operation, naming the action AWS named, else the ones iam.ts lists, and what else answers 403 the same way. */
function accessDenied(e: SdkError, ctx: S3ErrorContext, where: string, opts: object): AccessDeniedError {
  const { operation, bucket, name } = ctx
  const verb = verbOf(operation)
  const objectArn = `arn:aws:s3:::${bucket}/${ctx.key ?? '*'}`
  const named = deniedActionOf(e.message)
  const lookup = headFailureOf(e) !== undefined && LOOKS_UP.has(operation)
  const when = lookup ? lookupPhrase(verb) : operation === 'exists' ? `when looking it up (${HEAD_NOTE})` : `when trying to ${verb} it`
  let need: string
  let action: string
  if (named) {
    const resource = /on resource:? "?([^"\s]+)"?/.exec(e.message ?? '')?.[1] ?? objectArn
    need = `${named} on ${resource}`
    action = named
  } else if (lookup || operation === 'exists' || operation === 'stat') {
    const [get, list] = NAME_LOOKUP_ACTIONS
    need =
      `${get} on ${objectArn} and ${list} on arn:aws:s3:::${bucket} ` +
      `(without ${list}, S3 answers 403 instead of 404 for a name that is free)`
    action = get! // the message names s3:ListBucket too
  } else {
    action = joinActions(actionsFor(operation, Boolean(ctx.acl)))
    need = `${action} on ${operation === 'list' ? `arn:aws:s3:::${bucket}` : objectArn}`
  }
  let also = ''
  const acl = typeof ctx.acl === 'string' ? ctx.acl : undefined
  if (
    !lookup &&
    !named &&
    ctx.acl &&
    actionsFor(operation, true).includes('s3:PutObjectAcl') &&
    (acl === undefined || PUBLIC_ACLS.has(acl))
  ) {
    const which = acl ? `the ACL '${acl}'` : 'a public ACL (public-read)'
    also = ` If the write carries ${which}, the bucket's Block Public Access (BlockPublicAcls) refuses it with this same 403: ${PUBLIC_ACL_BLOCKED_FIX}.`
  }
  return new AccessDeniedError(`Access denied to '${name}' (${where}) ${when}: the credentials need ${need}.${also}`, {
    ...opts,
    bucket,
    action,
  })
}

/** Maps an SDK error to a `StorageError`, or undefined when it is not an S3 service error. */
export function mapS3Error(error: unknown, ctx: S3ErrorContext): StorageError | undefined {
  const e = error as SdkError | null
  const { operation, bucket, region } = ctx
  const verb = verbOf(operation)
  const opts = { cause: error, key: ctx.name, operation }
  if (isMissingCredentials(e)) {
    return new ImproperlyConfigured(`No AWS credentials were found when trying to ${verb} '${ctx.name}': ${CREDENTIALS_SOURCES}.`, opts)
  }
  if (!e || typeof e !== 'object' || (!e.$metadata && !e.$response)) return undefined
  const code = s3ErrorCode(e)
  const status = s3Status(e)
  const where = ctx.key !== undefined ? `key '${ctx.key}' in bucket '${bucket}'` : `bucket '${bucket}'`
  const answer = [
    code && code !== 'Error' && code !== 'UnknownError' && code !== 'Unknown' ? code : undefined,
    status ? `HTTP ${status}` : undefined,
  ]
    .filter(Boolean)
    .join(', ')
  const head = headFailureOf(e)
  const headerRegion = bucketRegionHeader(e)
  const otherRegion = headerRegion !== undefined && headerRegion !== region && region !== 'auto' && region !== 'unknown'

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
    status === 301 ||
    (otherRegion && (status === 400 || status === 403))
  ) {
    return new ImproperlyConfigured(sentence(wrongRegion(bucket, actualRegion(e), region)), opts)
  }
  if (isPreconditionFailed(e)) {
    return new FileExistsError(`File '${ctx.name}' already exists (${where}).`, opts)
  }
  if (isNotFound(e)) {
    return new FileNotFoundError(`File does not exist: '${ctx.name}' (${where}).`, opts)
  }
  const during =
    head && LOOKS_UP.has(operation)
      ? ` ${lookupPhrase(verb)} ('${ctx.name}')`
      : operation === 'exists'
        ? ` when looking up '${ctx.name}' (${HEAD_NOTE})`
        : ` when trying to ${verb} '${ctx.name}'`
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') {
    return new AccessDeniedError(refusedCredentials(code, during), { ...opts, bucket })
  }
  if (code && TOKEN_CODES.has(code)) {
    return new AccessDeniedError(refusedToken(code, during), { ...opts, bucket })
  }
  if (code === 'RequestTimeTooSkewed' || head?.clockSkew) {
    return new ClockSkewError(`S3 refused the request: this machine's clock is off by more than 15 minutes; ${CLOCK_FIX}.`, opts)
  }
  if (status === 403 || code === 'AccessDenied' || code === 'AllAccessDisabled') return accessDenied(e, ctx, where, opts)
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
  if (head && status === 400) {
    return new StorageError(
      `S3 refused the HEAD request for '${ctx.name}' (${where}, HTTP 400; HEAD answers carry no reason)${during}: ` +
        "the usual causes are a regionName (AWS_S3_REGION_NAME) other than the bucket's, or temporary credentials whose session token " +
        '(AWS_SESSION_TOKEN) expired. Run `node-storages doctor` to tell which.',
      opts,
    )
  }
  return undefined
}
