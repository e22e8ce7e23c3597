// CORS for direct browser uploads, as S3 answers the browser's preflight: no CORS rules, rules
// that leave out headers signedUploadUrl() signs (If-None-Match, Cache-Control, the SSE header),
// rules without POST. Each: the preflight a browser sends is refused, and doctor's cors line
// names what is missing and the rule to add.
import { describe, expect, it } from 'vitest'
import { appStorage, doctor, envFor, expectNoSecret, printedPolicy, standin } from './helpers.js'

const ORIGIN = 'https://app.example.com'

/** The preflight a browser at ORIGIN sends before uploading to `upload` (S3 answers it without credentials). */
async function preflight(upload: {
  url: string
  method: string
  headers: Record<string, string>
}): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { origin: ORIGIN, 'access-control-request-method': upload.method }
  const names = Object.keys(upload.headers).map((h) => h.toLowerCase())
  if (names.length) headers['access-control-request-headers'] = names.join(',')
  const res = await fetch(upload.url, { method: 'OPTIONS', headers })
  return { status: res.status, body: await res.text() }
}

const withReads = { appPolicy: printedPolicy({}, true) }

describe('CORS for direct uploads', () => {
  it('no CORS rules: the preflight gets 403; doctor skips by default and fails when told browsers upload, naming the rule to add', async () => {
    const s = await standin({}, withReads)
    const env = envFor(s)
    const upload = await appStorage(env).signedUploadUrl('uploads/photo.jpg', { contentType: 'image/jpeg' })
    expect(await preflight(upload)).toEqual({ status: 403, body: expect.stringContaining('CORS is not enabled for this bucket') })
    const byDefault = await doctor(env)
    expect(byDefault.lines.cors).toMatchObject({
      status: 'skip',
      detail: expect.stringMatching(/^no CORS configuration on the bucket: .*fine if no browser uploads directly.*AllowedMethods/),
    })
    const told = await doctor(env, '--upload-method', 'PUT', '--origin', ORIGIN)
    expect(told.code).toBe(1)
    expect(told.lines.cors).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(
        `no CORS configuration on the bucket: browsers' direct uploads are refused at the preflight (403 "CORS is not enabled for this bucket"). Add this rule to the bucket's CORS configuration (Permissions → CORS), with your real origins: [{"AllowedOrigins":["${ORIGIN}"],"AllowedMethods":["PUT"],"AllowedHeaders":["content-type","if-none-match"]`,
      ),
    })
    expectNoSecret([byDefault.text, told.text])
  })

  it('a rule without the headers the upload signs (If-None-Match, Cache-Control, SSE): the preflight gets 403; doctor names them', async () => {
    const s = await standin(
      { cors: [{ AllowedOrigins: [ORIGIN], AllowedMethods: ['PUT', 'POST'], AllowedHeaders: ['Content-Type'] }] },
      withReads,
    )
    const env = envFor(s, { AWS_S3_OBJECT_PARAMETERS: '{"CacheControl": "max-age=86400", "ServerSideEncryption": "AES256"}' })
    const upload = await appStorage(env).signedUploadUrl('uploads/photo.jpg', { contentType: 'image/jpeg' })
    expect(Object.keys(upload.headers).sort()).toEqual(['Cache-Control', 'Content-Type', 'If-None-Match', 'x-amz-server-side-encryption'])
    expect(await preflight(upload)).toEqual({ status: 403, body: expect.stringContaining('This CORS request is not allowed') })
    const run = await doctor(env)
    expect(run.code).toBe(1)
    expect(run.lines.cors).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^browsers' direct uploads would be refused \(PUT: the rule allowing PUT does not allow the headers cache-control, if-none-match, x-amz-server-side-encryption \(signedUploadUrl\(\) signs them.*"AllowedHeaders":\["cache-control","content-type","if-none-match","x-amz-server-side-encryption"\]/,
      ),
    })
    // With the headers allowed, the same preflight passes and doctor is satisfied.
    s.buckets.get('acme-media')!.cors![0]!.AllowedHeaders = ['*']
    expect((await preflight(upload)).status).toBe(200)
    expect((await doctor(env)).lines.cors!.status).toBe('ok')
    expectNoSecret([run.text])
  })

  it('a rule with PUT only: a POST upload is refused; doctor fails unless told the app only uploads with PUT', async () => {
    const s = await standin({ cors: [{ AllowedOrigins: [ORIGIN], AllowedMethods: ['PUT'], AllowedHeaders: ['*'] }] }, withReads)
    const env = envFor(s)
    const storage = appStorage(env)
    const post = await storage.signedUploadUrl('uploads/photo.jpg', { method: 'POST', contentType: 'image/jpeg' })
    expect(await preflight({ ...post, headers: {} })).toEqual({
      status: 403,
      body: expect.stringContaining('This CORS request is not allowed'),
    })
    const byDefault = await doctor(env)
    expect(byDefault.lines.cors).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /\(POST: no rule allows POST\)\. Add this rule .*"AllowedMethods":\["PUT","POST"\].* If the app only uploads with PUT, run doctor --upload-method PUT\./,
      ),
    })
    const told = await doctor(env, '--upload-method', 'POST')
    expect(told.lines.cors).toMatchObject({ status: 'fail', detail: expect.stringContaining('(POST: no rule allows POST)') })
    expect((await doctor(env, '--upload-method', 'PUT')).lines.cors).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(`PUT (headers content-type, if-none-match); the rules allow it from ${ORIGIN}`),
    })
    expectNoSecret([byDefault.text, told.text])
  })

  it("with the app's own key (no s3:GetBucketCORS) doctor cannot read the rules: not verified, or a real preflight with --origin", async () => {
    const s = await standin({ cors: [{ AllowedOrigins: [ORIGIN], AllowedMethods: ['PUT'], AllowedHeaders: ['content-type'] }] })
    const env = envFor(s)
    const blind = await doctor(env)
    expect(blind.lines.cors).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^not verified: the credentials may not read the CORS rules .*s3:GetBucketCORS.*--origin/),
    })
    const real = await doctor(env, '--origin', ORIGIN, '--upload-method', 'PUT')
    expect(real.lines.cors).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/PUT: S3 answered the preflight with HTTP 403 \(CORSResponse: This CORS request is not allowed/),
    })
    s.buckets.get('acme-media')!.cors![0]!.AllowedHeaders = ['*']
    expect((await doctor(env, '--origin', ORIGIN, '--upload-method', 'PUT')).lines.cors).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('a real preflight from https://app.example.com'),
    })
  })
})
