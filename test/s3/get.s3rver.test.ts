// Downloads through the direct GET (src/backends/s3/get.ts) against s3rver, behind a SigV4-verifying
// proxy of this file's own that records every request: reads are query-signed GETs the proxy
// accepts, byte-exact whole and ranged, and whatever is not a 2xx goes to the SDK (header-signed),
// with the errors a storage without the direct GET gives.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { streamToBuffer } from '../../src/core/content.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'
import { type RecordedRequest, startVerifyingProxy, type VerifyingProxy } from '../support/sigv4-proxy.js'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js'

const s3 = inject('s3')
const Bucket = s3.buckets[0]!
const KEYS = { accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey }
const SIZE = 256 * 1024
const data = Buffer.alloc(SIZE)
for (let i = 0; i + 4 <= SIZE; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i)

let proxy: VerifyingProxy
const location = `get-${randomUUID()}`
const made: S3Storage[] = []

/** A storage under this file's location, through the recording proxy (or `endpoint`). */
function storage(options: S3StorageOptions = {}, endpoint = proxy.endpoint): S3Storage {
  const s = new S3Storage({ bucketName: Bucket, endpointUrl: endpoint, ...KEYS, location, fileOverwrite: true, ...options })
  made.push(s)
  return s
}

/** The same storage with the direct GET refused (a requestHandler member it does not honour): today's SDK path. */
function sdkOnly(options: S3StorageOptions = {}): S3Storage {
  return storage({ ...options, clientConfig: { requestHandler: { requestTimeout: 0 } } })
}

const gets = (): RecordedRequest[] => proxy.requests.filter((r) => r.method === 'GET' && r.path.includes(location))
const kinds = () => gets().map((r) => `${r.auth} ${r.status}`)

beforeAll(async () => {
  proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
  await storage({}, s3.endpoint).save('data.bin', data)
})
afterAll(async () => {
  await storage({}, s3.endpoint).delete('data.bin')
  for (const s of made) s.destroy()
  await proxy.stop()
})

describe('the direct GET', () => {
  it('serves a plain download: one query-signed GET the proxy verified, no SDK GetObject', async () => {
    proxy.clear()
    const s = storage()
    expect((await s.read('data.bin')).equals(data)).toBe(true)
    expect((await streamToBuffer(await s.open('data.bin'))).equals(data)).toBe(true)
    expect(kinds()).toEqual(['query 200', 'query 200'])
  })

  it('reads ranges byte-exact: inside, to the end, one byte (s3rver widens bytes=0-0), past the end (416: empty)', async () => {
    const s = storage()
    const range = async (start: number, end?: number) => streamToBuffer(await s.open('data.bin', { start, end }))
    proxy.clear()
    expect((await range(1000, 99_999)).equals(data.subarray(1000, 100_000))).toBe(true)
    expect((await range(SIZE - 10)).equals(data.subarray(SIZE - 10))).toBe(true)
    expect((await range(0, 0)).equals(data.subarray(0, 1))).toBe(true)
    expect((await range(SIZE - 1, SIZE + 100)).equals(data.subarray(SIZE - 1))).toBe(true)
    // s3rver answers bytes=0-0 with the whole object (206, Content-Range bytes 0-262143/262144): trimmed to one byte
    expect(kinds()).toEqual(['query 206', 'query 206', 'query 206', 'query 206'])
    expect(gets()[0]!.headers.range).toBe('bytes=1000-99999')
    proxy.clear()
    expect(await range(SIZE + 10)).toHaveLength(0)
    expect(kinds()).toEqual(['query 416', 'header 416']) // the SDK's 416 is read as empty, as before
  })

  it('signs the download parameters into the query', async () => {
    proxy.clear()
    const s = storage({ objectParameters: { ExpectedBucketOwner: '123456789012', RequestPayer: 'requester' } })
    expect((await s.read('data.bin')).equals(data)).toBe(true)
    expect(gets()[0]).toMatchObject({
      auth: 'query',
      query: { 'x-amz-expected-bucket-owner': '123456789012', 'x-amz-request-payer': 'requester' },
    })
  })

  it('reads gzip-encoded objects decompressed, ranges included', async () => {
    const s = storage({ gzip: true })
    const text = 'body { color: red }'.repeat(200)
    await s.save('site.css', text)
    proxy.clear()
    expect((await s.read('site.css')).toString()).toBe(text)
    expect((await streamToBuffer(await s.open('site.css', { start: 10, end: 20 }))).toString()).toBe(text.slice(10, 21))
    expect(kinds().every((k) => k.startsWith('query'))).toBe(true)
  })
})

describe('falling back to the SDK', () => {
  it('a missing file: the same FileNotFoundError as without the direct GET', async () => {
    const expected = await sdkOnly()
      .read('missing.bin')
      .catch((e: unknown) => e)
    proxy.clear()
    const error = await storage()
      .read('missing.bin')
      .catch((e: unknown) => e)
    expect(kinds()).toEqual(['query 404', 'header 404'])
    expect(error).toBeInstanceOf((expected as object).constructor)
    expect(error).toMatchObject({
      name: 'FileNotFoundError',
      code: (expected as { code: string }).code,
      message: (expected as Error).message,
    })
  })

  it('a 403 (a wrong secret): the same AccessDeniedError as without the direct GET', async () => {
    const expected = await sdkOnly({ secretKey: 'wrong' })
      .read('data.bin')
      .catch((e: unknown) => e)
    proxy.clear()
    const error = await storage({ secretKey: 'wrong' })
      .read('data.bin')
      .catch((e: unknown) => e)
    expect(kinds()).toEqual(['none 403', 'none 403']) // refused by the proxy: signature does not match
    expect((expected as Error).name).toBe('AccessDeniedError')
    expect(error).toBeInstanceOf((expected as object).constructor)
    expect(error).toMatchObject({ code: (expected as { code: string }).code, message: (expected as Error).message })
  })

  it('is what a storage the direct GET cannot serve does for every read', async () => {
    proxy.clear()
    expect((await sdkOnly().read('data.bin')).equals(data)).toBe(true)
    expect(kinds()).toEqual(['header 200'])
  })
})

describe('timeouts and aborts', () => {
  let faults: FaultProxy
  beforeAll(async () => {
    faults = await startFaultProxy({ target: proxy.endpoint })
  })
  afterAll(() => faults.stop())

  it('a body that stalls fails with E_TIMEOUT after readTimeout', async () => {
    const s = storage({ readTimeout: 300 }, faults.endpoint)
    faults.reset()
    faults.setRules([{ match: 'GetObject', fault: { kind: 'hang', afterBytes: 1000 } }])
    const started = Date.now()
    await expect(s.open('data.bin').then(streamToBuffer)).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(5_000) // one readTimeout, no SDK retries
    expect(faults.seen.map((r) => r.query.includes('X-Amz-Signature='))).toEqual([true]) // the direct GET, not retried
    faults.setRules([])
  })

  it("an abort mid-body fails the stream with the signal's reason and closes the connection", async () => {
    const s = storage({}, faults.endpoint)
    faults.reset()
    faults.setRules([{ match: 'GetObject', fault: { kind: 'hang', afterBytes: 1000 } }])
    const abandoned = faults.stats.abandoned
    const controller = new AbortController()
    const reason = new Error('stop reading')
    const stream = await s.open('data.bin', { signal: controller.signal })
    const read = streamToBuffer(stream)
    controller.abort(reason)
    await expect(read).rejects.toBe(reason)
    await expect.poll(() => faults.stats.abandoned, { timeout: 2_000 }).toBeGreaterThan(abandoned)
    faults.setRules([])
  })
})
