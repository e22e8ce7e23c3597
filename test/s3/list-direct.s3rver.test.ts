// Listings through the direct ListObjectsV2 (src/backends/s3/list-direct.ts) against s3rver,
// behind a SigV4-verifying proxy of this file's own that records every request: pages are
// query-signed GETs the proxy accepts, and list()/listdir() give exactly what the SDK path gives.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'
import { startVerifyingProxy, type VerifyingProxy } from '../support/sigv4-proxy.js'

const s3 = inject('s3')
const Bucket = s3.buckets[0]!
const KEYS = { accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey }
const NAMES = [
  'plain.txt',
  'a&b <c> "d" \'e\'.txt',
  'ü/日本 語.txt',
  'ü/emoji 😀.txt',
  'dir/sub/deep.css',
  'dir/top.js',
  ...Array.from({ length: 1040 }, (_, i) => `many/f${String(i).padStart(4, '0')}.txt`),
]

let proxy: VerifyingProxy
const location = `list-${randomUUID()}`
const made: S3Storage[] = []

function storage(options: S3StorageOptions = {}, endpoint = proxy.endpoint): S3Storage {
  const s = new S3Storage({ bucketName: Bucket, endpointUrl: endpoint, ...KEYS, location, fileOverwrite: true, ...options })
  made.push(s)
  return s
}

/** The same storage with the direct requests refused (a requestHandler member they do not honour): the SDK path. */
const sdkOnly = () => storage({ clientConfig: { requestHandler: { requestTimeout: 0 } } })

const listings = () => proxy.requests.filter((r) => r.method === 'GET' && r.query['list-type'] === '2').map((r) => `${r.auth} ${r.status}`)

async function all(s: S3Storage, name = '') {
  const out = []
  for await (const entry of s.list(name, { recursive: true })) out.push(entry)
  return out.sort((a, b) => (a.name < b.name ? -1 : 1))
}

beforeAll(async () => {
  proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
  const direct = storage({}, s3.endpoint)
  for (let i = 0; i < NAMES.length; i += 50) await Promise.all(NAMES.slice(i, i + 50).map((n, j) => direct.save(n, `body ${i + j}`)))
}, 120_000)
afterAll(async () => {
  await storage({}, s3.endpoint).deleteMany(NAMES)
  for (const s of made) s.destroy()
  await proxy.stop()
})

describe('the direct ListObjectsV2', () => {
  it('lists every file (two pages) with the names, sizes and ETags the SDK path gives, in query-signed GETs', async () => {
    proxy.clear()
    const ours = await all(storage())
    expect(listings()).toEqual(['query 200', 'query 200'])
    proxy.clear()
    const sdk = await all(sdkOnly())
    expect(listings()).toEqual(['header 200', 'header 200'])
    expect(ours.map((e) => e.name)).toEqual([...NAMES].sort())
    expect(ours).toEqual(sdk)
  })

  it('gives listdir() and a sub-directory list() as the SDK path does', async () => {
    proxy.clear()
    const ours = [await storage().listdir(''), await storage().listdir('ü'), await all(storage(), 'dir')]
    expect(listings().every((k) => k === 'query 200')).toBe(true)
    const sdk = [await sdkOnly().listdir(''), await sdkOnly().listdir('ü'), await all(sdkOnly(), 'dir')]
    expect(ours).toEqual(sdk)
    expect(ours[0]).toEqual([
      ['dir', 'many', 'ü'],
      ['a&b <c> "d" \'e\'.txt', 'plain.txt'],
    ])
  })
})
