/**
 * The doctor checks that decide whether anything else can run: credentials (where they came
 * from, the key id masked, stray whitespace, keys written in code), the bucket and its region
 * (HeadBucket; when it fails without a reason, as HEAD answers do, a one-key listing under the
 * location, whose answer names the cause), and this machine's clock against the server's.
 */
import { builtin } from '../../../core/builtins.js'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Check } from '../../../core/diagnostics.js'
import {
  CLOCK_FIX,
  CREDENTIALS_SOURCES,
  noSuchBucketFix,
  refusedCredentials,
  refusedToken,
  sentence,
  TOKEN_CODES,
  wrongRegion,
} from '../advice.js'
import type { S3Sdk } from '../client.js'
import { s3ErrorCode, s3Status } from '../errors.js'
import { bucketRegionHeader } from '../head-cause.js'
import { credentialSource } from './credential-source.js'
import { describeError, fail, ok, type Seen, skip, watch } from './common.js'
import type { S3DiagnoseHost } from './index.js'

/** Skew of this machine's clock past which `clock` fails (S3 itself refuses requests 15 minutes off). */
export const MAX_CLOCK_SKEW_SECONDS = 300

/** `AKIA…WXYZ`: at most 4 characters at each end, and never more than half of a short id. */
export function maskKeyId(id: string): string {
  const n = Math.min(4, Math.floor(id.length / 4))
  return n ? `${id.slice(0, n)}…${id.slice(-n)}` : '…'
}

/** Whether a credential string has spaces or line breaks around it (copied from a file or a console). */
const untrimmed = (value: string | undefined) => value !== undefined && value !== value.trim()

/**
 * Resolves the client's credentials (within 15 s) and says where they came from; adds their
 * secrets to `secrets` for redaction. Fails for keys written in code, for a key id or secret with
 * whitespace around it (S3 answers SignatureDoesNotMatch to every request), and for expired ones.
 */
export async function checkCredentials(
  client: S3Client,
  host: S3DiagnoseHost,
  secrets: unknown[],
  env?: Record<string, string | undefined>,
): Promise<Check> {
  let creds
  try {
    const timeout = builtin('node:timers/promises')
      .setTimeout(15_000, undefined, { ref: false })
      .then(() => Promise.reject(new Error('no answer from the credential providers within 15 s')))
    creds = await Promise.race([client.config.credentials(), timeout])
    secrets.push(creds?.secretAccessKey, creds?.sessionToken)
    if (!creds?.accessKeyId) throw new Error('the credential provider returned no access key id')
  } catch (error) {
    return { ...fail('credentials', `no AWS credentials could be loaded (${describeError(error)}): ${CREDENTIALS_SOURCES}.`), stop: true }
  }
  const source = credentialSource(creds as { accessKeyId: string; $source?: object }, host.options, env)
  const id = `access key ${maskKeyId(creds.accessKeyId.trim())}`
  if (untrimmed(creds.secretAccessKey) || untrimmed(creds.accessKeyId)) {
    const secret = untrimmed(creds.secretAccessKey)
    const variable = secret ? source.secretVariable : source.variable
    return fail(
      'credentials',
      `${id} from ${source.text}: the ${secret ? 'secret key' : 'access key id'}${variable ? ` (${variable})` : ''} has a space or line break ` +
        'before or after it, so S3 refuses every request (SignatureDoesNotMatch). ' +
        'Remove it where the value is set (a .env file, the secret store, a value copied from a console).',
    )
  }
  if (creds.expiration && creds.expiration.getTime() <= Date.now()) {
    return fail(
      'credentials',
      `${id} from ${source.text}: these temporary credentials expired at ${creds.expiration.toISOString()}: ` +
        'get new ones, or let a profile or an IAM role provide them (the SDK refreshes those).',
    )
  }
  if (source.inCode) {
    return fail(
      'credentials',
      `${id} written in code (${source.text}): keys in source code end up in version control and in every copy of it. ` +
        'Move them to the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which createStorage() reads) or use a profile or an IAM role, ' +
        'then rotate this key.',
    )
  }
  const expires = creds.expiration ? `, temporary, expiring ${creds.expiration.toISOString()}` : ''
  return ok('credentials', `${id} from ${source.text}${expires}`)
}

/** The outcome of the bucket check: its line, and whether the later checks can reach the bucket. */
export interface BucketCheck {
  check: Check
  reachable: boolean
}

