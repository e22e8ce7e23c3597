/**
 * The S3 checks of `node-storages doctor` (`S3Storage.diagnose()`), by concern: access.ts
 * (credentials, bucket and region, clock), bucket-config.ts (Object Ownership, Block Public
 * Access), acl-probe.ts (what an ACL does, found by writing, when those could not be read),
 * cors.ts (direct uploads), url-probe.ts (a GET of `url()`), bucket-advice.ts (lifecycle,
 * encryption, versioning). Each line says what is wrong and how to fix it; a bucket setting the
 * server does not implement (501/405) is skipped; one the credentials may not read fails as "not
 * verified" when this configuration depends on it; the secret key and session token are redacted
 * from every line.
 */
import type { Check, DiagnoseOptions } from '../../../core/diagnostics.js'
import { loadSdk } from '../client.js'
import type { ResolvedS3Options } from '../options.js'
import type { S3Storage } from '../storage.js'
import { checkBucket, checkClock, checkCredentials } from './access.js'
import { probeAclWrite } from './acl-probe.js'
import { bucketAdvice } from './bucket-advice.js'
import { checkOwnership, checkPublicAccessBlock } from './bucket-config.js'
import { type Seen, skip } from './common.js'
import { checkCors } from './cors.js'
import { checkUrl } from './url-probe.js'

export { MAX_CLOCK_SKEW_SECONDS } from './access.js'

/** The members of an `S3Storage` the checks use. */
export type S3DiagnoseStorage = Pick<
  S3Storage,
  'bucketName' | 'location' | 'regionName' | 'getClient' | 'save' | 'url' | 'delete' | 'signedUploadUrl'
>

/** What `diagnoseS3` checks: the storage, and the resolved options it was built from. */
export interface S3DiagnoseHost {
  storage: S3DiagnoseStorage
  options: Pick<ResolvedS3Options, 'defaultAcl' | 'objectParameters' | 'endpointUrl' | 'credentials' | 'sessionProfile' | 'client'> &
    Partial<Pick<ResolvedS3Options, 'querystringAuth' | 'customDomain' | 'fileOverwrite' | 'conditionalWrites'>>
}

async function* checks(host: S3DiagnoseHost, secrets: unknown[], run: DiagnoseOptions): AsyncGenerator<Check> {
  const { storage, options } = host
  const [sdk, client] = await Promise.all([loadSdk(), storage.getClient()])
  const credentials = await checkCredentials(client, host, secrets, run.env)
  yield credentials
  if (credentials.stop) {
    yield { ...skip('s3', 'the bucket, region, clock, ACL, CORS, URL and round-trip checks need credentials'), stop: true }
    return
  }
  const region = storage.regionName ?? (await client.config.region())
  const seen: Seen = { headers: {} }
  const bucket = await checkBucket(client, sdk, host, region, seen)
  yield bucket.check
  yield checkClock(seen)
  if (!bucket.reachable) {
    yield { ...skip('s3', 'the ACL, CORS, URL and round-trip checks need the bucket: fix the bucket line first'), stop: true }
    return
  }
  const Bucket = storage.bucketName
  const acl = (options.objectParameters.ACL as string | undefined) ?? options.defaultAcl
  const unsignedUrls = options.querystringAuth === false && !options.customDomain
  const ownership = await checkOwnership(client, sdk, Bucket, acl)
  yield ownership.check
  const publicAccess = await checkPublicAccessBlock(client, sdk, Bucket, { acl, unsignedUrls })
  yield publicAccess.check
  if (acl && (!ownership.verified || !publicAccess.verified)) {
    yield await probeAclWrite({ client, sdk, bucket: Bucket, location: storage.location, parameters: options.objectParameters }, acl)
  }
  yield* checkCors(client, sdk, host, run)
  yield* checkUrl(storage, publicAccess.access)
  yield* bucketAdvice(client, sdk, { bucket: Bucket, location: storage.location, objectParameters: options.objectParameters })
}

/**
 * The S3 checks of `node-storages doctor`, one `Check` each: credentials (the access key id
 * masked, where they came from), bucket and region, clock skew (the server's Date header),
 * Object Ownership and Block Public Access against the ACL and unsigned URLs, CORS for direct
 * uploads, a GET of `url()` of a probe object under `location` (always deleted), and advice on
 * lifecycle, encryption and versioning. The secret key and session token never appear in a line.
 */
export async function* diagnoseS3(host: S3DiagnoseHost, run: DiagnoseOptions = {}): AsyncIterable<Check> {
  const secrets: unknown[] = [host.options.credentials?.secretAccessKey, host.options.credentials?.sessionToken]
  for await (const check of checks(host, secrets, run)) {
    let detail = check.detail
    for (const secret of secrets) {
      if (typeof secret !== 'string' || secret.trim().length < 6) continue
      for (const form of new Set([secret, secret.trim()])) detail = detail.split(form).join('***')
    }
    yield { ...check, detail }
  }
}
