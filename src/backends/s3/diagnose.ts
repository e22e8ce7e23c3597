/**
 * The S3 checks of `node-storages doctor` (`S3Storage.diagnose()`). Each line says what is wrong
 * and how to fix it; a bucket setting the server does not implement (501/405) is skipped, not
 * failed; the secret key and session token are redacted from every line.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import type { CORSRule, S3Client } from '@aws-sdk/client-s3'
import type { Check } from '../../core/diagnostics.js'
import { loadSdk, type S3Sdk } from './client.js'
import { s3ErrorCode, s3Status } from './errors.js'
import type { ResolvedS3Options } from './options.js'
import type { S3Storage } from './storage.js'

/** The members of an `S3Storage` the checks use. */
export type S3DiagnoseStorage = Pick<S3Storage, 'bucketName' | 'location' | 'regionName' | 'getClient' | 'save' | 'url' | 'delete'>

/** What `diagnoseS3` checks: the storage, and the resolved options it was built from. */
export interface S3DiagnoseHost {
  storage: S3DiagnoseStorage
  options: Pick<ResolvedS3Options, 'defaultAcl' | 'objectParameters' | 'endpointUrl' | 'credentials' | 'sessionProfile' | 'client'>
}

/** Skew of this machine's clock past which `clock` fails (S3 itself refuses requests 15 minutes off). */
export const MAX_CLOCK_SKEW_SECONDS = 300

/** Canned ACLs a public access block counts as public (grants to AllUsers or AuthenticatedUsers). */
const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read'])

const line =
  (status: Check['status']) =>
  (name: string, detail: string): Check => ({ status, name, detail })
const [ok, fail, skip] = [line('ok'), line('fail'), line('skip')]

/** The headers of the last HTTP answer to a watched command, and when it arrived. */
type Seen = { headers: Record<string, string | undefined>; at?: number }
type Handler = (args: unknown) => Promise<{ response?: { headers?: Record<string, string> } }>

/** Records the raw response headers of `command` (errors included) into `seen`. */
function watch<C>(command: C, seen: Seen): C {
  const stack = (command as unknown as { middlewareStack: { add(mw: (next: Handler) => Handler, options: object): void } }).middlewareStack
  stack.add(
    (next) => async (args) => {
      const out = await next(args)
      if (out.response?.headers) Object.assign(seen, { headers: out.response.headers, at: Date.now() })
      return out
    },
    { step: 'deserialize', priority: 'low', name: 'nodeStoragesDoctorHeaders' },
  )
  return command
}

function describe(error: unknown): string {
  const [code, status] = [s3ErrorCode(error), s3Status(error)]
  const message = (error as Error | null)?.message
  const head = [code && code !== 'Error' ? code : undefined, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ')
  if (!message || message === 'UnknownError' || message === code) return head || String(error)
  return head ? `${head}: ${message}` : message
}

/** A server without this part of the API (S3-compatible stores): 501 NotImplemented, 405. */
function unsupported(error: unknown): boolean {
  const [code, status] = [s3ErrorCode(error), s3Status(error)]
  return status === 501 || status === 405 || code === 'NotImplemented' || code === 'MethodNotAllowed'
}

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

async function checkCredentials(client: S3Client, options: S3DiagnoseHost['options'], secrets: unknown[]): Promise<Check> {
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
    return fail(
      'credentials',
      `no AWS credentials could be loaded (${describe(error)}): set accessKey/secretKey (AWS_S3_ACCESS_KEY_ID and AWS_S3_SECRET_ACCESS_KEY, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), a profile (sessionProfile / AWS_S3_SESSION_PROFILE, or AWS_PROFILE), or run with an IAM role (EC2 instance profile, ECS task role, EKS IRSA).`,
    )
  }
}

