// S3Storage against a real S3 server: s3rver (started by the global setup on 127.0.0.1), through
// the SigV4-verifying proxy so that every signature is checked. s3rver implements neither
// ListMultipartUploads nor AbortMultipartUpload: the proxy answers both from its ledger of the
// multipart uploads created through it (test/support/multipart-ledger.ts). s3rver does not
// check If-None-Match either (docs/s3-compatible.md, s3rver).
import { createHash, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { HeadObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { FileExistsError, FileNotFoundError } from '../../src/core/errors.js'
import { streamToBuffer } from '../../src/core/content.js'
import { S3RVER_CREDENTIALS, s3ClientConfig } from '../support/s3rver.js'
import { startVerifyingProxy, type VerifyingProxy } from '../support/sigv4-proxy.js'

const s3 = inject('s3')
const Bucket = s3.buckets[0]
const MIB = 1024 * 1024
const S3RVER_KEYS = { accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey }
const direct = new S3Client(s3ClientConfig(s3.endpoint))
const locations: string[] = []

/** A storage on the test bucket under a fresh location, talking to `endpoint` (default: the verifying proxy). */
function storage(options: S3StorageOptions = {}, endpoint = s3.proxyEndpoint): S3Storage {
  const s = new S3Storage({
    bucketName: Bucket,
    endpointUrl: endpoint,
    ...S3RVER_KEYS,
    location: `it-${randomUUID()}`,
    conditionalWrites: false, // s3rver ignores If-None-Match
    ...options,
  })
  locations.push(s.location)
  return s
}

/** `size` bytes of unknown length, generated as they are read, and their SHA-256 once read. */
function generated(size: number, onRead?: (produced: number) => void, chunk = 64 * 1024) {
  const hash = createHash('sha256')
  let produced = 0
  const block = Buffer.alloc(chunk)
  const stream = new Readable({
    read() {
      if (produced >= size) return this.push(null)
      const n = Math.min(chunk, size - produced)
      for (let i = 0; i < n; i += 4) block.writeUInt32LE(((produced + i) * 2654435761) >>> 0, i)
      const out = Buffer.from(block.subarray(0, n))
      produced += n
      hash.update(out)
      this.push(out)
      onRead?.(produced)
    },
  })
  return { stream, digest: () => hash.digest('hex'), produced: () => produced }
}

/** Status and S3 error code of a fetch() answer. */
async function outcome(res: Response) {
  const text = await res.text()
  return { status: res.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] }
}

afterAll(async () => {
  for (const location of locations) {
    const s = new S3Storage({ bucketName: Bucket, endpointUrl: s3.endpoint, ...S3RVER_KEYS, location })
    const names: string[] = []
    for await (const e of s.list('', { recursive: true })) names.push(e.name)
    await s.deleteMany(names)
    s.destroy()
  }
  direct.destroy()
})

describe('round trips', () => {
  it('save, read, open a range, stat, list, copy, move and delete', async () => {
    const s = storage({ location: `it-${randomUUID()}/media` })
    expect(await s.save('docs/a b ü.txt', 'hello world')).toBe('docs/a b ü.txt')
    expect((await s.read('docs/a b ü.txt')).toString()).toBe('hello world')
    expect((await streamToBuffer(await s.open('docs/a b ü.txt', { start: 6, end: 10 }))).toString()).toBe('world')
    expect(await s.stat('docs/a b ü.txt')).toMatchObject({
      size: 11,
      contentType: 'text/plain',
      etag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"',
    })
    const again = await s.save('docs/a b ü.txt', 'second')
    expect(again).toMatch(/^docs\/a b ü_[A-Za-z0-9]{7}\.txt$/)
    await s.copy('docs/a b ü.txt', 'copy.txt')
    await expect(s.copy('docs/a b ü.txt', 'copy.txt')).rejects.toBeInstanceOf(FileExistsError)
    await s.move('copy.txt', 'moved/here.txt')
    expect(await s.exists('copy.txt')).toBe(false)
    expect(await s.listdir('')).toEqual([['docs', 'moved'], []])
    expect((await s.listdir('docs'))[1].sort()).toEqual(['a b ü.txt', again.slice('docs/'.length)].sort())
    const names: string[] = []
    for await (const e of s.list('', { recursive: true })) names.push(e.name)
    expect(names.sort()).toEqual(['docs/a b ü.txt', again, 'moved/here.txt'].sort())
    await s.delete('moved/here.txt')
    await expect(s.read('moved/here.txt')).rejects.toBeInstanceOf(FileNotFoundError)
    // the keys really are under the location
    await direct.send(new HeadObjectCommand({ Bucket, Key: `${s.location}/docs/a b ü.txt` }))
  })

  it('gzip: stored compressed with Content-Encoding gzip, read back decompressed', async () => {
    const s = storage({ gzip: true })
    await s.save('site.css', 'body { color: red }'.repeat(100))
    const head = await direct.send(new HeadObjectCommand({ Bucket, Key: `${s.location}/site.css` }))
    expect(head).toMatchObject({ ContentEncoding: 'gzip', ContentType: 'text/css' })
    expect(head.ContentLength).toBeLessThan(100)
    expect((await s.read('site.css')).toString()).toBe('body { color: red }'.repeat(100))
    // A range is of the decompressed bytes, even past the compressed length (where S3 answers 416).
    const text = 'body { color: red }'.repeat(100)
    expect((await streamToBuffer(await s.open('site.css', { start: 1000, end: 1018 }))).toString()).toBe(text.slice(1000, 1019))
    expect((await streamToBuffer(await s.open('site.css', { start: 10, end: 20 }))).toString()).toBe(text.slice(10, 21))
  })

  it('a large upload without overwrite goes through a temporary key and a copy, and leaves no temporary key', async () => {
    const s = storage({ conditionalWrites: true, transferConfig: { partSize: 5 * MIB, multipartThreshold: MIB } })
    const first = generated(7 * MIB)
    expect(await s.save('big.bin', first.stream)).toBe('big.bin')
    const second = generated(6 * MIB)
    const name = await s.save('big.bin', second.stream) // HEAD finds big.bin: another name
    expect(name).toMatch(/^big_[A-Za-z0-9]{7}\.bin$/)
    expect(
      createHash('sha256')
        .update(await s.read('big.bin'))
        .digest('hex'),
    ).toBe(first.digest())
    expect(
      createHash('sha256')
        .update(await s.read(name))
        .digest('hex'),
    ).toBe(second.digest())
    const all = await direct.send(new (await import('@aws-sdk/client-s3')).ListObjectsV2Command({ Bucket, Prefix: `${s.location}/` }))
    expect(all.Contents!.map((o) => o.Key!.slice(s.location.length + 1)).sort()).toEqual(['big.bin', name].sort())
  })
})

describe('presigned URLs from url(), fetched through the verifying proxy', () => {
  it('a presigned GET returns the bytes; a tampered or expired one is refused', async () => {
    const s = storage()
    await s.save('private/report 1.txt', 'secret report')
    const url = await s.url('private/report 1.txt', { parameters: { ResponseContentDisposition: 'attachment; filename="r.txt"' } })
    const ok = await fetch(url)
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('secret report')

    const tampered = url.replace(
      /(X-Amz-Signature=[0-9a-f]{63})([0-9a-f])/,
      (_, head: string, last: string) => head + (last === '0' ? '1' : '0'),
    )
    expect(tampered).not.toBe(url)
    expect(await outcome(await fetch(tampered))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' })
    const otherKey = url.replace('report%201.txt', 'report%202.txt')
    expect(await outcome(await fetch(otherKey))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' })

    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() - 10 * 60_000)
    let expired: string
    try {
      expired = await s.url('private/report 1.txt', { expire: 60 })
    } finally {
      vi.useRealTimers()
    }
    expect(await outcome(await fetch(expired))).toEqual({ status: 403, code: 'AccessDenied' })
  })

  it('an unsigned URL is refused by the proxy (private) but names the right object on s3rver', async () => {
    const s = storage({ querystringAuth: false }, s3.endpoint)
    await s.save('public.txt', 'public bytes')
    const res = await fetch(await s.url('public.txt'))
    expect(await res.text()).toBe('public bytes')
  })

  it('a presigned PUT from signedUploadUrl uploads with the headers it names', async () => {
    const s = storage({ defaultAcl: 'private' })
    const up = await s.signedUploadUrl('uploads/photo.jpg', { contentType: 'image/jpeg' })
    const res = await fetch(up.url, { method: up.method, headers: up.headers, body: 'jpeg bytes' })
    expect(res.status).toBe(200)
    expect(await s.stat(up.name)).toMatchObject({ size: 10, contentType: 'image/jpeg' })
  })
})

describe('requests as recorded by a proxy', () => {
  let proxy: VerifyingProxy
  beforeAll(async () => {
    proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
  })
  afterAll(() => proxy.stop())

  it('x-amz-acl is sent when defaultAcl is set (PutObject and CreateMultipartUpload), never otherwise', async () => {
    proxy.clear()
    await storage({ defaultAcl: 'public-read' }, proxy.endpoint).save('acl.txt', 'x')
    await storage({ defaultAcl: 'public-read', transferConfig: { multipartThreshold: 0 } }, proxy.endpoint).save(
      'acl-big.bin',
      generated(6 * MIB).stream,
    )
    const writes = proxy.requests.filter(
      (r) => (r.method === 'PUT' && !('partNumber' in r.query)) || (r.method === 'POST' && 'uploads' in r.query),
    )
    expect(writes.length).toBe(2)
    for (const w of writes) expect(w.headers['x-amz-acl']).toBe('public-read')

    proxy.clear()
    await storage({}, proxy.endpoint).save('no-acl.txt', 'x')
    const put = proxy.requests.find((r) => r.method === 'PUT')!
    expect(put.status).toBe(200)
    expect(put.headers).not.toHaveProperty('x-amz-acl')
    expect(put.headers['content-type']).toBe('text/plain')
  })

  it('an upload aborted midway leaves no object, and every multipart upload it started is aborted', async () => {
    proxy.clear()
    const s = storage({ transferConfig: { partSize: 5 * MIB, multipartThreshold: MIB } }, proxy.endpoint)
    const controller = new AbortController()
    const source = generated(64 * MIB, (produced) => {
      if (produced > 16 * MIB) controller.abort()
    })
    await expect(s.save('aborted.bin', source.stream, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(source.produced()).toBeLessThan(32 * MIB)
    expect(await s.exists('aborted.bin')).toBe(false)
    // Every upload created was aborted (an abort before its first part is sent may leave it without parts).
    const started = new Set(
      proxy
        .multipartUploads()
        .filter((u) => u.key.startsWith(`${s.location}/`))
        .map((u) => u.uploadId),
    )
    const aborted = new Set(proxy.requests.filter((r) => r.method === 'DELETE' && r.query.uploadId).map((r) => r.query.uploadId))
    const completed = proxy.requests.filter((r) => r.method === 'POST' && r.query.uploadId)
    expect(started.size).toBe(1)
    expect([...started].filter((id) => !aborted.has(id))).toEqual([])
    expect(completed).toEqual([])
    // The proxy's ledger saw the upload created, so the empty listing below is not vacuous...
    const [uploadId] = started
    const seen = proxy.multipartUploads().filter((u) => u.key.startsWith(`${s.location}/`))
    expect(seen).toMatchObject([{ bucket: Bucket, key: `${s.location}/aborted.bin`, uploadId, state: 'aborted' }])
    // ...and ListMultipartUploads, through the SDK, is empty.
    const client = new S3Client(s3ClientConfig(proxy.endpoint))
    try {
      const listing = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: `${s.location}/` }))
      expect(listing.$metadata.httpStatusCode).toBe(200)
      expect(listing.Uploads ?? []).toEqual([])
    } finally {
      client.destroy()
    }
    // The first abort (the uploader's own) succeeded, where s3rver alone answers 405; any later
    // abort of the same upload (the backend makes sure of it) finds it gone: 404, ignored.
    const deletes = proxy.requests.filter((r) => r.method === 'DELETE').map((r) => [r.query.uploadId, r.status])
    expect(deletes).toEqual([[uploadId, 204], ...deletes.slice(1).map(() => [uploadId, 404])])
  })
})

describe('memory', () => {
  it('a 64 MiB stream of unknown length saves through multipart with peak RSS growth under 64 MiB', async () => {
    const s = storage() // default transferConfig: 8 MiB parts, 4 at a time
    const source = generated(64 * MIB)
    // Load the SDK modules first: the figure is the upload's memory, not the cost of importing
    // @aws-sdk/client-s3 (which a long-running app pays once).
    await s.exists('warm-up')
    ;(globalThis as { gc?: () => void }).gc?.()
    const baseline = process.memoryUsage().rss
    let peak = baseline
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
    try {
      expect(await s.save('sixty-four.bin', source.stream)).toBe('sixty-four.bin')
    } finally {
      clearInterval(timer)
    }
    peak = Math.max(peak, process.memoryUsage().rss)
    const growth = (peak - baseline) / MIB
    console.log(`64 MiB multipart save: peak RSS growth ${growth.toFixed(1)} MiB (baseline ${(baseline / MIB).toFixed(0)} MiB)`)
    expect(growth).toBeLessThan(64)
    expect((await s.stat('sixty-four.bin')).size).toBe(64 * MIB)
    const back = createHash('sha256')
    for await (const chunk of await s.open('sixty-four.bin')) back.update(chunk as Buffer)
    expect(back.digest('hex')).toBe(source.digest())
  }, 120_000)
})
