/**
 * The doctor check of `url()`: stores a probe object under the location, fetches its URL
 * (presigned or public) and compares the bytes, then always deletes it. A public URL refused
 * with 403 is explained with what doctor learnt of Block Public Access and the bucket policy.
 */
import { builtin } from '../../../core/builtins.js'
import type { Check } from '../../../core/diagnostics.js'
import type { PublicAccess } from './bucket-config.js'
import { describeError, fail, ok, skip } from './common.js'
import type { S3DiagnoseStorage } from './index.js'

/** Why anonymous GETs of objects under `prefix` are refused, and the fix, from what doctor learnt of the bucket. */
export function publicReadFix(bucket: string, prefix: string, access: PublicAccess = {}): string {
  const arn = `arn:aws:s3:::${bucket}/${prefix}*`
  const signed = 'or set querystringAuth: true (AWS_QUERYSTRING_AUTH=true) for signed URLs'
  const { block, policyPublic } = access
  if (block?.RestrictPublicBuckets) {
    const policy = policyPublic ? ' although the bucket policy is public' : ''
    return `the bucket's Block Public Access has RestrictPublicBuckets on, so S3 refuses anonymous reads${policy}: turn RestrictPublicBuckets off for this bucket (see the public access block line), ${signed}`
  }
  if (policyPublic)
    return `the bucket policy is public but does not grant s3:GetObject on ${arn} to everyone, or a statement denies it: fix the policy, ${signed}`
  const grant = `a bucket policy granting s3:GetObject on ${arn} to everyone ("Principal": "*")`
  if (block?.BlockPublicPolicy)
    return `no bucket policy makes the files public, and BlockPublicPolicy is on, which refuses adding one: turn BlockPublicPolicy off and add ${grant}, ${signed}`
  if (block) return `no bucket policy makes the files public: add ${grant}, ${signed}`
  return (
    `make the files public with ${grant} (Block Public Access's RestrictPublicBuckets and BlockPublicPolicy must be off for it), ` +
    `or use a CDN with origin access, ${signed}`
  )
}

/** GETs `url` (of the probe object holding `body`) with fetch() and judges the answer. */
async function fetchProbe(url: string, body: string, storage: S3DiagnoseStorage, access?: PublicAccess): Promise<Check> {
  const bucket = storage.bucketName
  const signed = /[?&](X-Amz-Signature|Signature)=/.test(url)
  const name = signed ? 'presigned GET' : 'public URL'
  let res: Response, text: string
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000) })
    text = await res.text()
  } catch (error) {
    return fail(
      name,
      `could not fetch url() of a probe object (${describeError(error)}): ` +
        "check that the URL's host (endpointUrl / customDomain) is reachable from here.",
    )
  }
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1]
  const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1]
  const answer = `HTTP ${res.status}${code ? ` ${code}` : ''}${message && message !== 'Access Denied' ? `: ${message}` : ''}`
  if (res.ok && text === body) {
    return ok(name, `fetched url() of a probe object: ${signed ? 'the signature was accepted and ' : ''}the same bytes came back`)
  }
  if (res.ok) {
    return fail(
      name,
      'url() of a probe object served different bytes: a CDN or proxy in front of the bucket (customDomain) serves something else',
    )
  }
  if (res.status !== 403) {
    return fail(
      name,
      `GET of url() of a probe object answered ${answer}: ` +
        'check endpointUrl (AWS_S3_ENDPOINT_URL), customDomain (AWS_S3_CUSTOM_DOMAIN) and urlProtocol.',
    )
  }
  if (signed) {
    return fail(
      name,
      `S3 refused the signed URL of a probe object (${answer}). Likely causes: ` +
        "regionName (AWS_S3_REGION_NAME) is not the bucket's region, this machine's clock is off (see the clock line), " +
        `the signing key is wrong or lacks s3:GetObject on arn:aws:s3:::${bucket}/*, or temporary credentials expired.`,
    )
  }
  const prefix = storage.location ? `${storage.location}/` : ''
  return fail(
    name,
    'url() gives unsigned URLs (querystringAuth false, or a customDomain without a CloudFront signer) ' +
      `but the probe object is not publicly readable (${answer}): ${publicReadFix(bucket, prefix, access)}.`,
  )
}

/** Stores a probe object under the location, checks `url()` of it (fetchProbe), and always deletes it. */
export async function* checkUrl(storage: S3DiagnoseStorage, access?: PublicAccess): AsyncGenerator<Check> {
  const body = `node-storages doctor url probe ${new Date().toISOString()}`
  let stored: string
  try {
    stored = await storage.save(`.node-storages-doctor/${builtin('node:crypto').randomBytes(6).toString('hex')}-url.txt`, body)
  } catch (error) {
    yield skip('presigned GET', `could not store a probe object (${describeError(error)}): see the write line below`)
    return
  }
  const result = await Promise.resolve()
    .then(() => storage.url(stored))
    .then((url) => fetchProbe(url, body, storage, access))
    .catch((error: unknown) => fail('presigned GET', `url() failed for a probe object: ${describeError(error)}`))
  const key = storage.location ? `${storage.location}/${stored}` : stored
  const cleanup = await storage.delete(stored).then(
    () => undefined,
    (error: unknown) =>
      fail(
        'probe cleanup',
        `could not delete the probe object '${key}' (${describeError(error)}): delete it by hand, and grant s3:DeleteObject.`,
      ),
  )
  yield result
  if (cleanup) yield cleanup
}
