// Proves the S3 test harness: s3rver started by the global setup, and the SigV4-verifying,
// request-recording proxy in front of it (which checks what s3rver does not, and answers
// ListMultipartUploads and AbortMultipartUpload, which s3rver does not implement).
import { randomUUID } from 'node:crypto'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { S3RVER_CREDENTIALS, s3ClientConfig } from '../support/s3rver.js'
import { startVerifyingProxy, verifySigV4, type VerifyingProxy } from '../support/sigv4-proxy.js'

const s3 = inject('s3')
const Bucket = s3.buckets[0]
const prefix = `harness-${randomUUID()}/` // other test files share the bucket
const direct = new S3Client(s3ClientConfig(s3.endpoint)) // s3rver itself, unchecked
const viaProxy = new S3Client(s3ClientConfig(s3.proxyEndpoint))
const wrongSecret = new S3Client(s3ClientConfig(s3.proxyEndpoint, { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' }))
const unknownKey = new S3Client(s3ClientConfig(s3.proxyEndpoint, { accessKeyId: 'NOBODY', secretAccessKey: 'S3RVER' }))

afterAll(() => {
  for (const c of [direct, viaProxy, wrongSecret, unknownKey]) c.destroy()
})

/** Status and S3 error code of a fetch() answer. */
async function outcome(res: Response) {
  const text = await res.text()
  return { status: res.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] }
}

/** Changes one hex digit of the X-Amz-Signature in a presigned URL. */
const tamper = (url: string) =>
  url.replace(/(X-Amz-Signature=[0-9a-f]{63})([0-9a-f])/, (_, head: string, last: string) => head + (last === '0' ? '1' : '0'))

describe('s3rver through the verifying proxy', () => {
  const key = `${prefix}hello world ü (1)!*'~+=&.txt`
  const otherKey = `${prefix}other.txt`

  beforeAll(async () => {
    await direct.send(new PutObjectCommand({ Bucket, Key: otherKey, Body: 'the other object' }))
  })

  it('puts, gets, lists and deletes with the right secret', async () => {
    await viaProxy.send(new PutObjectCommand({ Bucket, Key: key, Body: 'hello', ContentType: 'text/plain' }))
    const got = await viaProxy.send(new GetObjectCommand({ Bucket, Key: key }))
    expect(await got.Body!.transformToString()).toBe('hello')
    expect(got.ContentType).toBe('text/plain')
    const range = await viaProxy.send(new GetObjectCommand({ Bucket, Key: key, Range: 'bytes=1-3' }))
    expect(await range.Body!.transformToString()).toBe('ell')
    const listed = await viaProxy.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }))
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([key, otherKey].sort())
    await viaProxy.send(new DeleteObjectCommand({ Bucket, Key: key }))
    await expect(viaProxy.send(new HeadObjectCommand({ Bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' })
  })

  it('refuses a wrong secret with 403 SignatureDoesNotMatch, and forwards nothing', async () => {
    const put = wrongSecret.send(new PutObjectCommand({ Bucket, Key: `${prefix}nope`, Body: 'x' }))
    await expect(put).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } })
    await expect(direct.send(new HeadObjectCommand({ Bucket, Key: `${prefix}nope` }))).rejects.toMatchObject({ name: 'NotFound' })
    await expect(wrongSecret.send(new GetObjectCommand({ Bucket, Key: otherKey }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' })
  })

  it('refuses an unknown access key and an unsigned request', async () => {
    await expect(unknownKey.send(new GetObjectCommand({ Bucket, Key: otherKey }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
      $metadata: { httpStatusCode: 403 },
    })
    expect(await outcome(await fetch(`${s3.proxyEndpoint}/${Bucket}/${otherKey}`))).toEqual({ status: 403, code: 'AccessDenied' })
    // s3rver alone serves it: that is why the proxy exists
    expect((await fetch(`${s3.endpoint}/${Bucket}/${otherKey}`)).status).toBe(200)
  })

  it('answers CORS preflights (directly on s3rver) for browser uploads', async () => {
    const res = await fetch(`${s3.endpoint}/${Bucket}/${prefix}upload.bin`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://app.example',
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type,x-amz-acl',
      },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toMatch(/^(\*|http:\/\/app\.example)$/)
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-amz-acl')
    const get = await fetch(`${s3.endpoint}/${Bucket}/${otherKey}`, { headers: { Origin: 'http://app.example' } })
    expect(get.headers.get('access-control-expose-headers')).toContain('ETag')
  })

  it('lets CORS preflights of presigned URLs through the proxy unauthenticated, as S3 does', async () => {
    const signer = new S3Client(s3ClientConfig(s3.proxyEndpoint))
    const presigned = await getSignedUrl(signer, new PutObjectCommand({ Bucket, Key: `${prefix}upload.bin` }), { expiresIn: 300 })
    const tampered = presigned.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=' + '0'.repeat(64))
    expect((await fetch(tampered, { method: 'PUT', body: 'x' })).status).toBe(403)
    const res = await fetch(tampered, {
      method: 'OPTIONS',
      headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT')
  })
})

describe('presigned URLs through the verifying proxy', () => {
  const key = `${prefix}presigned/a file+name.txt`
  const otherKey = `${prefix}presigned/other.txt`
  beforeAll(async () => {
    await direct.send(new PutObjectCommand({ Bucket, Key: key, Body: 'presigned bytes' }))
    await direct.send(new PutObjectCommand({ Bucket, Key: otherKey, Body: 'not yours' }))
  })
  const presignGet = (Key: string, opts: { expiresIn?: number; signingDate?: Date } = {}) =>
    getSignedUrl(viaProxy, new GetObjectCommand({ Bucket, Key }), { expiresIn: 300, ...opts })

  it('serves a presigned GET fetched with fetch()', async () => {
    const res = await fetch(await presignGet(key))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('presigned bytes')
  })

  it('refuses a changed signature, a changed key and unsigned x-amz-* headers', async () => {
    const url = await presignGet(key)
    expect(tamper(url)).not.toBe(url)
    expect(await outcome(await fetch(tamper(url)))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' })
    const forOther = url.replace('/a%20file%2Bname.txt?', '/other.txt?')
    expect(forOther).not.toBe(url)
    expect(await outcome(await fetch(forOther))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' })
    const extra = await fetch(url, { headers: { 'x-amz-acl': 'public-read' } })
    expect(await outcome(extra)).toEqual({ status: 403, code: 'AccessDenied' })
    // s3rver alone would have served the tampered URL
    expect((await fetch(tamper(url).replace(s3.proxyEndpoint, s3.endpoint))).status).toBe(200)
  })

  it('refuses an expired URL and accepts an old one that has not expired', async () => {
    const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000)
    const expired = await presignGet(key, { signingDate: fiveMinutesAgo, expiresIn: 60 })
    expect(await outcome(await fetch(expired))).toEqual({ status: 403, code: 'AccessDenied' })
    const stillValid = await presignGet(key, { signingDate: fiveMinutesAgo, expiresIn: 3600 })
    expect((await fetch(stillValid)).status).toBe(200)
  })

  it('accepts a presigned PUT; refuses another Content-Type only when content-type was signed', async () => {
    const Key = `${prefix}presigned/upload.txt`
    const command = () => new PutObjectCommand({ Bucket, Key, ContentType: 'text/plain' })
    // By default the presigner signs only `host`: any Content-Type is then accepted, as by S3.
    const loose = await getSignedUrl(viaProxy, command(), { expiresIn: 300 })
    expect(new URL(loose).searchParams.get('X-Amz-SignedHeaders')).toBe('host')
    expect((await fetch(loose, { method: 'PUT', body: 'x', headers: { 'content-type': 'image/png' } })).status).toBe(200)

    const strict = await getSignedUrl(viaProxy, command(), { expiresIn: 300, signableHeaders: new Set(['content-type']) })
    const wrongType = await fetch(strict, { method: 'PUT', body: 'x', headers: { 'content-type': 'image/png' } })
    expect(await outcome(wrongType)).toEqual({ status: 403, code: 'SignatureDoesNotMatch' })
    const res = await fetch(strict, { method: 'PUT', body: 'uploaded via URL', headers: { 'content-type': 'text/plain' } })
    expect(res.status).toBe(200)
    const got = await direct.send(new GetObjectCommand({ Bucket, Key }))
    expect(await got.Body!.transformToString()).toBe('uploaded via URL')
    expect(got.ContentType).toBe('text/plain')
  })
})

/** A verifying proxy of the test's own (recording requests) and an S3 client through it. */
function ownProxy(): { readonly proxy: VerifyingProxy; readonly client: S3Client } {
  const own = {} as { proxy: VerifyingProxy; client: S3Client }
  beforeAll(async () => {
    own.proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
    own.client = new S3Client(s3ClientConfig(own.proxy.endpoint))
  })
  afterAll(async () => {
    own.client.destroy()
    await own.proxy.stop()
  })
  return own
}

describe('recording proxy', () => {
  const own = ownProxy()

  it('records the headers sent, such as x-amz-acl and if-none-match', async () => {
    own.proxy.clear()
    const Key = `${prefix}recorded.txt.gz`
    await own.client.send(
      new PutObjectCommand({
        Bucket,
        Key,
        Body: 'zz',
        ACL: 'private',
        ContentType: 'text/plain',
        ContentEncoding: 'gzip',
        IfNoneMatch: '*',
      }),
    )
    expect(own.proxy.requests).toHaveLength(1)
    const [put] = own.proxy.requests
    expect(put).toMatchObject({ method: 'PUT', auth: 'header', accessKeyId: 'S3RVER', status: 200 })
    expect(decodeURIComponent(put.path)).toBe(`/${Bucket}/${Key}`)
    expect(put.headers).toMatchObject({
      'x-amz-acl': 'private',
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
      'if-none-match': '*',
    })
    expect(put.rejected).toBeUndefined()
  })

  it('refuses a body that does not match its signed SHA-256, and can allow anonymous requests', async () => {
    const Key = `${prefix}tampered-body.txt`
    const tampering = new S3Client(s3ClientConfig(own.proxy.endpoint))
    type Args = { request: { body?: unknown } }
    const tamperBody = (next: (args: Args) => Promise<unknown>) => async (args: Args) => {
      args.request.body = 'evil' // same length as 'good', changed after signing
      return next(args)
    }
    tampering.middlewareStack.addRelativeTo(tamperBody as never, {
      relation: 'after',
      toMiddleware: 'httpSigningMiddleware',
      name: 'tamperBody',
    })
    const put = tampering.send(new PutObjectCommand({ Bucket, Key, Body: 'good' }))
    await expect(put).rejects.toMatchObject({ name: 'XAmzContentSHA256Mismatch', $metadata: { httpStatusCode: 400 } })
    await expect(direct.send(new HeadObjectCommand({ Bucket, Key }))).rejects.toMatchObject({ name: 'NotFound' })

    own.proxy.requireSignature = false
    try {
      expect((await fetch(`${own.proxy.endpoint}/${Bucket}/${prefix}recorded.txt.gz`)).status).toBe(200)
      expect(own.proxy.requests.at(-1)).toMatchObject({ auth: 'none', method: 'GET', status: 200 })
    } finally {
      own.proxy.requireSignature = true
    }
  })
})

describe('streaming and multipart uploads through the recording proxy', () => {
  it('checks the seed signature of aws-chunked bodies and passes lib-storage multipart', async () => {
    const proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
    try {
      // The SDK's default checksum settings send stream bodies aws-chunked (STREAMING-*).
      const { requestChecksumCalculation: _r, responseChecksumValidation: _v, ...defaults } = s3ClientConfig(proxy.endpoint)
      const chunkedPut = (secretAccessKey: string) =>
        new S3Client({ ...defaults, credentials: { accessKeyId: 'S3RVER', secretAccessKey } }).send(
          new PutObjectCommand({
            Bucket,
            Key: `${prefix}chunked`,
            Body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
            ContentLength: 6,
          }),
        )
      await chunkedPut(S3RVER_CREDENTIALS.secretAccessKey)
      expect(proxy.requests.at(-1)?.headers['x-amz-content-sha256']).toMatch(/^STREAMING-/)
      expect(proxy.requests.at(-1)?.status).toBe(200)
      await expect(chunkedPut('wrong')).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' })

      proxy.clear()
      const client = new S3Client(s3ClientConfig(proxy.endpoint))
      const Key = `${prefix}multipart.bin`
      const body = Buffer.alloc(6 * 1024 * 1024 + 3, 7)
      await new Upload({ client, params: { Bucket, Key, Body: Readable.from([body]) } }).done()
      expect(proxy.requests.map((r) => r.method)).toEqual(['POST', 'PUT', 'PUT', 'POST'])
      expect(proxy.requests.every((r) => r.status === 200 && !r.rejected)).toBe(true)
      const head = await direct.send(new HeadObjectCommand({ Bucket, Key }))
      expect(head.ContentLength).toBe(body.length)
      expect(proxy.multipartUploads()).toMatchObject([{ bucket: Bucket, key: Key, state: 'completed' }])
      expect(proxy.openUploads()).toEqual([])
    } finally {
      await proxy.stop()
    }
  })
})

describe('multipart uploads: the proxy keeps a ledger and answers ListMultipartUploads and AbortMultipartUpload', () => {
  const own = ownProxy()
  const mp = `${prefix}multipart/`
  const list = async (Prefix = mp) => (await own.client.send(new ListMultipartUploadsCommand({ Bucket, Prefix }))).Uploads ?? []
  const create = async (Key: string, StorageClass?: 'STANDARD_IA') =>
    (await own.client.send(new CreateMultipartUploadCommand({ Bucket, Key, StorageClass }))).UploadId!
  const part = (Key: string, UploadId: string, Body = 'part bytes') =>
    own.client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body }))

  it('s3rver itself answers neither call', async () => {
    const Key = `${mp}direct.bin`
    const { UploadId } = await direct.send(new CreateMultipartUploadCommand({ Bucket, Key }))
    await expect(direct.send(new ListMultipartUploadsCommand({ Bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 501 } })
    await expect(direct.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 405 },
    })
  })

  it('lists an upload created through it, aborts it (204, not forwarded), then lists none and refuses its parts', async () => {
    const Key = `${mp}dir/ü file (1).bin`
    const before = Date.now()
    const UploadId = await create(Key)
    expect(UploadId).toMatch(/\S/)
    expect(own.proxy.openUploads()).toMatchObject([{ bucket: Bucket, key: Key, uploadId: UploadId, state: 'open' }])

    const listed = await own.client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: mp }))
    expect(listed).toMatchObject({ Bucket, Prefix: mp, IsTruncated: false, MaxUploads: 1000 })
    expect(listed.Uploads).toHaveLength(1)
    expect(listed.Uploads![0]).toMatchObject({ Key, UploadId, StorageClass: 'STANDARD' })
    expect(listed.Uploads![0].Initiated).toBeInstanceOf(Date)
    expect(listed.Uploads![0].Initiated!.getTime()).toBeGreaterThanOrEqual(before - 1000)
    expect(await list(`${mp}other/`)).toEqual([]) // filtered by prefix
    expect((await part(Key, UploadId)).ETag).toBeTruthy() // parts of an open upload go on to s3rver

    own.proxy.clear()
    const aborted = await own.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
    expect(aborted.$metadata.httpStatusCode).toBe(204)
    expect(own.proxy.requests).toMatchObject([{ method: 'DELETE', status: 204, auth: 'header' }])
    expect(await list()).toEqual([])
    expect(own.proxy.openUploads()).toEqual([])
    expect(own.proxy.multipartUploads()).toMatchObject([{ uploadId: UploadId, state: 'aborted' }])

    await expect(part(Key, UploadId)).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } })
    await expect(own.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject({
      name: 'NoSuchUpload',
      $metadata: { httpStatusCode: 404 },
    })
    const complete = own.client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"x"' }] } }),
    )
    await expect(complete).rejects.toMatchObject({ name: 'NoSuchUpload' })
    await expect(direct.send(new HeadObjectCommand({ Bucket, Key }))).rejects.toMatchObject({ name: 'NotFound' })
  })

  it('a completed upload leaves the list; its id is then unknown', async () => {
    const Key = `${mp}completed.txt`
    const UploadId = await create(Key)
    expect((await list()).map((u) => u.UploadId)).toEqual([UploadId])
    const { ETag } = await part(Key, UploadId, 'the only part')
    await own.client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }),
    )
    expect(await list()).toEqual([])
    expect(own.proxy.multipartUploads().find((u) => u.uploadId === UploadId)?.state).toBe('completed')
    expect(await (await direct.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString()).toBe('the only part')
    await expect(own.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject({
      name: 'NoSuchUpload',
    })
  })

  it('lists several uploads by key, then oldest first; an abort must name the right key', async () => {
    const [b1, a, b2] = [await create(`${mp}b`), await create(`${mp}a`, 'STANDARD_IA'), await create(`${mp}b`)]
    expect((await list()).map((u) => [u.Key, u.UploadId, u.StorageClass])).toEqual([
      [`${mp}a`, a, 'STANDARD_IA'],
      [`${mp}b`, b1, 'STANDARD'],
      [`${mp}b`, b2, 'STANDARD'],
    ])
    await expect(own.client.send(new AbortMultipartUploadCommand({ Bucket, Key: `${mp}a`, UploadId: b1 }))).rejects.toMatchObject({
      name: 'NoSuchUpload',
    })
    for (const [Key, UploadId] of [
      [`${mp}a`, a],
      [`${mp}b`, b1],
      [`${mp}b`, b2],
    ])
      await own.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
    expect(await list()).toEqual([])
  })

  it('checks signatures and the bucket first, and refuses listing options it does not implement', async () => {
    const Key = `${mp}guarded.bin`
    const UploadId = await create(Key)
    const wrong = new S3Client(s3ClientConfig(own.proxy.endpoint, { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' }))
    try {
      await expect(wrong.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
      })
      await expect(wrong.send(new ListMultipartUploadsCommand({ Bucket }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' })
    } finally {
      wrong.destroy()
    }
    expect(await outcome(await fetch(`${own.proxy.endpoint}/${Bucket}?uploads`))).toEqual({ status: 403, code: 'AccessDenied' })
    expect((await list()).map((u) => u.UploadId)).toEqual([UploadId])

    await expect(own.client.send(new ListMultipartUploadsCommand({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    })
    await expect(own.client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: mp, Delimiter: '/' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 501 },
    })
    await own.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }))
  })

  it('can be turned off: everything is forwarded, and openUploads() throws', async () => {
    const plain = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }], multipartLedger: false })
    const c = new S3Client(s3ClientConfig(plain.endpoint))
    try {
      await expect(c.send(new ListMultipartUploadsCommand({ Bucket }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 501 } })
      expect(() => plain.openUploads()).toThrow(/no multipart ledger/)
    } finally {
      c.destroy()
      await plain.stop()
    }
  })
})

