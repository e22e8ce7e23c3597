// collectStatic on S3 (s3rver behind the SigV4-verifying proxy, which records every request so
// the tests can count them): the shared suite, a 1,050-file tree whose no-change re-run sends
// two listing requests and nothing else, and gzip-stored objects recognised by their ETag.
import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { collectStatic, manifestStorage } from '../../src/static/index.js'
import { InvalidArgumentError } from '../../src/core/errors.js'
import { S3RVER_CREDENTIALS, s3ClientConfig } from '../support/s3rver.js'
import { startVerifyingProxy, type VerifyingProxy } from '../support/sigv4-proxy.js'
import { describeCollectStatic, sourceDir, storedNames } from './collect-suite.js'

const s3 = inject('s3')
const Bucket = s3.buckets[0]!
const KEYS = { accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey }
const direct = new S3Client(s3ClientConfig(s3.endpoint))
const storages: S3Storage[] = []
let proxy: VerifyingProxy

beforeAll(async () => {
  proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
})

afterAll(async () => {
  for (const s of storages) {
    await s.deleteMany(await storedNames(s))
    s.destroy()
  }
  await proxy.stop()
  direct.destroy()
})

/** An S3 storage under a fresh location, talking through the recording proxy. */
function storage(options: S3StorageOptions = {}): S3Storage {
  const s = new S3Storage({
    bucketName: Bucket,
    endpointUrl: proxy.endpoint,
    ...KEYS,
    location: `static-${randomUUID()}`,
    conditionalWrites: false,
    ...options,
  })
  storages.push(s)
  return s
}

/** The requests the proxy saw since the last clear. */
const requests = () =>
  proxy.requests.map((r) => ({ method: r.method, path: r.path, query: r.query, headers: r.headers as Record<string, unknown> }))

describeCollectStatic('S3Storage (s3rver)', async () => {
  const s = storage({ querystringAuth: false }) // static files are public (the staticfiles alias)
  return {
    storage: s,
    requests,
    clear: () => proxy.clear(),
    cacheControl: async (name) => (await direct.send(new HeadObjectCommand({ Bucket, Key: s.key(name) }))).CacheControl,
  }
})

describe('collectStatic on S3: request counts', () => {
  it('1,050 files: the re-run sends 2 listing requests (1,000 names each) and nothing else', async () => {
    const files = Object.fromEntries(Array.from({ length: 1050 }, (_, i) => [`f/${String(i).padStart(4, '0')}.txt`, `file ${i}`]))
    const dir = await sourceDir(files)
    const s = storage()
    proxy.clear()
    expect(await collectStatic(dir, s, { concurrency: 32 })).toMatchObject({ uploaded: 1050, failed: [] })
    expect(proxy.requests.filter((r) => r.method === 'PUT')).toHaveLength(1050)

    proxy.clear()
    expect(await collectStatic(dir, s)).toMatchObject({ uploaded: 0, unchanged: 1050 })
    expect(proxy.requests.map((r) => `${r.method} ${r.query['list-type'] ?? ''}`)).toEqual(['GET 2', 'GET 2'])

    await writeFile(join(dir, 'f/0500.txt'), 'changed')
    proxy.clear()
    expect(await collectStatic(dir, s)).toMatchObject({ uploaded: 1, unchanged: 1049 })
    const sent = proxy.requests.filter((r) => r.query['list-type'] !== '2')
    expect(sent.map((r) => `${r.method} ${decodeURIComponent(r.path)}`)).toEqual([`PUT /${Bucket}/${s.location}/f/0500.txt`])
  })

  it('objects stored gzipped (gzip: true) are recognised by the ETag of their gzipped bytes', async () => {
    const dir = await sourceDir({ 'app.css': 'body { color: red }\n'.repeat(50), 'a.png': 'PNG' })
    const s = storage({ gzip: true })
    await collectStatic(dir, s)
    const head = await direct.send(new HeadObjectCommand({ Bucket, Key: s.key('app.css') }))
    expect(head.ContentEncoding).toBe('gzip')
    proxy.clear()
    expect(await collectStatic(dir, s)).toMatchObject({ uploaded: 0, unchanged: 2 })
    expect(proxy.requests.filter((r) => r.query['list-type'] !== '2')).toEqual([])
  })
})

describe('manifestStorage over a signing S3 storage', () => {
  it('url() signs the hashed key; a query on a signed URL is refused', async () => {
    const dir = await sourceDir({ 'css/app.css': 'a{}' })
    const s = storage({ querystringAuth: true })
    const { manifest } = await collectStatic(dir, s, { manifest: true })
    const url = new URL(await manifestStorage(s).url('css/app.css', { expire: 60 }))
    expect(decodeURIComponent(url.pathname)).toBe(`/${Bucket}/${s.location}/${manifest!.paths['css/app.css']}`)
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60')
    expect((await fetch(url)).status).toBe(200)
    await expect(manifestStorage(s).url('css/app.css?v=1')).rejects.toThrow(InvalidArgumentError)
  })
})