/** HeadBucket (ListObjectsV2 under the location when HeadBucket is refused): the bucket, region and reach. */
async function checkBucket(
  client: S3Client,
  sdk: S3Sdk,
  host: S3DiagnoseHost,
  region: string,
  seen: Seen,
): Promise<{ check: Check; reachable: boolean }> {
  const { bucketName: Bucket, location } = host.storage
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
  if (status === 404 || code === 'NoSuchBucket') {
    return {
      check: fail(
        'bucket',
        `bucket '${Bucket}' does not exist ${endpoint ? `at ${endpoint}` : `in region '${region}'`}: check bucketName (AWS_STORAGE_BUCKET_NAME)${endpoint ? ', endpointUrl (AWS_S3_ENDPOINT_URL)' : ''} and regionName (AWS_S3_REGION_NAME), or create the bucket.`,
      ),
      reachable: false,
    }
  }
  if (status === 301 || (status === 400 && real) || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed') {
    const fix = real
      ? `set regionName: '${real}' (AWS_S3_REGION_NAME=${real})`
      : "set regionName (AWS_S3_REGION_NAME) to the bucket's region (shown in the S3 console)"
    return {
      check: fail(
        'bucket',
        `bucket '${Bucket}' is ${real ? `in region '${real}'` : 'in another region'}, not '${region}' (HTTP ${status ?? '?'}): ${fix}.`,
      ),
      reachable: false,
    }
  }
  if (status !== 403) {
    const what = status ? `HeadBucket failed (${describe(error)})` : `could not reach ${endpoint ?? 'S3'} (${describe(error)})`
    return {
      check: fail('bucket', `${what}: check endpointUrl (AWS_S3_ENDPOINT_URL), the network and any proxy between here and S3.`),
      reachable: false,
    }
  }
  // A 403: perhaps only because s3:ListBucket is limited to the location (as `node-storages policy` writes it).
  const prefix = location ? `${location}/` : ''
  try {
    await client.send(watch(new sdk.ListObjectsV2Command({ Bucket, MaxKeys: 1, ...(prefix ? { Prefix: prefix } : {}) }), seen))
    return {
      check: ok(
        'bucket',
        `bucket '${Bucket}' is reachable: listing under '${prefix}' works (HeadBucket was refused, as expected when s3:ListBucket is limited to the location prefix)`,
      ),
      reachable: true,
    }
  } catch (listError) {
    const listCode = s3ErrorCode(listError)
    if (listCode === 'InvalidAccessKeyId' || listCode === 'SignatureDoesNotMatch')
      return {
        check: fail(
          'bucket',
          `S3 refused the credentials (${listCode}): check the access key id and its secret key (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile).`,
        ),
        reachable: false,
      }
    const condition = prefix ? ` (a condition on s3:prefix may limit it to '${prefix}*')` : ''
    return {
      check: fail(
        'bucket',
        `access denied to bucket '${Bucket}' (${describe(listError)}): the credentials need s3:ListBucket on arn:aws:s3:::${Bucket}${condition}. A 403 also comes from a bucket policy denying this principal, or from a clock more than 15 minutes off (see the clock line).`,
      ),
      reachable: false,
    }
  }
}

function checkClock(seen: Seen): Check {
  const server = Date.parse(seen.headers.date ?? '')
  if (!seen.at || Number.isNaN(server)) return skip('clock', "the server's answer had no Date header to compare this machine's clock with")
  const skew = Math.round((seen.at - server) / 1000)
  const off = `${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the server's`
  if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS)
    return fail(
      'clock',
      `this machine's clock is ${off} (more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes): S3 refuses SigV4 requests 15 minutes off (RequestTimeTooSkewed) and signed URLs expire early or start late. Synchronise the clock with NTP (chrony, systemd-timesyncd).`,
    )
  return ok(
    'clock',
    Math.abs(skew) <= 1 ? "in step with the server's clock (within 1 s)" : `${off} (under ${MAX_CLOCK_SKEW_SECONDS / 60} minutes)`,
  )
}

