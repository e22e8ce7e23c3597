import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { ImproperlyConfigured, InMemoryStorage, S3Storage } from '../../src/index.js'
import { isPolicyProvider, type PolicyProvider, type SelfServing } from '../../src/core/capabilities.js'
import { policyFor } from '../../src/cli/policy.js'

const dir = mkdtempSync(join(tmpdir(), 'ns-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const env = { MEDIA_ROOT: join(dir, 'media'), MEDIA_URL: '/files/' }

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough()
  let text = ''
  out.on('data', (c) => (text += c))
  const code = await main(args, env, out)
  return { code, out: text }
}

describe('the node-storages command', () => {
  it('put stores a file and prints the name; a second put of the same name keeps both', async () => {
    writeFileSync(join(dir, 'local.txt'), 'local bytes')
    expect(await cli('put', join(dir, 'local.txt'), 'docs/remote.txt')).toEqual({ code: 0, out: 'docs/remote.txt\n' })
    const second = await cli('put', join(dir, 'local.txt'), 'docs/remote.txt')
    expect(second.out).toMatch(/^docs\/remote_[A-Za-z0-9]{7}\.txt\n$/)
  })

  it('ls lists what is stored, url prints the URL, get writes the bytes, rm deletes', async () => {
    expect((await cli('ls')).out).toContain('docs/remote.txt')
    expect(await cli('url', 'docs/remote.txt')).toEqual({ code: 0, out: '/files/docs/remote.txt\n' })
    await cli('get', 'docs/remote.txt', join(dir, 'back.txt'))
    expect(readFileSync(join(dir, 'back.txt'), 'utf8')).toBe('local bytes')
    await cli('rm', 'docs/remote.txt')
    expect(existsSync(join(dir, 'media/docs/remote.txt'))).toBe(false)
  })

  it('doctor runs a write/read/url/delete round trip and exits 0, leaving nothing behind', async () => {
    const { code, out } = await cli('doctor')
    expect(code).toBe(0)
    expect(out).toMatch(/OK {4}write/)
    expect(out).toMatch(/OK {4}delete/)
    expect(existsSync(join(dir, 'media/.node-storages-doctor'))).toBe(false)
  })

  it('doctor exits 1 with a line saying what failed when the location cannot be written', async () => {
    writeFileSync(join(dir, 'not-a-dir'), 'x')
    const out = new PassThrough()
    let text = ''
    out.on('data', (c) => (text += c))
    const code = await main(['doctor'], { MEDIA_ROOT: join(dir, 'not-a-dir') }, out)
    expect(code).toBe(1)
    expect(text).toMatch(/FAIL {2}write: .*check the location/)
  })

  it('a traversing name is refused, an unknown command is a usage error', async () => {
    await expect(cli('get', '../etc/passwd')).rejects.toThrow(/denied/)
    await expect(cli('frobnicate')).rejects.toThrow(/Unknown command/)
  })

  it('policy refuses a storage that states no IAM policy (not S3)', async () => {
    expect(() => policyFor(new InMemoryStorage())).toThrow(/policy` is for S3/)
    await expect(cli('policy')).rejects.toBeInstanceOf(ImproperlyConfigured)
  })
})

describe('policy for a real S3Storage', () => {
  const base = { bucketName: 'media-bucket', location: 'media', accessKey: 'k', secretKey: 's' }
  type Policy = { Statement: { Sid: string; Action: string[]; Resource: string; Condition?: unknown }[] }

  it('grants listing and object actions under the location only', () => {
    const policy = policyFor(new S3Storage(base)) as Policy
    expect(policy.Statement[0]).toMatchObject({ Action: ['s3:ListBucket'], Resource: 'arn:aws:s3:::media-bucket' })
    expect(policy.Statement[0]!.Condition).toEqual({ StringLike: { 's3:prefix': ['media/', 'media/*'] } })
    expect(policy.Statement[1]!.Resource).toBe('arn:aws:s3:::media-bucket/media/*')
    expect(policy.Statement[1]!.Action).toEqual(['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'])
    expect(policy.Statement).toHaveLength(2)
  })

  it('adds s3:PutObjectTagging when writes carry tags, and KMS actions on the key of SSE-KMS through S3 only', () => {
    const tagged = policyFor(new S3Storage({ ...base, objectParameters: { Tagging: 'team=web' } })) as Policy
    expect(tagged.Statement[1]!.Action).toContain('s3:PutObjectTagging')
    expect(tagged.Statement).toHaveLength(2)
    const kms = (objectParameters: Record<string, unknown>) =>
      (policyFor(new S3Storage({ ...base, regionName: 'eu-west-3', objectParameters })) as Policy).Statement[2]
    const viaS3 = { StringEquals: { 'kms:ViaService': 's3.eu-west-3.amazonaws.com' } }
    const arn = 'arn:aws:kms:eu-west-3:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
    expect(kms({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: arn })).toEqual({
      Sid: 'KmsKeyOfEncryptedObjects',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: arn,
      Condition: viaS3,
    })
    expect(kms({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: '1234abcd' })).toMatchObject({
      Resource: 'arn:aws:kms:eu-west-3:*:key/1234abcd',
      Condition: viaS3,
    })
    expect(kms({ ServerSideEncryption: 'aws:kms' })).toMatchObject({ Resource: 'arn:aws:kms:eu-west-3:*:key/*', Condition: viaS3 })
    expect(kms({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/media' })).toMatchObject({
      Resource: 'arn:aws:kms:eu-west-3:*:key/*',
      Condition: { ...viaS3, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/media'] } },
    })
    expect(kms({ ServerSideEncryption: 'AES256' })).toBeUndefined()
  })

  it('adds s3:PutObjectAcl only when the storage writes an ACL', () => {
    const actions = (s: S3Storage) => (policyFor(s) as Policy).Statement[1]!.Action
    expect(actions(new S3Storage(base))).not.toContain('s3:PutObjectAcl')
    expect(actions(new S3Storage({ ...base, defaultAcl: 'private' }))).toContain('s3:PutObjectAcl')
    expect(actions(new S3Storage({ ...base, objectParameters: { ACL: 'public-read' } }))).toContain('s3:PutObjectAcl')
  })

  it("is the storage's own iamPolicy(), found through the PolicyProvider capability", () => {
    const storage = new S3Storage(base)
    const provider: PolicyProvider = storage
    const selfServing: SelfServing = storage
    expect(isPolicyProvider(storage) && selfServing.servesItself).toBe(true)
    expect(policyFor(storage)).toEqual(provider.iamPolicy())
  })

  it('with doctor: true (policy --doctor) adds the bucket-setting reads doctor makes', async () => {
    const statements = (policyFor(new S3Storage(base), { doctor: true }) as Policy).Statement
    expect(statements[2]).toEqual({
      Sid: 'DoctorReadsBucketSettings',
      Effect: 'Allow',
      Action: [
        's3:GetBucketOwnershipControls',
        's3:GetBucketPublicAccessBlock',
        's3:GetBucketPolicyStatus',
        's3:GetBucketCORS',
        's3:GetLifecycleConfiguration',
        's3:GetEncryptionConfiguration',
        's3:GetBucketVersioning',
      ],
      Resource: 'arn:aws:s3:::media-bucket',
    })
    const out = new PassThrough()
    let text = ''
    out.on('data', (c) => (text += c))
    const s3env = { STORAGE_BACKEND: 's3', AWS_STORAGE_BUCKET_NAME: 'media-bucket', AWS_LOCATION: 'media' }
    expect(await main(['policy', '--doctor'], s3env, out)).toBe(0)
    expect(JSON.parse(text).Statement[2].Action).toContain('s3:GetBucketCORS')
    await expect(main(['policy', '--bogus'], s3env, out)).rejects.toThrow(/--doctor/)
  })
})
