// Small saves through the direct PUT (src/backends/s3/put.ts) against s3rver, behind the
// SigV4-verifying proxy that records every request (and a fault proxy, which enforces
// If-None-Match as S3 does): a small save is one query-signed PUT the proxy verified; the object
// is stored as the SDK stores it; whatever is not a 2xx goes to the SDK's PutObject (header-signed)
// with the outcome and errors a storage without the direct PUT gives.
import { randomUUID } from 'node:crypto'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'
import { type RecordedRequest, startVerifyingProxy, type VerifyingProxy } from '../support/sigv4-proxy.js'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js'

const s3 = inject('s3')
const Bucket = s3.buckets[0]!
const KEYS = { accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey }
const data = Buffer.from('body { color: red }\n'.repeat(50))

let proxy: VerifyingProxy
let faults: FaultProxy
const location = `put-${randomUUID()}`
const made: S3Storage[] = []

/** A storage under this file's location, through the recording proxy (or `endpoint`). */
function storage(options: S3StorageOptions = {}, endpoint = proxy.endpoint): S3Storage {
  const s = new S3Storage({ bucketName: Bucket, endpointUrl: endpoint, ...KEYS, location, fileOverwrite: true, ...options })
  made.push(s)
  return s
}

/** The same storage with the direct requests refused (a requestHandler member they do not honour): today's SDK path. */
function sdkOnly(options: S3StorageOptions = {}, endpoint = proxy.endpoint): S3Storage {
  return storage({ ...options, clientConfig: { requestHandler: { requestTimeout: 0 } } }, endpoint)
}

const puts = (): RecordedRequest[] => proxy.requests.filter((r) => r.method === 'PUT' && r.path.includes(location))
const kinds = () => puts().map((r) => `${r.auth} ${r.status}`)
const signedBy = (query: string) => (query.includes('X-Amz-Signature=') ? 'query' : 'header')

beforeAll(async () => {
  proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
  faults = await startFaultProxy({ target: proxy.endpoint, origin: s3.endpoint })
})
afterAll(async () => {
  for (const s of made) s.destroy()
  await faults.stop()
  await proxy.stop()
})

describe('the direct PUT', () => {
  it('stores a small save with one query-signed PUT the proxy verified, no SDK PutObject', async () => {
    const s = storage()
    proxy.clear()
    expect(await s.save('plain.css', data)).toBe('plain.css')
    expect(kinds()).toEqual(['query 200'])
    expect((await s.read('plain.css')).equals(data)).toBe(true)
  })

  it('stores headers, metadata, ACL and content type exactly as the SDK path stores them', async () => {
    const options: S3StorageOptions = {
      defaultAcl: 'public-read',
      objectParameters: { ContentLanguage: 'fr', Expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)), StorageClass: 'STANDARD_IA' },
    }
    const call = { metadata: { author: 'ada', 'ns-tag': 'x y' }, cacheControl: 'max-age=60', contentDisposition: 'inline' }
    proxy.clear()
    await storage(options).save('twin-direct.css.gz', data, call)
    await sdkOnly(options).save('twin-sdk.css.gz', data, call)
    expect(kinds()).toEqual(['query 200', 'header 200'])
    const [direct, sdk] = puts()
    expect(direct!.headers['x-amz-acl']).toBe('public-read')
    for (const name of ['x-amz-acl', 'x-amz-storage-class', 'content-type', 'content-encoding', 'expires', 'x-amz-meta-author']) {
      expect(direct!.headers[name], name).toBe(sdk!.headers[name])
    }
    const client = await storage().getClient()
    const head = async (name: string) => {
      const out = await client.send(new HeadObjectCommand({ Bucket, Key: `${location}/${name}` }))
      const { $metadata, ETag, LastModified, ...rest } = out
      return rest
    }
    const [a, b] = [await head('twin-direct.css.gz'), await head('twin-sdk.css.gz')]
    expect(a).toEqual(b)
    expect(a).toMatchObject({ ContentType: 'text/css', ContentEncoding: 'gzip', CacheControl: 'max-age=60', Metadata: call.metadata })
  })

  it('with fileOverwrite off, a taken name gives the next name as today (412, then the SDK, then a new name)', async () => {
    const s = storage({ fileOverwrite: false, conditionalWrites: true }, faults.endpoint)
    await s.save('taken.txt', data)
    faults.reset()
    // The name looks free (one HEAD answered 404), so the PUT is what finds it taken: the race If-None-Match guards.
    faults.setRules([{ match: 'HeadObject', fault: { kind: 'status', status: 404, code: 'NotFound' }, times: 1 }])
    const name = await s.save('taken.txt', data)
    expect(name).toMatch(/^taken_\w{7}\.txt$/)
    const sent = faults.seen.filter((r) => r.op === 'PutObject').map((r) => signedBy(r.query))
    expect(sent).toEqual(['query', 'header', 'query']) // the 412 of the direct PUT, the SDK's own 412, the next name
    expect((await s.read(name)).equals(data)).toBe(true)
    faults.setRules([])
  })

  it('a lost answer to a conditional PUT: the SDK 412 that follows is recognised as this save’s own object', async () => {
    const s = storage({ fileOverwrite: false, conditionalWrites: true }, faults.endpoint)
    faults.reset()
    faults.setRules([{ match: 'PutObject', fault: { kind: 'drop-response' }, times: 1 }])
    expect(await s.save('lost.txt', data)).toBe('lost.txt')
    expect(faults.seen.filter((r) => r.op === 'PutObject').map((r) => signedBy(r.query))).toEqual(['query', 'header'])
    faults.setRules([])
  })
})