/** A 501/405 answer → skip; a 403 → skip naming the action; a missing configuration → `missing()`. */
function unreadable(name: string, what: string, action: string, error: unknown, missingCode: string, missing: () => Check): Check {
  if (s3ErrorCode(error) === missingCode) return missing()
  if (unsupported(error))
    return skip(name, `the server does not implement ${what} (${describe(error)}), as with many S3-compatible stores: not checked`)
  if (s3Status(error) === 403) return skip(name, `not allowed to read ${what} (needs ${action}): not checked`)
  return skip(name, `could not read ${what} (${describe(error)}): not checked`)
}

async function checkOwnership(client: S3Client, sdk: S3Sdk, Bucket: string, acl: string | undefined): Promise<Check> {
  const name = 'object ownership'
  const aclNote = acl ? `new objects get the ACL '${acl}'` : 'no ACL header is sent; the bucket decides'
  let mode: string | undefined
  try {
    const out = await client.send(new sdk.GetBucketOwnershipControlsCommand({ Bucket }))
    mode = out.OwnershipControls?.Rules?.[0]?.ObjectOwnership
  } catch (error) {
    return unreadable(
      name,
      'Object Ownership (GetBucketOwnershipControls)',
      's3:GetBucketOwnershipControls',
      error,
      'OwnershipControlsNotFoundError',
      () =>
        ok(
          name,
          `no Object Ownership setting (a bucket from before 2023, or one whose setting was deleted): ACLs are enabled and each object belongs to its uploader; ${aclNote}`,
        ),
    )
  }
  if (!mode)
    return skip(
      name,
      'the server answered without an Object Ownership rule (an S3-compatible store that does not implement it): not checked',
    )
  if (mode === 'BucketOwnerEnforced' && acl && acl !== 'bucket-owner-full-control')
    return fail(
      name,
      `ACLs are disabled on this bucket (Object Ownership: BucketOwnerEnforced): every write would fail with AccessControlListNotSupported because it carries the ACL '${acl}'. Unset defaultAcl / AWS_DEFAULT_ACL (and any ACL in objectParameters / AWS_S3_OBJECT_PARAMETERS).`,
    )
  return ok(name, `${mode}${mode === 'BucketOwnerEnforced' ? ' (ACLs disabled)' : ' (ACLs enabled)'}: ${aclNote}`)
}

