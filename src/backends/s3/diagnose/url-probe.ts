/**
 * The doctor check of `url()`: stores a probe object under the location, fetches its URL
 * (presigned or public) and compares the bytes, then always deletes it.
 */
import { randomBytes } from 'node:crypto'
import type { Check } from '../../../core/diagnostics.js'
import { describeError, fail, ok, skip } from './common.js'
import type { S3DiagnoseStorage } from './index.js'

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
      `could not fetch url() of a probe object (${describeError(error)}): ` +
        "check that the URL's host (endpointUrl / customDomain) is reachable from here.",
    )
  }
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1]
  const answer = `HTTP ${res.status}${code ? ` ${code}` : ''}`
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
  return fail(
    name,
    'url() gives unsigned URLs (querystringAuth false, or a customDomain without a CloudFront signer) ' +
      `but the probe object is not publicly readable (${answer}): ` +
      'make the files public (a bucket policy granting s3:GetObject, or a CDN with origin access), ' +
      'or set querystringAuth: true (AWS_QUERYSTRING_AUTH=true) for signed URLs.',
  )
}

/** Stores a probe object under the location, checks `url()` of it (fetchProbe), and always deletes it. */
export async function* checkUrl(storage: S3DiagnoseStorage): AsyncGenerator<Check> {
  const body = `node-storages doctor url probe ${new Date().toISOString()}`
  let stored: string
  try {
    stored = await storage.save(`.node-storages-doctor/${randomBytes(6).toString('hex')}-url.txt`, body)
  } catch (error) {
    yield skip('presigned GET', `could not store a probe object (${describeError(error)}): see the write check below`)
    return
  }
  const result = await Promise.resolve()
    .then(() => storage.url(stored))
    .then((url) => fetchProbe(url, body, storage.bucketName))
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