describe('falling back to the SDK', () => {
  it('a 403 (a wrong secret): the same error as without the direct PUT', async () => {
    const expected = await sdkOnly({ secretKey: 'wrong' })
      .save('denied.txt', data)
      .catch((e: unknown) => e)
    proxy.clear()
    const error = await storage({ secretKey: 'wrong' })
      .save('denied.txt', data)
      .catch((e: unknown) => e)
    expect(kinds()).toEqual(['none 403', 'none 403']) // the direct PUT, then the SDK's
    expect(error).toBeInstanceOf((expected as object).constructor)
    expect(error).toMatchObject({ code: (expected as { code: string }).code, message: (expected as Error).message })
  })

  it('a 500 every time: the same error as without the direct PUT, after the SDK’s retries', async () => {
    const options = { clientConfig: { maxAttempts: 2 } }
    faults.reset()
    faults.setRules([{ match: 'PutObject', fault: { kind: 'status', status: 500 } }])
    const expected = await storage({ clientConfig: { maxAttempts: 2, requestHandler: { requestTimeout: 0 } } }, faults.endpoint)
      .save('failing.txt', data)
      .catch((e: unknown) => e)
    faults.reset()
    faults.setRules([{ match: 'PutObject', fault: { kind: 'status', status: 500 } }])
    const error = await storage(options, faults.endpoint)
      .save('failing.txt', data)
      .catch((e: unknown) => e)
    expect(faults.seen.map((r) => signedBy(r.query))).toEqual(['query', 'header', 'header'])
    expect(error).toBeInstanceOf((expected as object).constructor)
    expect(error).toMatchObject({ code: (expected as { code: string }).code, message: (expected as Error).message })
    faults.setRules([])
  })
})

describe('timeouts and aborts', () => {
  it('a stalled answer times out (readTimeout), then the SDK’s PutObject times out as today: E_TIMEOUT', async () => {
    const s = storage({ readTimeout: 300, clientConfig: { maxAttempts: 1 } }, faults.endpoint)
    faults.reset()
    faults.setRules([{ match: 'PutObject', fault: { kind: 'hang' } }])
    const started = Date.now()
    await expect(s.save('stalled.txt', data)).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(faults.seen.map((r) => signedBy(r.query))).toEqual(['query', 'header'])
    faults.setRules([])
  })

  it("an abort while the PUT waits rejects with the signal's reason; the SDK is not asked", async () => {
    const s = storage({}, faults.endpoint)
    faults.reset()
    faults.setRules([{ match: 'PutObject', fault: { kind: 'hang' } }])
    const controller = new AbortController()
    const reason = new Error('stop saving')
    const pending = s.save('aborted.txt', data, { signal: controller.signal })
    await expect.poll(() => faults.seen.length, { timeout: 2_000 }).toBe(1)
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(faults.seen.map((r) => signedBy(r.query))).toEqual(['query'])
    faults.setRules([])
  })
})