async function checkPublicAccessBlock(client: S3Client, sdk: S3Sdk, Bucket: string, acl: string | undefined): Promise<Check> {
  const name = 'public access block'
  const isPublic = acl !== undefined && PUBLIC_ACLS.has(acl)
  let cfg
  try {
    cfg = (await client.send(new sdk.GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration ?? {}
  } catch (error) {
    return unreadable(
      name,
      'the public access block (GetPublicAccessBlock)',
      's3:GetBucketPublicAccessBlock',
      error,
      'NoSuchPublicAccessBlockConfiguration',
      () =>
        ok(
          name,
          `none on the bucket: public ACLs and policies are allowed at bucket level (an account-level block may still apply); ${isPublic ? `new objects get the public ACL '${acl}'` : 'no public ACL is configured'}`,
        ),
    )
  }
  const on = (['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const).filter((k) => cfg[k])
  const summary = on.length ? `${on.join(', ')} on` : 'all four settings off'
  if (isPublic && cfg.BlockPublicAcls)
    return fail(
      name,
      `the bucket blocks public ACLs (BlockPublicAcls on): S3 refuses every write carrying the ACL '${acl}' (AccessDenied). Unset defaultAcl / AWS_DEFAULT_ACL and serve files with signed URLs (querystringAuth) or a CDN; or, if the files must be public, turn BlockPublicAcls off for this bucket.`,
    )
  if (isPublic && cfg.IgnorePublicAcls)
    return fail(
      name,
      `the bucket ignores public ACLs (IgnorePublicAcls on): the ACL '${acl}' is accepted but has no effect, so files are not public. Unset defaultAcl / AWS_DEFAULT_ACL and use signed URLs (querystringAuth) or a CDN; or turn IgnorePublicAcls off for this bucket.`,
    )
  return ok(
    name,
    `${summary}; ${isPublic ? `the public ACL '${acl}' is allowed` : acl ? `the ACL '${acl}' is not public` : 'no ACL header is sent'}`,
  )
}

/** Whether an `AllowedHeaders` entry (at most one `*`) matches a lower-case header name. */
function headerMatches(pattern: string, header: string): boolean {
  const p = pattern.toLowerCase()
  const star = p.indexOf('*')
  if (star === -1) return p === header
  const [head, tail] = [p.slice(0, star), p.slice(star + 1)]
  return header.length >= head.length + tail.length && header.startsWith(head) && header.endsWith(tail)
}

async function checkCors(client: S3Client, sdk: S3Sdk, Bucket: string): Promise<Check> {
  const name = 'cors'
  const advice =
    'direct browser uploads (signedUploadUrl) from another origin need CORS rules allowing PUT (and POST) with the Content-Type header: see docs/direct-uploads.md (CORS)'
  let rules: CORSRule[]
  try {
    rules = (await client.send(new sdk.GetBucketCorsCommand({ Bucket }))).CORSRules ?? []
  } catch (error) {
    return unreadable(name, 'the CORS rules (GetBucketCors)', 's3:GetBucketCORS', error, 'NoSuchCORSConfiguration', () =>
      skip(name, `no CORS configuration on the bucket: fine unless browsers upload directly; ${advice}`),
    )
  }
  const allows = (rule: CORSRule, method: string) => (rule.AllowedMethods ?? []).some((m) => m.toUpperCase() === method)
  const typed = (rule: CORSRule) => (rule.AllowedHeaders ?? []).some((h) => headerMatches(h, 'content-type'))
  const put = rules.filter((r) => allows(r, 'PUT') && typed(r))
  const post = rules.filter((r) => allows(r, 'POST'))
  if (!put.length && rules.some((r) => allows(r, 'PUT')))
    return fail(
      name,
      `a CORS rule allows PUT but not the Content-Type header, so browsers' preflight of a direct upload fails: add "Content-Type" (or "*") to its AllowedHeaders (docs/direct-uploads.md, CORS).`,
    )
  if (!put.length && !post.length) return skip(name, `the CORS rules allow neither PUT nor POST: ${advice}`)
  const origins = [...new Set([...put, ...post].flatMap((r) => r.AllowedOrigins ?? []))]
  const methods = [put.length ? 'PUT (with Content-Type)' : '', post.length ? 'POST' : ''].filter(Boolean).join(' and ')
  const missing = !put.length
    ? '; not PUT, the default of signedUploadUrl()'
    : !post.length
      ? "; not POST (signedUploadUrl({ method: 'POST' }))"
      : ''
  return ok(
    name,
    `direct uploads allowed: ${methods} from ${origins.map((o) => (o === '*' ? 'any origin (*)' : o)).join(', ') || 'no origin'}${missing}`,
  )
}

/** GETs `url` (of the probe object holding `body`) with fetch() and judges the answer. */
async function fetchProbe(url: string, body: string, bucket: string): Promise<Check> {
  const signed = /[?&](X-Amz-Signature|Signature)=/.test(url)
  const name = signed ? 'presigned GET' : 'public URL'
  let res: Response, text: string
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000) })
    text = await res.text()
  } catch (error) {
    return fail(
      name,
      `could not fetch url() of a probe object (${describe(error)}): check that the URL's host (endpointUrl / customDomain) is reachable from here.`,
    )
  }
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1]
  const answer = `HTTP ${res.status}${code ? ` ${code}` : ''}`
  if (res.ok && text === body)
    return ok(name, `fetched url() of a probe object: ${signed ? 'the signature was accepted and ' : ''}the same bytes came back`)
  if (res.ok)
    return fail(
      name,
      'url() of a probe object served different bytes: a CDN or proxy in front of the bucket (customDomain) serves something else',
    )
  if (res.status !== 403)
    return fail(
      name,
      `GET of url() of a probe object answered ${answer}: check endpointUrl (AWS_S3_ENDPOINT_URL), customDomain (AWS_S3_CUSTOM_DOMAIN) and urlProtocol.`,
    )
  if (signed)
    return fail(
      name,
      `S3 refused the signed URL of a probe object (${answer}). Likely causes: regionName (AWS_S3_REGION_NAME) is not the bucket's region, this machine's clock is off (see the clock line), the signing key is wrong or lacks s3:GetObject on arn:aws:s3:::${bucket}/*, or temporary credentials expired.`,
    )
  return fail(
    name,
    `url() gives unsigned URLs (querystringAuth false, or a customDomain without a CloudFront signer) but the probe object is not publicly readable (${answer}): make the files public (a bucket policy granting s3:GetObject, or a CDN with origin access), or set querystringAuth: true (AWS_QUERYSTRING_AUTH=true) for signed URLs.`,
  )
}