describe('listing more than 1,000 keys', () => {
  it('pages with continuation tokens (needs s3rver run with --openssl-legacy-provider)', async () => {
    const many = `${prefix}many/`
    const keys = Array.from({ length: 1005 }, (_, i) => `${many}${String(i).padStart(4, '0')}`)
    let next = 0
    const worker = async () => {
      // plain anonymous PUTs straight to s3rver: the fastest way to load it
      while (next < keys.length) {
        const res = await fetch(`${s3.endpoint}/${Bucket}/${keys[next++]}`, { method: 'PUT', body: 'x' })
        expect(res.status).toBe(200)
      }
    }
    await Promise.all(Array.from({ length: 50 }, worker))

    const seen: string[] = []
    let pages = 0
    let ContinuationToken: string | undefined
    do {
      const page = await viaProxy.send(new ListObjectsV2Command({ Bucket, Prefix: many, ContinuationToken }))
      pages++
      seen.push(...(page.Contents ?? []).map((o) => o.Key!))
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (ContinuationToken)
    expect(pages).toBe(2)
    expect(seen).toEqual(keys)

    for (let i = 0; i < keys.length; i += 1000) {
      const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }))
      const out = await viaProxy.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects, Quiet: true } }))
      expect(out.Errors ?? []).toEqual([])
    }
    const after = await viaProxy.send(new ListObjectsV2Command({ Bucket, Prefix: many }))
    expect(after.KeyCount).toBe(0)
  })
})