/** The bucket line for an error with a reason (a code, or a status that says it). */
function bucketFailure(error: unknown, host: S3DiagnoseHost, region: string, real: string | undefined): Check | undefined {
  const { bucketName: Bucket, location } = host.storage
  const endpoint = host.options.endpointUrl
  const [code, status] = [s3ErrorCode(error), s3Status(error)]
  if (status === 404 || code === 'NoSuchBucket') {
    const where = endpoint ? `at ${endpoint}` : `in region '${region}'`
    return fail('bucket', `bucket '${Bucket}' does not exist ${where}: ${noSuchBucketFix(endpoint)}.`)
  }
  const bodyRegion = (error as { Region?: string }).Region
  if (status === 301 || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed' || (real && real !== region)) {
    return fail(
      'bucket',
      wrongRegion(Bucket, real ?? bodyRegion, region, ` (${code && !/^Unknown/.test(code) ? `${code}, ` : ''}HTTP ${status ?? '?'})`),
    )
  }
  if (code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch') return fail('bucket', refusedCredentials(code))
  if (code && TOKEN_CODES.has(code)) return fail('bucket', refusedToken(code))
  if (code === 'RequestTimeTooSkewed') {
    return fail(
      'bucket',
      `S3 refused the request (RequestTimeTooSkewed): this machine's clock is off by more than 15 minutes (see the clock line). ${sentence(CLOCK_FIX)}.`,
    )
  }
  if (status === 403) {
    const prefix = location ? `${location}/` : ''
    const condition = prefix ? ` (a condition on s3:prefix may limit it to '${prefix}*')` : ''
    return fail(
      'bucket',
      `access denied to bucket '${Bucket}' (${describeError(error)}): the credentials need s3:ListBucket on arn:aws:s3:::${Bucket}${condition}. ` +
        'A 403 also comes from a bucket policy denying this principal.',
    )
  }
  return undefined
}

/**
 * HeadBucket, then, when it fails without a reason (HEAD answers have no body) or is refused, a
 * one-key listing under the location (s3:ListBucket may be limited to it, as `node-storages
 * policy` writes it), whose answer names the cause: the bucket, its region, the keys, the
 * session token, the clock, or the permission.
 */
export async function checkBucket(client: S3Client, sdk: S3Sdk, host: S3DiagnoseHost, region: string, seen: Seen): Promise<BucketCheck> {
  const { bucketName: Bucket, location } = host.storage
  let headError: unknown
  try {
    const out = await client.send(watch(new sdk.HeadBucketCommand({ Bucket }), seen))
    const real = out.BucketRegion ?? seen.headers['x-amz-bucket-region']
    const note =
      real && real !== region && region !== 'auto'
        ? `; it reports region '${real}' while requests are signed for '${region}': set AWS_S3_REGION_NAME=${real} if signed URLs fail`
        : ''
    return { check: ok('bucket', `bucket '${Bucket}' exists and is reachable${real ? ` (region '${real}')` : ''}${note}`), reachable: true }
  } catch (e) {
    headError = e
    const headers = (e as { $response?: { headers?: Record<string, string> } }).$response?.headers
    if (!seen.at && headers) Object.assign(seen, { headers, at: Date.now() })
  }
  const real = bucketRegionHeader(headError)
  const status = s3Status(headError)
  if (status === 404 || status === 301 || (real && real !== region && region !== 'auto')) {
    return { check: bucketFailure(headError, host, region, real)!, reachable: false }
  }
  if (status === undefined) {
    const detail = `could not reach ${host.options.endpointUrl ?? 'S3'} (${describeError(headError)}): check endpointUrl (AWS_S3_ENDPOINT_URL), the network and any proxy between here and S3.`
    return { check: fail('bucket', detail), reachable: false }
  }
  const prefix = location ? `${location}/` : ''
  try {
    await client.send(watch(new sdk.ListObjectsV2Command({ Bucket, MaxKeys: 1, ...(prefix ? { Prefix: prefix } : {}) }), seen))
    const detail =
      `bucket '${Bucket}' is reachable: listing under '${prefix}' works ` +
      '(HeadBucket was refused, as expected when s3:ListBucket is limited to the location prefix)'
    return { check: ok('bucket', detail), reachable: true }
  } catch (listError) {
    const named = s3ErrorCode(listError)
    const explained = named && !/^(Unknown|UnknownError|Error)$/.test(named) ? listError : headError
    const check = bucketFailure(explained, host, region, bucketRegionHeader(listError) ?? real)
    if (check) return { check, reachable: false }
    const detail = `HeadBucket failed (${describeError(headError)}; a listing: ${describeError(listError)}): check endpointUrl (AWS_S3_ENDPOINT_URL), the network and any proxy between here and S3.`
    return { check: fail('bucket', detail), reachable: false }
  }
}

/** Compares this machine's clock with the `Date` header of the server's last answer. */
export function checkClock(seen: Seen): Check {
  const server = Date.parse(seen.headers.date ?? '')
  if (!seen.at || Number.isNaN(server)) return skip('clock', "the server's answer had no Date header to compare this machine's clock with")
  const skew = Math.round((seen.at - server) / 1000)
  const off = `${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the server's`
  const limit = MAX_CLOCK_SKEW_SECONDS / 60
  if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
    const detail =
      `this machine's clock is ${off} (more than ${limit} minutes): ` +
      'S3 refuses SigV4 requests 15 minutes off (RequestTimeTooSkewed) and signed URLs expire early or start late. ' +
      `${sentence(CLOCK_FIX)}.`
    return fail('clock', detail)
  }
  return ok('clock', Math.abs(skew) <= 1 ? "in step with the server's clock (within 1 s)" : `${off} (under ${limit} minutes)`)
}