/** Stores a probe object under the location, checks `url()` of it (fetchProbe), and always deletes it. */
async function* checkUrl(storage: S3DiagnoseStorage): AsyncGenerator<Check> {
  const body = `node-storages doctor url probe ${new Date().toISOString()}`
  let stored: string
  try {
    stored = await storage.save(`.node-storages-doctor/${randomBytes(6).toString('hex')}-url.txt`, body)
  } catch (error) {
    yield skip('presigned GET', `could not store a probe object (${describe(error)}): see the write check below`)
    return
  }
  const result = await Promise.resolve()
    .then(() => storage.url(stored))
    .then((url) => fetchProbe(url, body, storage.bucketName))
    .catch((error: unknown) => fail('presigned GET', `url() failed for a probe object: ${describe(error)}`))
  const key = storage.location ? `${storage.location}/${stored}` : stored
  const cleanup = await storage.delete(stored).then(
    () => undefined,
    (error: unknown) =>
      fail(
        'probe cleanup',
        `could not delete the probe object '${key}' (${describe(error)}): delete it by hand, and grant s3:DeleteObject.`,
      ),
  )
  yield result
  if (cleanup) yield cleanup
}

async function* checks(host: S3DiagnoseHost, secrets: unknown[]): AsyncGenerator<Check> {
  const { storage, options } = host
  const [sdk, client] = await Promise.all([loadSdk(), storage.getClient()])
  const credentials = await checkCredentials(client, options, secrets)
  yield credentials
  if (credentials.status === 'fail') {
    yield skip('s3', 'the bucket, region, clock, ACL, CORS and URL checks need credentials')
    return
  }
  const region = storage.regionName ?? (await client.config.region())
  const seen: Seen = { headers: {} }
  const bucket = await checkBucket(client, sdk, host, region, seen)
  yield bucket.check
  yield checkClock(seen)
  if (!bucket.reachable) {
    yield skip('s3', 'the ACL, CORS and URL checks need the bucket: fix the bucket line first')
    return
  }
  const acl = (options.objectParameters.ACL as string | undefined) ?? options.defaultAcl
  yield await checkOwnership(client, sdk, storage.bucketName, acl)
  yield await checkPublicAccessBlock(client, sdk, storage.bucketName, acl)
  yield await checkCors(client, sdk, storage.bucketName)
  yield* checkUrl(storage)
}

/**
 * The S3 checks of `node-storages doctor`, one `Check` each: credentials (the access key id
 * masked), bucket and region (HeadBucket), clock skew (the server's Date header), Object
 * Ownership and the public access block against `defaultAcl`/`objectParameters.ACL`, CORS for
 * direct uploads, and a GET of `url()` of a probe object under `location` (always deleted).
 * The secret key and session token never appear in a line.
 */
export async function* diagnoseS3(host: S3DiagnoseHost): AsyncIterable<Check> {
  const secrets: unknown[] = [host.options.credentials?.secretAccessKey, host.options.credentials?.sessionToken]
  for await (const check of checks(host, secrets)) {
    let detail = check.detail
    for (const secret of secrets) if (typeof secret === 'string' && secret.length >= 6) detail = detail.split(secret).join('***')
    yield { ...check, detail }
  }
}
