/** The doctor check of the bucket's CORS rules for direct browser uploads (`signedUploadUrl()`). */
import type { CORSRule, S3Client } from '@aws-sdk/client-s3'
import type { Check } from '../../../core/diagnostics.js'
import type { S3Sdk } from '../client.js'
import { DOCTOR_ACTIONS } from '../iam.js'
import { fail, ok, skip, unreadable } from './common.js'

const ADVICE =
  'direct browser uploads (signedUploadUrl) from another origin need CORS rules allowing PUT (and POST) with the Content-Type header: ' +
  'see docs/direct-uploads.md (CORS)'

/** Whether an `AllowedHeaders` entry (at most one `*`) matches a lower-case header name. */
export function headerMatches(pattern: string, header: string): boolean {
  const p = pattern.toLowerCase()
  const star = p.indexOf('*')
  if (star === -1) return p === header
  const [head, tail] = [p.slice(0, star), p.slice(star + 1)]
  return header.length >= head.length + tail.length && header.startsWith(head) && header.endsWith(tail)
}

/** GetBucketCors: which direct-upload methods (PUT with Content-Type, POST) the rules allow, and from which origins. */
export async function checkCors(client: S3Client, sdk: S3Sdk, Bucket: string): Promise<Check> {
  const name = 'cors'
  let rules: CORSRule[]
  try {
    rules = (await client.send(new sdk.GetBucketCorsCommand({ Bucket }))).CORSRules ?? []
  } catch (error) {
    return unreadable(name, 'the CORS rules (GetBucketCors)', DOCTOR_ACTIONS.cors, error, 'NoSuchCORSConfiguration', () =>
      skip(name, `no CORS configuration on the bucket: fine unless browsers upload directly; ${ADVICE}`),
    )
  }
  const allows = (rule: CORSRule, method: string) => (rule.AllowedMethods ?? []).some((m) => m.toUpperCase() === method)
  const typed = (rule: CORSRule) => (rule.AllowedHeaders ?? []).some((h) => headerMatches(h, 'content-type'))
  const put = rules.filter((r) => allows(r, 'PUT') && typed(r))
  const post = rules.filter((r) => allows(r, 'POST'))
  if (!put.length && rules.some((r) => allows(r, 'PUT'))) {
    return fail(
      name,
      "a CORS rule allows PUT but not the Content-Type header, so browsers' preflight of a direct upload fails: " +
        'add "Content-Type" (or "*") to its AllowedHeaders (docs/direct-uploads.md, CORS).',
    )
  }
  if (!put.length && !post.length) return skip(name, `the CORS rules allow neither PUT nor POST: ${ADVICE}`)
  const origins = [...new Set([...put, ...post].flatMap((r) => r.AllowedOrigins ?? []))]
  const from = origins.map((o) => (o === '*' ? 'any origin (*)' : o)).join(', ') || 'no origin'
  const methods = [put.length ? 'PUT (with Content-Type)' : '', post.length ? 'POST' : ''].filter(Boolean).join(' and ')
  const missing = !put.length
    ? '; not PUT, the default of signedUploadUrl()'
    : !post.length
      ? "; not POST (signedUploadUrl({ method: 'POST' }))"
      : ''
  return ok(name, `direct uploads allowed: ${methods} from ${from}${missing}`)
}
