// Public files against the bucket's settings, as AWS answers: ACLs disabled (Object Ownership
// BucketOwnerEnforced) with a public-read ACL, Block Public Access refusing that ACL (doctor run
// with the app's key and with an admin's), and a public bucket policy that RestrictPublicBuckets
// keeps from applying to unsigned URLs. Also: signedUploadUrl() signs an ACL only when one is set.
import { describe, expect, it } from 'vitest'
import { AccessDeniedError, ImproperlyConfigured } from '../../src/core/errors.js'
import { adminEnv, appStorage, doctor, envFor, expectNoSecret, failure, printedPolicy, standin } from './helpers.js'

const ALL_BLOCKED = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true }
const PUBLIC_MEDIA = { AWS_DEFAULT_ACL: 'public-read', AWS_QUERYSTRING_AUTH: 'false' }

describe('ACLs disabled (Object Ownership: BucketOwnerEnforced) and a public-read ACL', () => {
  it('save() and every signed upload get 400 AccessControlListNotSupported; the app and doctor say to unset the ACL', async () => {
    const s = await standin({ ownership: 'BucketOwnerEnforced' }, { appPolicy: printedPolicy({ defaultAcl: 'public-read' }) })
    const env = envFor(s, PUBLIC_MEDIA)
    const storage = appStorage(env)
    const error = await failure(() => storage.save('avatars/me.txt', 'me'))
    expect(error).toBeInstanceOf(ImproperlyConfigured)
    expect(error.message).toMatch(/has ACLs disabled .*unset defaultAcl \/ AWS_DEFAULT_ACL/)
    // The mobile app's upload to a signed URL: the ACL is signed into it, and S3 refuses it.
    const upload = await storage.signedUploadUrl('uploads/photo.jpg', { contentType: 'image/jpeg' })
    expect(upload.url).toContain('x-amz-acl=public-read')
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: 'jpeg' })
    expect([put.status, await put.text()]).toEqual([400, expect.stringContaining('<Code>AccessControlListNotSupported</Code>')])

    const admin = await doctor(adminEnv(s, PUBLIC_MEDIA), '--upload-method', 'none')
    expect(admin.lines['object ownership']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /ACLs are disabled .*'public-read'.*every save\(\) fails, and so does every upload to a signedUploadUrl\(\).*AccessControlListNotSupported\. Unset defaultAcl/,
      ),
    })
    const app = await doctor(env, '--upload-method', 'none')
    expect(app.lines['object ownership']!.detail).toMatch(/^not verified: .*s3:GetBucketOwnershipControls/)
    expect(app.lines['acl write']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/400 AccessControlListNotSupported: the bucket has ACLs disabled.*Unset defaultAcl/),
    })
    expectNoSecret([error, admin.text, app.text])
  })

  it('without defaultAcl, signedUploadUrl() signs no ACL and the upload works on the same bucket', async () => {
    const s = await standin({ ownership: 'BucketOwnerEnforced' })
    const upload = await appStorage(envFor(s)).signedUploadUrl('uploads/photo.jpg', { contentType: 'image/jpeg' })
    expect(upload.url).not.toContain('x-amz-acl')
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: 'jpeg' })).status).toBe(200)
  })
})

