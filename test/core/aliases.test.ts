// Named storages and the environment (docs/configuration.md, "Named storages and the
// environment"): the environment's connection settings reach every S3 alias, but settings that
// widen access (a public ACL, unsigned URLs, a custom domain without CloudFront keys, a shared
// location) reach only the `default` alias. A second alias for private uploads must not inherit
// the public media's ACL and unsigned URLs.
import { generateKeyPairSync } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mockClient } from 'aws-sdk-client-mock'
import { PutObjectCommand, CopyObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { createStorage, createStorages, S3Storage } from '../../src/index.js'
import { accessWideningEntries } from '../../src/core/options.js'
import { S3_OPTIONS } from '../../src/backends/s3/option-table.js'
import { SDK_ONLY } from '../support/sdk-only.js'

const s3 = mockClient(S3Client)

/** The environment of the public media: keys, bucket, region, a public ACL and unsigned URLs. */
const PUBLIC_MEDIA_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  AWS_STORAGE_BUCKET_NAME: 'app-media',
  AWS_S3_REGION_NAME: 'eu-west-3',
  AWS_DEFAULT_ACL: 'public-read',
  AWS_QUERYSTRING_AUTH: 'false',
}

const putInputs = () => s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input as unknown as Record<string, unknown>)

beforeEach(() => {
  s3.reset()
  s3.on(PutObjectCommand).resolves({ ETag: '"e"' })
  s3.on(CopyObjectCommand).resolves({})
})
afterEach(() => s3.reset())

describe('createStorages() and the environment', () => {
  it('a private alias signs its URLs and sends no ACL, while default keeps the public settings', async () => {
    const storages = createStorages(
      {
        default: { backend: 's3', fileOverwrite: true, clientConfig: SDK_ONLY },
        private: { backend: 's3', location: 'private', fileOverwrite: true, clientConfig: SDK_ONLY },
      },
      PUBLIC_MEDIA_ENV,
    )
    const media = storages.get('default') as S3Storage
    const uploads = storages.get('private') as S3Storage

    // connection settings reach both
    expect([uploads.bucketName, uploads.regionName]).toEqual(['app-media', 'eu-west-3'])

    const privateUrl = new URL(await uploads.url('passport.txt'))
    expect(privateUrl.pathname).toBe('/private/passport.txt')
    expect(privateUrl.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
    expect(privateUrl.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\//)
    expect(await media.url('logo.png')).toBe('https://app-media.s3.eu-west-3.amazonaws.com/logo.png')

    await uploads.save('passport.txt', 'secret scan')
    await media.save('logo.png', 'png')
    const [privatePut, publicPut] = putInputs()
    expect(privatePut).toMatchObject({ Bucket: 'app-media', Key: 'private/passport.txt' })
    expect(privatePut).not.toHaveProperty('ACL')
    expect(publicPut).toMatchObject({ Key: 'logo.png', ACL: 'public-read' })

    await uploads.copy('passport.txt', 'passport-2.txt')
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).not.toHaveProperty('ACL')
  })

  it('an alias that asks for public settings in its own config gets them', async () => {
    const storages = createStorages(
      { default: { backend: 's3' }, thumbs: { backend: 's3', location: 'thumbs', querystringAuth: false, defaultAcl: 'public-read' } },
      PUBLIC_MEDIA_ENV,
    )
    const thumbs = storages.get('thumbs') as S3Storage
    expect(await thumbs.url('a.png')).toBe('https://app-media.s3.eu-west-3.amazonaws.com/thumbs/a.png')
    expect(thumbs.defaultAcl).toBe('public-read')
  })

  it('AWS_LOCATION is the default alias’s prefix only; another alias without a location uses the bucket root', () => {
    const storages = createStorages(
      { default: { backend: 's3' }, other: { backend: 's3' } },
      { ...PUBLIC_MEDIA_ENV, AWS_LOCATION: 'media' },
    )
    expect((storages.get('default') as S3Storage).location).toBe('media')
    expect((storages.get('other') as S3Storage).location).toBe('')
  })

  it('AWS_S3_CUSTOM_DOMAIN reaches another alias only when CloudFront keys sign its URLs', async () => {
    const env = { ...PUBLIC_MEDIA_ENV, AWS_QUERYSTRING_AUTH: 'true', AWS_S3_CUSTOM_DOMAIN: 'cdn.example.com' }
    const plain = createStorages({ default: { backend: 's3' }, other: { backend: 's3' } }, env)
    expect(await plain.get('default').url('a.txt')).toBe('https://cdn.example.com/a.txt')
    expect(new URL(await plain.get('other').url('a.txt')).host).toBe('app-media.s3.eu-west-3.amazonaws.com')

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
    const signed = createStorages(
      { default: { backend: 's3' }, other: { backend: 's3' } },
      { ...env, AWS_CLOUDFRONT_KEY_ID: 'K1', AWS_CLOUDFRONT_KEY: pem },
    )
    expect(await signed.get('other').url('a.txt')).toMatch(/^https:\/\/cdn\.example\.com\/a\.txt\?Expires=\d+&Signature=.+&Key-Pair-Id=K1$/)
  })

  it('an ACL inside AWS_S3_OBJECT_PARAMETERS stays with default; the other parameters reach every alias', () => {
    const env = { ...PUBLIC_MEDIA_ENV, AWS_S3_OBJECT_PARAMETERS: '{"ACL":"public-read","ServerSideEncryption":"AES256"}' }
    const storages = createStorages({ default: { backend: 's3' }, other: { backend: 's3' } }, env)
    expect((storages.get('other') as S3Storage).defaultAcl).toBeUndefined()
    expect((storages.get('default') as S3Storage).defaultAcl).toBe('public-read')
  })

  it('createStorage() and S3Storage.fromEnv() without an alias behave as the default alias', async () => {
    const single = createStorage({ backend: 's3' }, PUBLIC_MEDIA_ENV) as S3Storage
    expect(single.defaultAcl).toBe('public-read')
    expect(S3Storage.fromEnv(PUBLIC_MEDIA_ENV, {}, { alias: 'private' }).defaultAcl).toBeUndefined()
    expect(S3Storage.fromEnv(PUBLIC_MEDIA_ENV).querystringAuth).toBe(false)
  })

  it('the rule is data: the S3 option table marks the settings that widen access', () => {
    expect(accessWideningEntries(S3_OPTIONS).map((e) => e.option)).toEqual([
      'location',
      'objectParameters',
      'defaultAcl',
      'querystringAuth',
      'customDomain',
    ])
  })
})
