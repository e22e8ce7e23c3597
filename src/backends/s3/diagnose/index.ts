/**
 * The S3 checks of `node-storages doctor` (`S3Storage.diagnose()`), by concern: access.ts
 * (credentials, bucket and region, clock), bucket-config.ts (Object Ownership, public access
 * block), cors.ts (direct uploads), url-probe.ts (a GET of `url()`). Each line says what is wrong
 * and how to fix it; a bucket setting the server does not implement (501/405) is skipped, not
 * failed; the secret key and session token are redacted from every line.
 */
import type { Check } from '../../../core/diagnostics.js'
import { loadSdk } from '../client.js'
import type { ResolvedS3Options } from '../options.js'
import type { S3Storage } from '../storage.js'
import { checkBucket, checkClock, checkCredentials } from './access.js'
import { checkOwnership, checkPublicAccessBlock } from './bucket-config.js'
import { type Seen, skip } from './common.js'
import { checkCors } from './cors.js'
import { checkUrl } from './url-probe.js'

export { MAX_CLOCK_SKEW_SECONDS } from './access.js'

/** The members of an `S3Storage` the checks use. */
export type S3DiagnoseStorage = Pick<S3Storage, 'bucketName' | 'location' | 'regionName' | 'getClient' | 'save' | 'url' | 'delete'>

/** What `diagnoseS3` checks: the storage, and the resolved options it was built from. */
export interface S3DiagnoseHost {
  storage: S3DiagnoseStorage
  options: Pick<ResolvedS3Options, 'defaultAcl' | 'objectParameters' | 'endpointUrl' | 'credentials' | 'sessionProfile' | 'client'>
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