describe('Block Public Access and a public-read ACL', () => {
  it('the app names BlockPublicAcls next to the permission; doctor with an admin key says it outright', async () => {
    const s = await standin(
      { ownership: 'ObjectWriter', publicAccessBlock: ALL_BLOCKED },
      { appPolicy: printedPolicy({ defaultAcl: 'public-read' }) },
    )
    const env = envFor(s, { AWS_DEFAULT_ACL: 'public-read' })
    const error = await failure(() => appStorage(env).save('avatars/me.txt', 'me'))
    expect(error).toBeInstanceOf(AccessDeniedError)
    expect(error.message).toMatch(
      /Block Public Access \(BlockPublicAcls\) refuses it with this same 403: unset defaultAcl \/ AWS_DEFAULT_ACL/,
    )
    const admin = await doctor(adminEnv(s, { AWS_DEFAULT_ACL: 'public-read' }), '--upload-method', 'none')
    expect(admin.lines['public access block']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^the bucket blocks public ACLs \(BlockPublicAcls on\): S3 refuses every write carrying the ACL 'public-read' with 403 AccessDenied.*Unset defaultAcl/,
      ),
    })
    expectNoSecret([error, admin.text])
  })

  it("doctor with the app's key cannot read the block, so it writes: public-read refused, private taken → BlockPublicAcls", async () => {
    const s = await standin(
      { ownership: 'ObjectWriter', publicAccessBlock: ALL_BLOCKED },
      { appPolicy: printedPolicy({ defaultAcl: 'public-read' }) },
    )
    const run = await doctor(envFor(s, { AWS_DEFAULT_ACL: 'public-read' }), '--upload-method', 'none')
    expect(run.code).toBe(1)
    expect(run.lines['public access block']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^not verified: .*s3:GetBucketPublicAccessBlock.*public ACL 'public-read'/),
    })
    expect(run.lines['acl write']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /refused a write carrying the public ACL 'public-read' \(403 AccessDenied\) but took the same write with the ACL 'private': the bucket's Block Public Access \(BlockPublicAcls\) refuses public ACLs\. Unset defaultAcl/,
      ),
    })
    expect([...s.buckets.get('acme-media')!.objects.keys()].filter((k) => k.includes('.node-storages-doctor'))).toEqual([])
    expectNoSecret([run.text])
  })
})

describe('a public bucket policy under Block Public Access', () => {
  const settings = { publicPolicy: true, publicAccessBlock: { BlockPublicPolicy: true, RestrictPublicBuckets: true } }

  it('unsigned URLs get 403; doctor names RestrictPublicBuckets, not "add a bucket policy"', async () => {
    const s = await standin(settings)
    const env = envFor(s, { AWS_QUERYSTRING_AUTH: 'false' })
    const storage = appStorage(env)
    const url = await storage.url(await storage.save('avatars/me.txt', 'me'))
    expect(url).not.toContain('X-Amz-Signature')
    const answer = await fetch(url)
    expect([answer.status, await answer.text()]).toEqual([403, expect.stringContaining('<Code>AccessDenied</Code>')])

    const admin = await doctor(adminEnv(s, { AWS_QUERYSTRING_AUTH: 'false' }), '--upload-method', 'none')
    expect(admin.lines['public access block']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /unsigned URLs .*RestrictPublicBuckets is on: S3 refuses anonymous requests to this bucket, although the bucket policy is public\. Turn RestrictPublicBuckets off .*querystringAuth: true/,
      ),
    })
    expect(admin.lines['public URL']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/RestrictPublicBuckets on, so S3 refuses anonymous reads although the bucket policy is public/),
    })
    expect(admin.lines['public URL']!.detail).not.toMatch(/add a bucket policy|add .*granting/)
    // With the app's key the block cannot be read: not verified, and the URL line names both blocks.
    const app = await doctor(env, '--upload-method', 'none')
    expect(app.lines['public access block']!.detail).toMatch(/^not verified: .*url\(\) gives unsigned URLs/)
    expect(app.lines['public URL']!.detail).toMatch(/RestrictPublicBuckets and BlockPublicPolicy must be off/)
    // Turned off, the same policy serves the files.
    s.buckets.get('acme-media')!.publicAccessBlock = { BlockPublicPolicy: true }
    expect((await fetch(url)).status).toBe(200)
    expect((await doctor(adminEnv(s, { AWS_QUERYSTRING_AUTH: 'false' }), '--upload-method', 'none')).lines['public URL']!.status).toBe('ok')
    expectNoSecret([admin.text, app.text])
  })

  it('no public policy and BlockPublicPolicy on: doctor says the policy cannot be added until it is off', async () => {
    const s = await standin({ publicPolicy: false, publicAccessBlock: { BlockPublicPolicy: true } })
    const run = await doctor(adminEnv(s, { AWS_QUERYSTRING_AUTH: 'false' }), '--upload-method', 'none')
    expect(run.lines['public access block']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/BlockPublicPolicy is on, so S3 refuses to add one\. Turn BlockPublicPolicy off and add the policy/),
    })
    expect(run.lines['public URL']!.detail).toMatch(/BlockPublicPolicy is on, which refuses adding one/)
  })
})
