/**
 * The doctor check of CORS for direct browser uploads (`signedUploadUrl()`): it asks the storage
 * for real upload URLs (PUT and POST), takes the request headers the PUT signs (Content-Type,
 * If-None-Match, Cache-Control, Content-Disposition, the SSE headers, …), and evaluates the
 * browser's preflight against the bucket's CORS rules as S3 does (the first rule matching origin,
 * method and every header). When the rules cannot be read but the origin is known, it sends the
 * real preflight (OPTIONS, which S3 never authenticates) instead.
 */
import type { CORSRule, S3Client } from '@aws-sdk/client-s3'
import type { Check, DiagnoseOptions } from '../../../core/diagnostics.js'
import type { S3Sdk } from '../client.js'
import { DOCTOR_ACTIONS } from '../iam.js'
import { s3ErrorCode } from '../errors.js'
import { describeError, fail, ok, skip, unreadable, unsupported } from './common.js'
import type { S3DiagnoseHost } from './index.js'

/** An upload method of `signedUploadUrl()`. */
export type UploadMethod = 'PUT' | 'POST'

/** A request a browser makes to upload: its method, URL and the headers its preflight names (lower case). */
interface BrowserUpload {
  method: UploadMethod
  url?: string
  headers: string[]
}

const DOCS = 'See docs/direct-uploads.md (CORS).'

/** Whether a CORS pattern (at most one `*`) matches `value`, case-insensitively. */
export function headerMatches(pattern: string, value: string): boolean {
  const p = pattern.toLowerCase()
  const v = value.toLowerCase()
  const star = p.indexOf('*')
  if (star === -1) return p === v
  const [head, tail] = [p.slice(0, star), p.slice(star + 1)]
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail)
}

/**
 * S3's answer to a browser's CORS request (`origin` undefined: any origin a rule names): `undefined`
 * when a rule allows it, else why not.
 */
export function refusal(rules: readonly CORSRule[], upload: BrowserUpload, origin?: string): string | undefined {
  const byOrigin = origin ? rules.filter((r) => (r.AllowedOrigins ?? []).some((o) => headerMatches(o, origin))) : rules
  if (!byOrigin.length) return `no rule allows the origin ${origin}`
  const byMethod = byOrigin.filter((r) => (r.AllowedMethods ?? []).some((m) => m.toUpperCase() === upload.method))
  if (!byMethod.length) return `no rule allows ${upload.method}${origin ? ` from ${origin}` : ''}`
  const missing = (r: CORSRule) => upload.headers.filter((h) => !(r.AllowedHeaders ?? []).some((a) => headerMatches(a, h)))
  const best = byMethod.map((r) => missing(r).sort()).sort((a, b) => a.length - b.length)[0]!
  if (!best.length) return undefined
  return `the rule allowing ${upload.method} does not allow the header${best.length > 1 ? 's' : ''} ${best.join(', ')} (signedUploadUrl() signs ${best.length > 1 ? 'them' : 'it'}, so the browser must send ${best.length > 1 ? 'them' : 'it'})`
}

/** The uploads a browser would make: real signed URLs, their signed headers; a failure to sign is its own line. */
async function browserUploads(host: S3DiagnoseHost, methods: readonly UploadMethod[], lines: Check[]): Promise<BrowserUpload[]> {
  const uploads: BrowserUpload[] = []
  for (const method of methods) {
    try {
      const signed = await host.storage.signedUploadUrl(`.node-storages-doctor/cors-probe-${method.toLowerCase()}.bin`, {
        method,
        contentType: 'application/octet-stream',
        expire: 60,
      })
      uploads.push({ method, url: signed.url, headers: Object.keys(signed.headers).map((h) => h.toLowerCase()) })
    } catch (error) {
      lines.push(fail('signed upload', `signedUploadUrl({ method: '${method}' }) failed: ${describeError(error)}`))
      const conditional = !host.options.fileOverwrite && host.options.conditionalWrites && method === 'PUT'
      uploads.push({ method, headers: method === 'PUT' ? ['content-type', ...(conditional ? ['if-none-match'] : [])] : [] })
    }
  }
  return uploads
}

/** The rule to add, as JSON the S3 console takes. */
function ruleToAdd(uploads: BrowserUpload[], origins: string[]): string {
  const headers = [...new Set(uploads.flatMap((u) => u.headers))].sort()
  const rule = {
    AllowedOrigins: origins.length ? origins : ['https://your-app.example'],
    AllowedMethods: uploads.map((u) => u.method),
    AllowedHeaders: headers.length ? headers : ['*'],
    ExposeHeaders: ['ETag'],
    MaxAgeSeconds: 3000,
  }
  return JSON.stringify([rule])
}

