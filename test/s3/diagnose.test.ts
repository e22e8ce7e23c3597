// The S3 checks of `node-storages doctor` (src/backends/s3/diagnose/): each branch against a mocked
// client (aws-sdk-client-mock) or, where raw response headers matter (Date, x-amz-bucket-region), a real
// S3Client whose request handler answers in-process; then the real CLI against s3rver via the verifying proxy.
import { randomUUID } from 'node:crypto'
import { PassThrough, Readable } from 'node:stream'
import { afterAll, afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import { mockClient } from 'aws-sdk-client-mock'
import {
  DeleteObjectCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { diagnoseS3 } from '../../src/backends/s3/diagnose/index.js'
import type { Check } from '../../src/core/diagnostics.js'
import { main } from '../../src/cli/main.js'
import { S3RVER_CREDENTIALS, s3ClientConfig } from '../support/s3rver.js'
import { startVerifyingProxy } from '../support/sigv4-proxy.js'

// Made-up keys, built at run time so that key scanners are not set off by them.
const ACCESS_KEY = ['AKIA', 'DOCTORTEST00', 'WXYZ'].join('')
const SECRET_KEY = ['doctor', 'secret', randomUUID()].join('-')
const credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }
const LOCAL = 'http://127.0.0.1:9' // never contacted: requests are mocked or answered in-process

const client = new S3Client({ region: 'us-east-1', endpoint: LOCAL, forcePathStyle: true, credentials })
const s3 = mockClient(client)

/** A storage on `test-bucket` under `media`, using the mocked client. */
const make = (options: S3StorageOptions = {}) =>
  new S3Storage({
    bucketName: 'test-bucket',
    location: 'media',
    regionName: 'us-east-1',
    endpointUrl: LOCAL,
    fileOverwrite: true,
    client,
    ...options,
  })

/** An S3 service error as the SDK throws it, optionally with the raw response's headers. */
const s3Error = (name: string, status: number, headers?: Record<string, string>) =>
  Object.assign(
    new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} message` }),
    headers ? { $response: { statusCode: status, headers } } : {},
  )

/** The checks of `storage.diagnose()`, by name. */
async function run(storage: { diagnose(): AsyncIterable<Check> }): Promise<Record<string, Check>> {
  const lines: Record<string, Check> = {}
  for await (const check of storage.diagnose()) lines[check.name] = check
  return lines
}
const statuses = (lines: Record<string, Check>) => Object.fromEntries(Object.entries(lines).map(([k, v]) => [k, v.status]))

let fetchSpy: ReturnType<typeof vi.spyOn>
/** The body of the last PutObject: what the probe object holds. */
const probeBody = () => String(s3.commandCalls(PutObjectCommand).at(-1)!.args[0].input.Body)

beforeEach(() => {
  s3.reset()
  s3.on(HeadBucketCommand).resolves({ BucketRegion: 'us-east-1' })
  s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } })
  s3.on(GetPublicAccessBlockCommand).resolves({
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
  })
  s3.on(GetBucketCorsCommand).resolves({
    CORSRules: [{ AllowedMethods: ['PUT', 'POST', 'GET'], AllowedOrigins: ['https://app.example.com'], AllowedHeaders: ['*'] }],
  })
  s3.on(GetBucketLifecycleConfigurationCommand).resolves({
    Rules: [{ ID: 'abort', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }],
  })
  s3.on(GetBucketEncryptionCommand).resolves({
    ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
  })
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Suspended' })
  s3.on(PutObjectCommand).resolves({ ETag: '"e"' })
  s3.on(DeleteObjectCommand).resolves({})
  fetchSpy = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(probeBody()))
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
})

describe('credentials', () => {
  it('ok shows the access key id masked, never the secret', async () => {
    const lines = await run(make())
    expect(lines.credentials).toMatchObject({ status: 'ok', detail: 'access key AKIA…WXYZ from the S3Client given as `client`' })
    expect(JSON.stringify(lines)).not.toContain(SECRET_KEY)
  })

  it('none: fails with the ways to provide them and skips the rest', async () => {
    const missing = new S3Client({
      region: 'us-east-1',
      endpoint: LOCAL,
      credentials: async () => {
        throw new Error('Could not load credentials from any providers')
      },
    })
    const lines = await run(make({ client: missing }))
    expect(lines.credentials!.detail).toMatch(/AWS_ACCESS_KEY_ID.*AWS_PROFILE.*IAM role/)
    expect(statuses(lines)).toEqual({ credentials: 'fail', s3: 'skip' })
  })
})

describe('bucket and region', () => {
  it('everything right: one ok line per check, the probe object deleted', async () => {
    const lines = await run(make())
    expect(statuses(lines)).toEqual({
      credentials: 'ok',
      bucket: 'ok',
      clock: 'skip',
      'object ownership': 'ok',
      'public access block': 'ok',
      cors: 'ok',
      'presigned GET': 'ok',
      lifecycle: 'ok',
      encryption: 'ok',
      versioning: 'note',
    })
    expect(lines.bucket!.detail).toContain("region 'us-east-1'")
    expect(lines['object ownership']!.detail).toContain('no ACL header is sent; the bucket decides')
    const key = s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Key!
    expect(key).toMatch(/^media\/\.node-storages-doctor\/[0-9a-f]{12}-url\.txt$/)
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([key])
    expect(String(fetchSpy.mock.calls[0]![0])).toMatch(/X-Amz-Signature=/)
  })

  it('404: fails naming the bucket and the setting', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('NotFound', 404))
    const lines = await run(make())
    expect(lines.bucket).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/bucket 'test-bucket' does not exist .*AWS_STORAGE_BUCKET_NAME/),
    })
    expect(lines.s3!.status).toBe('skip')
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0)
  })

  it('301: fails naming the bucket’s real region and AWS_S3_REGION_NAME', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('UnknownError', 301, { 'x-amz-bucket-region': 'eu-west-3' }))
    const detail =
      "bucket 'test-bucket' is in region 'eu-west-3', not 'us-east-1' (HTTP 301): set regionName: 'eu-west-3' (AWS_S3_REGION_NAME=eu-west-3)."
    expect((await run(make())).bucket).toEqual({ status: 'fail', name: 'bucket', detail })
  })

  it('403 on HeadBucket and on listing: fails naming s3:ListBucket', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('Forbidden', 403))
    s3.on(ListObjectsV2Command).rejects(s3Error('AccessDenied', 403))
    expect((await run(make())).bucket).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('s3:ListBucket on arn:aws:s3:::test-bucket'),
    })
  })

  it('403 on HeadBucket only (s3:ListBucket limited to the location): ok through a listing under it', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('Forbidden', 403))
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 })
    expect((await run(make())).bucket!.status).toBe('ok')
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({ Prefix: 'media/', MaxKeys: 1 })
  })

  it('with explicit keys: names where they come from, and redacts the secret from every line', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('Forbidden', 403))
    s3.on(ListObjectsV2Command).rejects(Object.assign(s3Error('AccessDenied', 403), { message: `denied for ${SECRET_KEY}` }))
    const lines = await run({ diagnose: () => diagnoseS3({ storage: make(), options: { objectParameters: {}, credentials } }) })
    expect(lines.credentials!.detail).toMatch(/AKIA…WXYZ from accessKey\/secretKey .*AWS_ACCESS_KEY_ID/)
    expect(lines.bucket!.detail).toContain('denied for ***')
    expect(JSON.stringify(lines)).not.toContain(SECRET_KEY)
  })
})

describe('ACL settings against the bucket', () => {
  it('defaultAcl on a bucket with ACLs disabled (BucketOwnerEnforced) fails', async () => {
    const detail = expect.stringMatching(
      /ACLs are disabled on this bucket.*AccessControlListNotSupported.*unset defaultAcl \/ AWS_DEFAULT_ACL/i,
    )
    expect((await run(make({ defaultAcl: 'private' })))['object ownership']).toMatchObject({ status: 'fail', detail })
  })

  it('an ACL in objectParameters counts too; bucket-owner-full-control is accepted with ACLs disabled', async () => {
    expect((await run(make({ objectParameters: { ACL: 'public-read' } })))['object ownership']!.status).toBe('fail')
    expect((await run(make({ objectParameters: { ACL: 'bucket-owner-full-control' } })))['object ownership']!.status).toBe('ok')
  })

  it('a public ACL while the public access block blocks public ACLs fails; ignored public ACLs fail too', async () => {
    s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } })
    const blocked = { status: 'fail', detail: expect.stringMatching(/BlockPublicAcls on.*AWS_DEFAULT_ACL/) }
    expect((await run(make({ defaultAcl: 'public-read' })))['public access block']).toMatchObject(blocked)
    s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: { IgnorePublicAcls: true } })
    expect((await run(make({ defaultAcl: 'public-read' })))['public access block']!.detail).toMatch(/IgnorePublicAcls on/)
    s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: {} })
    expect(statuses(await run(make({ defaultAcl: 'public-read' })))).toMatchObject({
      'object ownership': 'ok',
      'public access block': 'ok',
    })
  })

  it.each([501, 405])('a server answering %i for ownership controls and the public access block: skip, not fail', async (status) => {
    s3.on(GetBucketOwnershipControlsCommand).rejects(s3Error(status === 501 ? 'NotImplemented' : 'MethodNotAllowed', status))
    s3.on(GetPublicAccessBlockCommand).rejects(s3Error(status === 501 ? 'NotImplemented' : 'MethodNotAllowed', status))
    const lines = await run(make({ defaultAcl: 'public-read' }))
    expect(statuses(lines)).toMatchObject({ 'object ownership': 'skip', 'public access block': 'skip' })
    expect(lines['object ownership']!.detail).toContain('does not implement')
  })

  it('no configuration: explained, not failed; an answer without rules (s3rver) is skipped', async () => {
    s3.on(GetBucketOwnershipControlsCommand).rejects(s3Error('OwnershipControlsNotFoundError', 404))
    s3.on(GetPublicAccessBlockCommand).rejects(s3Error('NoSuchPublicAccessBlockConfiguration', 404))
    const lines = await run(make())
    expect(statuses(lines)).toMatchObject({ 'object ownership': 'ok', 'public access block': 'ok' })
    expect(lines['object ownership']!.detail).toMatch(/ACLs are enabled/)
    expect(lines['public access block']!.detail).toMatch(/account-level block/)
    s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [] } })
    expect((await run(make()))['object ownership']!.status).toBe('skip')
  })

  it('403 on reading the settings: skipped, naming the action', async () => {
    s3.on(GetPublicAccessBlockCommand).rejects(s3Error('AccessDenied', 403))
    expect((await run(make()))['public access block']).toMatchObject({
      status: 'skip',
      detail: expect.stringContaining('s3:GetBucketPublicAccessBlock'),
    })
  })
})

describe('CORS for direct uploads (the stand-in tests in test/doctor/cors.test.ts cover the preflight)', () => {
  it('PUT and POST allowed with the signed headers: ok; a rule without POST fails unless only PUT is used', async () => {
    s3.on(GetBucketCorsCommand).resolves({ CORSRules: [{ AllowedMethods: ['PUT'], AllowedOrigins: ['*'], AllowedHeaders: ['Content-*'] }] })
    expect((await run(make())).cors).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/POST: no rule allows POST.*--upload-method PUT/),
    })
    const onlyPut = await run({ diagnose: () => make().diagnose({ uploadMethods: ['PUT'] }) })
    expect(onlyPut.cors).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/PUT \(headers content-type\); the rules allow it from any origin/),
    })
    s3.on(GetBucketCorsCommand).resolves({ CORSRules: [{ AllowedMethods: ['PUT'], AllowedOrigins: ['*'], AllowedHeaders: ['x-amz-*'] }] })
    const headerless = await run({ diagnose: () => make().diagnose({ uploadMethods: ['PUT'] }) })
    expect(headerless.cors).toMatchObject({ status: 'fail', detail: expect.stringContaining('does not allow the header content-type') })
  })

  it('no CORS configuration: skipped with the rule to add unless browsers upload; none, or 501: skipped', async () => {
    s3.on(GetBucketCorsCommand).rejects(s3Error('NoSuchCORSConfiguration', 404))
    expect((await run(make())).cors).toMatchObject({ status: 'skip', detail: expect.stringContaining('docs/direct-uploads.md') })
    expect((await run({ diagnose: () => make().diagnose({ uploadMethods: ['PUT'] }) })).cors!.status).toBe('fail')
    expect((await run({ diagnose: () => make().diagnose({ uploadMethods: [] }) })).cors!.status).toBe('skip')
    s3.on(GetBucketCorsCommand).rejects(s3Error('NotImplemented', 501))
    expect((await run(make())).cors!.status).toBe('skip')
  })
})

describe('GET of url() of a probe object', () => {
  it('a 403 on the signed URL fails naming the likely causes, and the probe is still deleted', async () => {
    fetchSpy.mockImplementation(async () => new Response('<Error><Code>SignatureDoesNotMatch</Code></Error>', { status: 403 }))
    const detail = expect.stringMatching(/SignatureDoesNotMatch.*AWS_S3_REGION_NAME.*clock.*s3:GetObject/)
    expect((await run(make()))['presigned GET']).toMatchObject({ status: 'fail', detail })
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1)
  })

  it('unsigned URLs of objects that are not public fail pointing at querystringAuth', async () => {
    fetchSpy.mockImplementation(async () => new Response('<Error><Code>AccessDenied</Code></Error>', { status: 403 }))
    expect((await run(make({ querystringAuth: false })))['public URL']).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('AWS_QUERYSTRING_AUTH=true'),
    })
  })

  it('different bytes fail; a probe that cannot be deleted is reported; a fetch error never skips the delete', async () => {
    fetchSpy.mockImplementation(async () => new Response('something else'))
    s3.on(DeleteObjectCommand).rejects(s3Error('AccessDenied', 403))
    let lines = await run(make())
    expect(statuses(lines)).toMatchObject({ 'presigned GET': 'fail', 'probe cleanup': 'fail' })
    expect(lines['probe cleanup']!.detail).toMatch(/'media\/\.node-storages-doctor\/.*s3:DeleteObject/)
    s3.on(DeleteObjectCommand).resolves({})
    fetchSpy.mockImplementation(async () => {
      throw new TypeError('fetch failed')
    })
    lines = await run(make())
    expect(lines['presigned GET']).toMatchObject({ status: 'fail', detail: expect.stringContaining('fetch failed') })
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(2)
  })
})

/** A real S3Client whose request handler answers in-process: Date `skewMs` off, HEAD of the bucket as `head`. */
function answering(skewMs: number, head: { status: number; headers?: Record<string, string> } = { status: 200 }) {
  const handle = async (request: { method: string }) => {
    const date = new Date(Date.now() + skewMs).toUTCString()
    const status = request.method === 'HEAD' ? head.status : request.method === 'DELETE' ? 204 : 200
    const headers = { date, 'content-length': '0', ...(request.method === 'HEAD' ? head.headers : {}) }
    return { response: { statusCode: status, reason: '', headers, body: Readable.from([]) } }
  }
  return new S3Client({
    region: 'us-east-1',
    endpoint: LOCAL,
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
    requestHandler: { handle } as never,
  })
}

describe('clock skew and the region header, from the raw response', () => {
  it('a server clock 10 minutes off fails with the NTP fix; a few seconds is ok', async () => {
    const skewed = await run(make({ client: answering(10 * 60_000) }))
    expect(skewed.clock).toMatchObject({ status: 'fail', detail: expect.stringMatching(/clock is (599|60\d) s behind the server's .*NTP/) })
    const fine = await run(make({ client: answering(-3_000) }))
    expect(fine.clock).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^[2-4] s ahead of the server's/) })
  })

  it('a 301 to HeadBucket names the region of its x-amz-bucket-region header', async () => {
    const lines = await run(make({ client: answering(0, { status: 301, headers: { 'x-amz-bucket-region': 'ap-southeast-2' } }) }))
    expect(lines.bucket).toMatchObject({ status: 'fail', detail: expect.stringContaining('AWS_S3_REGION_NAME=ap-southeast-2') })
    expect(lines.clock!.status).toBe('ok')
  })
})

describe('node-storages doctor against s3rver (through the SigV4-verifying proxy)', () => {
  const provided = inject('s3')
  const Bucket = provided.buckets[0]!
  const direct = new S3Client(s3ClientConfig(provided.endpoint))
  afterAll(() => direct.destroy())

  const envFor = (endpoint: string, secret: string = S3RVER_CREDENTIALS.secretAccessKey) => ({
    USE_S3_STORAGE: 'true',
    AWS_STORAGE_BUCKET_NAME: Bucket,
    AWS_S3_ENDPOINT_URL: endpoint,
    AWS_S3_REGION_NAME: 'us-east-1',
    AWS_S3_CONDITIONAL_WRITES: 'false',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_LOCATION: `doctor-${randomUUID()}`,
  })
  async function doctor(env: Record<string, string>): Promise<{ code: number; text: string }> {
    vi.restoreAllMocks() // the real fetch
    const [out, chunks] = [new PassThrough(), [] as Buffer[]]
    out.on('data', (c: Buffer) => chunks.push(c))
    const code = await main(['doctor'], env, out)
    return { code, text: Buffer.concat(chunks).toString() }
  }
  const leftUnder = async (location: string) => (await direct.send(new ListObjectsV2Command({ Bucket, Prefix: `${location}/` }))).KeyCount

  it('exits 0 with a line per check; what s3rver lacks is skipped; nothing is left under the location', async () => {
    const env = envFor(provided.proxyEndpoint)
    const { code, text } = await doctor(env)
    expect(code, text).toBe(0)
    expect(text).toMatch(/^OK {4}credentials: access key S…R from the environment \(AWS_ACCESS_KEY_ID\)/m)
    expect(text).toMatch(/^OK {4}bucket: bucket 'node-storages-test' exists/m)
    expect(text).toMatch(/^OK {4}clock: /m)
    expect(text).toMatch(/^SKIP {2}object ownership: the server answered without an Object Ownership rule/m) // s3rver: 200, a bucket listing
    expect(text).toMatch(/^SKIP {2}public access block: the server does not implement .*NotImplemented, HTTP 501/m)
    expect(text).toMatch(
      /^OK {4}cors: browsers may upload directly: PUT \(headers content-type\) and POST; the rules allow it from any origin/m,
    )
    expect(text).toMatch(/^SKIP {2}lifecycle: the server does not implement/m)
    expect(text).toMatch(/^OK {4}presigned GET: .*the signature was accepted/m)
    for (const base of ['write', 'read', 'url', 'delete']) expect(text).toMatch(new RegExp(`^OK {4}${base}: `, 'm'))
    expect(text).not.toMatch(/^FAIL/m)
    expect(await leftUnder(env.AWS_LOCATION)).toBe(0)
  })

  it('a local clock 10 minutes off fails the clock line (and nothing else breaks)', async () => {
    const env = envFor(provided.proxyEndpoint)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() - 10 * 60_000) // within the proxy's 15 minutes: requests still pass
    const { code, text } = await doctor(env)
    vi.useRealTimers()
    expect(code).toBe(1)
    expect(text).toMatch(/^FAIL {2}clock: this machine's clock is (599|60\d) s behind/m)
    expect(text.match(/^FAIL/gm)).toHaveLength(1)
    expect(await leftUnder(env.AWS_LOCATION)).toBe(0)
  })

  it('never prints the secret key', async () => {
    const secret = ['verifying', 'proxy', randomUUID()].join('-')
    const proxy = await startVerifyingProxy({
      target: provided.endpoint,
      credentials: [{ accessKeyId: S3RVER_CREDENTIALS.accessKeyId, secretAccessKey: secret }],
      record: false,
    })
    const { code, text } = await doctor(envFor(proxy.endpoint, secret)).finally(() => proxy.stop())
    expect(code, text).toBe(0)
    expect(text).not.toContain(secret)
  })
})
