// IAM, as the stand-in evaluates real policy JSON: the policy `node-storages policy` prints is
// enough for everything the app does (and `policy --doctor` for everything doctor reads); each
// action taken out of it makes the app's error and a doctor line name that action; doctor run
// with the app's own key does not exit 0 in silence.
import { describe, expect, it } from 'vitest'
import { AccessDeniedError } from '../../src/core/errors.js'
import { withoutAction } from './standin/iam.js'
import { adminEnv, appStorage, doctor, envFor, expectNoSecret, expectPlainWords, failure, printedPolicy, standin } from './helpers.js'

const KMS_KEY = '1234abcd-12ab-34cd-56ef-1234567890ab'
const SSE_KMS = JSON.stringify({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY })

/** A bucket set up as the guides say: ACLs disabled, Block Public Access on, CORS for uploads, the advice followed. */
const WELL_SET_UP = {
  publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
  cors: [
    { AllowedOrigins: ['https://app.example.com'], AllowedMethods: ['PUT', 'POST', 'GET'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'] },
  ],
  lifecycle: [{ id: 'abort-incomplete-uploads', prefix: '', abortIncompleteDays: 7 }],
  encryption: { algorithm: 'AES256' as const },
}

describe('the printed policy under real IAM evaluation', () => {
  it("policy's output lets the app save, read, look up, sign URLs and uploads, and delete", async () => {
    const s = await standin(WELL_SET_UP)
    const storage = appStorage(envFor(s))
    const name = await storage.save('avatars/me.txt', 'me')
    expect((await storage.read(name)).toString()).toBe('me')
    expect(await storage.exists('avatars/nobody.txt')).toBe(false)
    expect(await (await fetch(await storage.url(name))).text()).toBe('me')
    const upload = await storage.signedUploadUrl('uploads/photo.jpg', { contentType: 'image/jpeg' })
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: 'jpeg' })).status).toBe(200)
    await storage.delete(name)
    expect(s.requests.filter((r) => (r.status ?? 0) >= 400 && r.code !== 'NoSuchKey')).toEqual([])
  })

  it('with policy --doctor’s reads, doctor exits 0 on a bucket set up as the guides say', async () => {
    const s = await standin(WELL_SET_UP, { appPolicy: printedPolicy({}, true) })
    const run = await doctor(envFor(s))
    expect(run.code, run.text).toBe(0)
    expect(run.text).not.toMatch(/^FAIL/m)
    expect(run.lines.cors!.detail).toContain('headers content-type, if-none-match')
    expectNoSecret([run.text])
  })

  it("with the app's own key, doctor fails the bucket settings this configuration depends on as not verified", async () => {
    const s = await standin({ ...WELL_SET_UP, ownership: 'ObjectWriter' }, { appPolicy: printedPolicy({ defaultAcl: 'private' }) })
    const run = await doctor(envFor(s, { AWS_DEFAULT_ACL: 'private' }))
    expect(run.code).toBe(1)
    const notVerified = (action: string) => ({
      status: 'fail',
      detail: expect.stringMatching(
        new RegExp(`^not verified: the credentials may not read .*\\(needs ${action}\\).*node-storages policy --doctor`),
      ),
    })
    expect(run.lines['object ownership']).toMatchObject(notVerified('s3:GetBucketOwnershipControls'))
    expect(run.lines.cors).toMatchObject(notVerified('s3:GetBucketCORS'))
    expect(run.lines['public access block']).toMatchObject({
      status: 'skip',
      detail: expect.stringContaining('does not matter for this configuration'),
    })
    expect(run.lines['acl write']).toMatchObject({ status: 'ok', detail: "a write carrying the ACL 'private' was accepted" })
    // Told that browsers do not upload and that no ACL is sent, the same key has nothing left unverified.
    const plain = await standin(WELL_SET_UP)
    expect((await doctor(envFor(plain), '--upload-method', 'none')).code).toBe(0)
  })
})

/** Each action of the printed policy, the settings that need it, and the app call that fails without it. */
const CASES = [
  { action: 's3:GetObject', env: {}, call: 'save' },
  { action: 's3:PutObject', env: {}, call: 'save' },
  { action: 's3:DeleteObject', env: {}, call: 'delete' },
  { action: 's3:PutObjectAcl', env: { AWS_DEFAULT_ACL: 'private' }, options: { defaultAcl: 'private' }, call: 'save' },
  {
    action: 's3:PutObjectTagging',
    env: { AWS_S3_OBJECT_PARAMETERS: '{"Tagging":"team=web"}' },
    options: { objectParameters: { Tagging: 'team=web' } },
    call: 'save',
  },
  {
    action: 'kms:GenerateDataKey',
    env: { AWS_S3_OBJECT_PARAMETERS: SSE_KMS },
    options: { objectParameters: JSON.parse(SSE_KMS) },
    call: 'save',
  },
  { action: 'kms:Decrypt', env: { AWS_S3_OBJECT_PARAMETERS: SSE_KMS }, options: { objectParameters: JSON.parse(SSE_KMS) }, call: 'read' },
] as const

describe('each action taken out of the printed policy', () => {
  it.each(CASES)('without $action: the app’s error and a doctor line name it', async ({ action, env: extra, call, ...rest }) => {
    const options = 'options' in rest ? rest.options : {}
    const s = await standin({ ownership: 'ObjectWriter' }, { appPolicy: withoutAction(printedPolicy(options), action) })
    const env = envFor(s, extra)
    // What the call needs to exist first is stored with the admin's key.
    if (call !== 'save') await appStorage(adminEnv(s, extra)).save('avatars/me.txt', 'me', { objectParameters: {} })
    const storage = appStorage(env)
    const error = await failure(() =>
      call === 'save'
        ? storage.save('avatars/me.txt', 'me')
        : call === 'read'
          ? storage.read('avatars/me.txt')
          : storage.delete('avatars/me.txt'),
    )
    expect(error).toBeInstanceOf(AccessDeniedError)
    expect(error.message).toMatch(new RegExp(`the credentials need ${action}\\b`))
    expectPlainWords(error.message)
    const run = await doctor(env, '--upload-method', 'none')
    expect(run.code).toBe(1)
    expect(run.text).toMatch(new RegExp(`^FAIL .*${action}\\b`, 'm'))
    expectNoSecret([error, run.text])
  })

  it('without s3:ListBucket: a free name reads 403, so save() and signedUploadUrl() name s3:ListBucket; doctor’s bucket line too', async () => {
    const s = await standin({}, { appPolicy: withoutAction(printedPolicy(), 's3:ListBucket') })
    const storage = appStorage(envFor(s))
    for (const call of [() => storage.save('avatars/me.txt', 'me'), () => storage.signedUploadUrl('uploads/photo.jpg')]) {
      const error = await failure(call)
      expect(error).toBeInstanceOf(AccessDeniedError)
      expect(error.message).toMatch(
        /when looking it up \(a HEAD request, as save\(\) and signedUploadUrl\(\) make before they write\): the credentials need s3:GetObject on arn:aws:s3:::acme-media\/media\/\S+ and s3:ListBucket on arn:aws:s3:::acme-media \(without s3:ListBucket, S3 answers 403 instead of 404 for a name that is free\)/,
      )
    }
    const run = await doctor(envFor(s))
    expect(run.lines.bucket).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/the credentials need s3:ListBucket on arn:aws:s3:::acme-media/),
    })
    expect(run.lines.write).toBeUndefined()
  })
})