/** Sends the preflight of `upload` from `origin` (OPTIONS; S3 answers it without credentials): undefined when allowed, else why not. */
async function realPreflight(upload: BrowserUpload, origin: string): Promise<string | undefined> {
  if (!upload.url) return 'no upload URL could be signed to send a preflight to'
  const headers: Record<string, string> = { origin, 'access-control-request-method': upload.method }
  if (upload.headers.length) headers['access-control-request-headers'] = upload.headers.join(',')
  try {
    const res = await fetch(upload.url, { method: 'OPTIONS', headers, signal: AbortSignal.timeout(15_000) })
    const text = await res.text()
    if (res.ok && res.headers.get('access-control-allow-origin')) return undefined
    const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1]
    return `S3 answered the preflight with HTTP ${res.status}${message ? ` (${message})` : ''}`
  } catch (error) {
    return `the preflight failed (${describeError(error)})`
  }
}

/**
 * The `cors` line (and a `signed upload` line when signing fails). `uploadMethods`: the methods
 * browsers use (default both; `[]`: no browser uploads); `origin`: the page's origin, when known.
 */
export async function* checkCors(client: S3Client, sdk: S3Sdk, host: S3DiagnoseHost, options: DiagnoseOptions = {}): AsyncGenerator<Check> {
  const name = 'cors'
  const stated = options.uploadMethods !== undefined
  const methods = options.uploadMethods ?? (['PUT', 'POST'] as const)
  if (!methods.length) {
    yield skip(name, 'no browser uploads (--upload-method none): not checked')
    return
  }
  const Bucket = host.storage.bucketName
  let rules: CORSRule[] | undefined
  let readError: unknown
  try {
    rules = (await client.send(new sdk.GetBucketCorsCommand({ Bucket }))).CORSRules ?? []
  } catch (error) {
    readError = error
  }
  const lines: Check[] = []
  const uploads = await browserUploads(host, methods, lines)
  yield* lines
  const origin = options.origin
  const origins = origin ? [origin] : [...new Set((rules ?? []).flatMap((r) => r.AllowedOrigins ?? []))]
  const fix = `Add this rule to the bucket's CORS configuration (Permissions → CORS), with your real origins: ${ruleToAdd(uploads, origins)}. ${DOCS}`
  let refusals: [BrowserUpload, string | undefined][]
  if (rules === undefined) {
    if (s3ErrorCode(readError) === 'NoSuchCORSConfiguration') {
      const fine = stated ? '' : '; fine if no browser uploads directly (then run doctor --upload-method none)'
      const detail = `no CORS configuration on the bucket: browsers' direct uploads are refused at the preflight (403 "CORS is not enabled for this bucket")${fine}. ${fix}`
      yield (stated ? fail : skip)(name, detail)
      return
    }
    if (!origin || unsupported(readError)) {
      const read = { name, what: 'the CORS rules (GetBucketCors)', action: DOCTOR_ACTIONS.cors, missingCode: 'NoSuchCORSConfiguration' }
      const matters =
        'browsers upload directly (if they do not, run doctor --upload-method none; ' +
        "with --origin set to the page's origin, doctor sends a real preflight instead)"
      yield unreadable(read, readError, () => skip(name, ''), matters)
      return
    }
    refusals = await Promise.all(
      uploads.map(async (u): Promise<[BrowserUpload, string | undefined]> => [u, await realPreflight(u, origin)]),
    )
  } else {
    refusals = uploads.map((u) => [u, rules.length ? refusal(rules, u, origin) : 'the bucket has no CORS rules'])
  }
  const refused = refusals.filter(([, why]) => why !== undefined)
  const from = origins.length ? origins.map((o) => (o === '*' ? 'any origin (*)' : o)).join(', ') : 'no origin'
  const describe = (u: BrowserUpload) => (u.headers.length ? `${u.method} (headers ${u.headers.join(', ')})` : u.method)
  if (!refused.length) {
    const how = rules === undefined ? 'a real preflight from' : 'the rules allow it from'
    yield ok(name, `browsers may upload directly: ${uploads.map(describe).join(' and ')}; ${how} ${from}`)
    return
  }
  const reasons = refused.map(([u, why]) => `${u.method}: ${why}`).join('; ')
  const works = uploads.find((u) => !refused.some(([r]) => r === u))
  const only = !stated && works ? ` If the app only uploads with ${works.method}, run doctor --upload-method ${works.method}.` : ''
  yield fail(name, `browsers' direct uploads would be refused (${reasons}). ${fix}${only}`)
}