describe('verifySigV4 against the examples in the AWS S3 documentation', () => {
  // The documentation's example key id, not a credential; built in two parts so that scanners
  // looking for real access key ids in the tree are not set off by it.
  const EXAMPLE_KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLE'
  const credentials = [{ accessKeyId: EXAMPLE_KEY_ID, secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }]
  const opts = { credentials, clockSkewSeconds: 900, requireSignature: true }
  const at = Date.UTC(2013, 4, 24)
  const host = ['examplebucket.s3.amazonaws.com']

  it('accepts the documented Authorization-header GET, and not a changed one', () => {
    const headersDistinct = {
      host,
      range: ['bytes=0-9'],
      'x-amz-date': ['20130524T000000Z'],
      'x-amz-content-sha256': ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      authorization: [
        `AWS4-HMAC-SHA256 Credential=${EXAMPLE_KEY_ID}/20130524/us-east-1/s3/aws4_request,` +
          'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,' +
          'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      ],
    }
    expect(verifySigV4({ method: 'GET', url: '/test.txt', headersDistinct }, opts, at)).toMatchObject({ ok: true, auth: 'header' })
    const otherRange = { ...headersDistinct, range: ['bytes=0-10'] }
    expect(verifySigV4({ method: 'GET', url: '/test.txt', headersDistinct: otherRange }, opts, at)).toMatchObject({
      code: 'SignatureDoesNotMatch',
    })
    expect(verifySigV4({ method: 'GET', url: '/test.txt', headersDistinct }, opts, at + 16 * 60_000)).toMatchObject({
      code: 'RequestTimeTooSkewed',
    })
  })

  it('accepts the documented presigned URL until it expires', () => {
    const url =
      '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      `&X-Amz-Credential=${EXAMPLE_KEY_ID}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request` +
      '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
      '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404'
    const req = { method: 'GET', url, headersDistinct: { host } }
    expect(verifySigV4(req, opts, at + 3_600_000)).toMatchObject({ ok: true, auth: 'query' })
    expect(verifySigV4(req, opts, at + 86_401_000)).toMatchObject({ code: 'AccessDenied', message: 'Request has expired' })
    expect(verifySigV4({ ...req, url: tamper(url) }, opts, at)).toMatchObject({ code: 'SignatureDoesNotMatch' })
  })
})
