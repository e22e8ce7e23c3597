/**
 * The doctor checks that decide whether anything else can run: credentials (where they came
 * from, the key id masked), the bucket and its region (HeadBucket, or a listing under the
 * location when HeadBucket is refused), and this machine's clock against the server's.
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Check } from '../../../core/diagnostics.js'
import { CLOCK_FIX, CREDENTIALS_SOURCES, noSuchBucketFix, refusedCredentials, sentence, wrongRegion } from '../advice.js'
import type { S3Sdk } from '../client.js'
import { s3ErrorCode, s3Status } from '../errors.js'
import { describeError, fail, ok, type Seen, skip, watch } from './common.js'
import type { S3DiagnoseHost } from './index.js'

/** Skew of this machine's clock past which `clock` fails (S3 itself refuses requests 15 minutes off). */
export const MAX_CLOCK_SKEW_SECONDS = 300

/** `AKIA…WXYZ`: at most 4 characters at each end, and never more than half of a short id. */
function mask(id: string): string {
  const n = Math.min(4, Math.floor(id.length / 4))
  return n ? `${id.slice(0, n)}…${id.slice(-n)}` : '…'
}

/** Where the SDK's provider chain found credentials, from the features it tags them with. */
const SOURCES: [RegExp, string][] = [
  [/WEB_ID/, 'a web identity token (EKS IRSA / OIDC)'],
  [/SSO/, 'AWS IAM Identity Center (SSO)'],
  [/PROFILE/, 'a profile of ~/.aws/config'],
  [/ENV_VARS/, 'the environment (AWS_ACCESS_KEY_ID)'],
  [/IMDS/, 'the EC2 instance profile'],
  [/HTTP/, 'the container credentials endpoint (ECS task role)'],
  [/ASSUME_ROLE|STS/, 'an assumed role (STS)'],
  [/PROCESS/, 'a credential_process'],
]

function sourceOf(credentials: { $source?: object }, options: S3DiagnoseHost['options']): string | undefined {
  if (!options.client && options.credentials) return 'accessKey/secretKey (or AWS_S3_ACCESS_KEY_ID / AWS_ACCESS_KEY_ID)'
  if (!options.client && options.sessionProfile) return `the profile '${options.sessionProfile}'`
  const features = Object.keys(credentials.$source ?? {}).join(' ')
  return SOURCES.find(([re]) => re.test(features))?.[1]
}

/** Resolves the client's credentials (within 15 s) and says where they came from; adds their secrets to `secrets` for redaction. */
export async function checkCredentials(client: S3Client, options: S3DiagnoseHost['options'], secrets: unknown[]): Promise<Check> {
  try {
    const timeout = delay(15_000, undefined, { ref: false }).then(() =>
      Promise.reject(new Error('no answer from the credential providers within 15 s')),
    )
    const creds = await Promise.race([client.config.credentials(), timeout])
    secrets.push(creds?.secretAccessKey, creds?.sessionToken)
    if (!creds?.accessKeyId) throw new Error('the credential provider returned no access key id')
    const source = sourceOf(creds as { $source?: object }, options)
    const expires = creds.expiration ? `, temporary, expiring ${creds.expiration.toISOString()}` : ''
    return ok('credentials', `access key ${mask(creds.accessKeyId)}${source ? ` from ${source}` : ''}${expires}`)
  } catch (error) {
    return fail('credentials', `no AWS credentials could be loaded (${describeError(error)}): ${CREDENTIALS_SOURCES}.`)
  }
}

/** The outcome of the bucket check: its line, and whether the later checks can reach the bucket. */
export interface BucketCheck {
  check: Check
  reachable: boolean
}

/** HeadBucket (ListObjectsV2 under the location when HeadBucket is refused): the bucket, region and reach. */
export async function checkBucket(client: S3Client, sdk: S3Sdk, host: S3DiagnoseHost, region: string, seen: Seen): Promise<BucketCheck> {
  const { bucketName: Bucket } = host.storage
  const endpoint = host.options.endpointUrl
  let error: unknown
  try {
    const out = await client.send(watch(new sdk.HeadBucketCommand({ Bucket }), seen))
    const real = out.BucketRegion ?? seen.headers['x-amz-bucket-region']
    const note =
      real && real !== region && region !== 'auto'
        ? `; it reports region '${real}' while requests are signed for '${region}': set AWS_S3_REGION_NAME=${real} if signed URLs fail`
        : ''
    return { check: ok('bucket', `bucket '${Bucket}' exists and is reachable${real ? ` (region '${real}')` : ''}${note}`), reachable: true }
  } catch (e) {
    error = e
    const headers = (e as { $response?: { headers?: Record<string, string> } }).$response?.headers
    if (!seen.at && headers) Object.assign(seen, { headers, at: Date.now() })
  }
  const [code, status] = [s3ErrorCode(error), s3Status(error)]
  const real = seen.headers['x-amz-bucket-region'] ?? (error as { Region?: string }).Region
  const unreachable = (detail: string): BucketCheck => ({ check: fail('bucket', detail), reachable: false })
  if (status === 404 || code === 'NoSuchBucket') {
    const where = endpoint ? `at ${endpoint}` : `in region '${region}'`
    return unreachable(`bucket '${Bucket}' does not exist ${where}: ${noSuchBucketFix(endpoint)}.`)
  }
  if (status === 301 || (status === 400 && real) || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed') {
    return unreachable(wrongRegion(Bucket, real, region, ` (HTTP ${status ?? '?'})`))
  }
  if (status !== 403) {
    const what = status ? `HeadBucket failed (${describeError(error)})` : `could not reach ${endpoint ?? 'S3'} (${describeError(error)})`
    return unreachable(`${what}: check endpointUrl (AWS_S3_ENDPOINT_URL), the network and any proxy between here and S3.`)
  }
  return listUnderLocation(client, sdk, host, seen)
}

/** After a 403 to HeadBucket: perhaps only because s3:ListBucket is limited to the location (as `node-storages policy` writes it). */
async function listUnderLocation(client: S3Client, sdk: S3Sdk, host: S3DiagnoseHost, seen: Seen): Promise<BucketCheck> {
  const { bucketName: Bucket, location } = host.storage
  const prefix = location ? `${location}/` : ''
  try {
    await client.send(watch(new sdk.ListObjectsV2Command({ Bucket, MaxKeys: 1, ...(prefix ? { Prefix: prefix } : {}) }), seen))
    const detail =
      `bucket '${Bucket}' is reachable: listing under '${prefix}' works ` +
      '(HeadBucket was refused, as expected when s3:ListBucket is limited to the location prefix)'
    return { check: ok('bucket', detail), reachable: true }
  } catch (listError) {
    const listCode = s3ErrorCode(listError)
    if (listCode === 'InvalidAccessKeyId' || listCode === 'SignatureDoesNotMatch') {
      return { check: fail('bucket', refusedCredentials(listCode)), reachable: false }
    }
    const condition = prefix ? ` (a condition on s3:prefix may limit it to '${prefix}*')` : ''
    const detail =
      `access denied to bucket '${Bucket}' (${describeError(listError)}): ` +
      `the credentials need s3:ListBucket on arn:aws:s3:::${Bucket}${condition}. ` +
      'A 403 also comes from a bucket policy denying this principal, or from a clock more than 15 minutes off (see the clock line).'
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
