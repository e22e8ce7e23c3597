/**
 * The cause of a failed HEAD. S3 answers HEAD requests without a body, so the AWS SDK can only
 * report "UnknownError" with a status: a wrong secret, a clock 15 minutes off, an expired session
 * token, a missing permission and a wrong region all look alike. Before S3Storage raises such an
 * error (`save()` and `signedUploadUrl()` look the name up with a HEAD first; `stat()` and
 * `exists()` are HEADs), this module finds the real cause: the `x-amz-bucket-region` header when
 * it names another region, else one GET of the object's first byte, whose error has a body naming
 * the cause (`SignatureDoesNotMatch`, `ExpiredToken`,
 * `AuthorizationHeaderMalformed`, `AccessDenied`); a clock too far off shows in the SDK's own
 * correction of its clock (`$metadata.clockSkewCorrected`). The follow-up needs no permission the HEAD did
 * not (both are `s3:GetObject`), costs one request, and is made only after a HEAD failed.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import type { S3Sdk } from './client.js'
import { s3ErrorCode, s3Status } from './errors.js'

/** What the SDK calls an error whose answer had no body: no code to go by. */
const NAMELESS = new Set(['Unknown', 'UnknownError', 'Error', 'Forbidden', 'BadRequest', 'MovedPermanently'])

/** Statuses of a HEAD that need no explanation: a missing object, a condition, not modified. */
const ANSWERED = new Set([304, 404, 412])

/** A plain, non-enumerable data member, so it survives redact.ts's clone of the error. */
const HEAD_FAILURE = '$headFailure'

/** What the error mapping is told about a failed HEAD of an object. */
export interface HeadFailure {
  /** The HTTP status of the HEAD itself. */
  status?: number
  /** How the cause was found: the HEAD's own answer, or the error of a follow-up GET of the first byte. */
  source: 'head' | 'follow-up'
  /** The answer's Date header was too far from this machine's clock (the SDK corrected its clock after it): the cause of the refusal. */
  clockSkew?: boolean
}

/** The HEAD request that failed: the client that sent it and its input (Bucket, Key, SSE-C and payer parameters). */
export interface HeadLookup {
  client: S3Client
  sdk: S3Sdk
  input: Record<string, unknown>
  signal?: AbortSignal
}

/** The `x-amz-bucket-region` header of an SDK error's raw answer. */
export function bucketRegionHeader(error: unknown): string | undefined {
  const headers = (error as { $response?: { headers?: Record<string, string | undefined> } } | null)?.$response?.headers
  return headers?.['x-amz-bucket-region'] || undefined
}

/** Whether `error` is an S3 answer without a code to go by (the SDK's error for a HEAD that failed). */
export function isBodiless(error: unknown): boolean {
  const e = error as { $metadata?: unknown; Code?: string } | null
  if (!e || typeof e !== 'object' || !e.$metadata || e.Code) return false
  const status = s3Status(error)
  if (status === undefined || ANSWERED.has(status)) return false
  const code = s3ErrorCode(error)
  return code === undefined || NAMELESS.has(code) || /^\d{3}$/.test(code)
}

/** What is known of the HEAD behind `error`, when it came from `explainHeadError`. */
export function headFailureOf(error: unknown): HeadFailure | undefined {
  return error && typeof error === 'object' ? (error as { $headFailure?: HeadFailure }).$headFailure : undefined
}

function mark<E>(error: E, failure: HeadFailure): E {
  if (error && typeof error === 'object' && !Object.isFrozen(error)) {
    Object.defineProperty(error, HEAD_FAILURE, { value: { ...failure }, enumerable: false, writable: true, configurable: true })
  }
  return error
}

/**
 * The error to raise for a failed HEAD: `error` itself when it already says why (a code, a 404,
 * a region header naming another region), else the error of one GET of the object's first byte
 * (`Range: bytes=0-0`, the HEAD's own parameters), whose answer has a body. When that GET works
 * (the object is readable after all) or fails without an answer, `error` is kept. Either way the
 * result is marked (`headFailureOf`) so the message can say the name was being looked up.
 * Never rejects unless `signal` aborts.
 */
export async function explainHeadError(error: unknown, lookup: HeadLookup): Promise<unknown> {
  const status = s3Status(error)
  if (!isBodiless(error)) return status !== undefined && !ANSWERED.has(status) ? mark(error, { status, source: 'head' }) : error
  if ((error as { $metadata?: { clockSkewCorrected?: boolean } }).$metadata?.clockSkewCorrected) {
    return mark(error, { status, source: 'head', clockSkew: true }) // a follow-up would be signed with the corrected clock and pass
  }
  const region = bucketRegionHeader(error)
  if (region && region !== (await lookup.client.config.region().catch(() => undefined))) return mark(error, { status, source: 'head' })
  try {
    const range = { ...lookup.input, Range: 'bytes=0-0' }
    const out = await lookup.client.send(new lookup.sdk.GetObjectCommand(range as never), { abortSignal: lookup.signal })
    ;(out.Body as { destroy?: () => void } | undefined)?.destroy?.()
  } catch (followUp) {
    if (lookup.signal?.aborted) throw followUp
    const code = s3ErrorCode(followUp)
    if (s3Status(followUp) !== undefined && code && !NAMELESS.has(code) && code !== 'InvalidRange' && code !== 'NoSuchKey') {
      return mark(followUp, { status, source: 'follow-up' })
    }
  }
  return mark(error, { status, source: 'head' })
}
