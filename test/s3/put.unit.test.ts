// The direct PUT of src/backends/s3/put.ts against a scripted local HTTP server that checks SigV4
// as S3 does (verifySigV4 of the test proxy): the headers it sends against those the SDK's
// PutObject sends for the same input, what it refuses, when it falls back to the SDK (here a stub
// `fallback`), the stale-socket retry, timeouts and aborts. test/s3/put.s3rver.test.ts runs it
// against s3rver behind the SigV4-verifying proxy.
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DirectLink, MAX_MISSES } from '../../src/backends/s3/direct.js'
import { S3ClientHolder } from '../../src/backends/s3/client.js'
import { DirectPut, putHeaders } from '../../src/backends/s3/put.js'
import { resolveS3Options } from '../../src/backends/s3/resolve.js'
import type { S3StorageOptions } from '../../src/backends/s3/options.js'
import { payloadSigning } from '../../src/backends/s3/upload-body.js'
import { verifySigV4 } from '../support/sigv4-proxy.js'

interface Seen {
  req: http.IncomingMessage
  body: Buffer
  verdict: ReturnType<typeof verifySigV4>
}
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
const ok: Handler = (_req, res) => res.writeHead(200, { etag: '"e"' }).end()
let handler: Handler = ok
const seen: Seen[] = []
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const verdict = verifySigV4(req, {
      credentials: [{ accessKeyId: 'AK', secretAccessKey: 'SK' }],
      clockSkewSeconds: 900,
      requireSignature: true,
    })
    seen.push({ req, body: Buffer.concat(chunks), verdict })
    handler(req, res)
  })
})
let endpoint = ''
const links: DirectLink[] = []

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
afterEach(() => {
  for (const l of links.splice(0)) l.destroy()
  seen.length = 0
  handler = ok
})

const BASE: S3StorageOptions = { bucketName: 'bucket', accessKey: 'AK', secretKey: 'SK', regionName: 'eu-west-3' }

function direct(options: S3StorageOptions = {}): DirectPut {
  const resolved = resolveS3Options({ ...BASE, endpointUrl: endpoint, ...options })
  const link = new DirectLink(resolved, new S3ClientHolder(resolved), {})
  links.push(link)
  return new DirectPut(link)
}

const data = Buffer.from('body { color: red }\n')
const noop = async () => undefined
const md5 = createHash('md5').update(data).digest('base64')

/** Headers that say how a request was signed or who sent it, not what it stores. */
const TRANSPORT = /^(authorization|x-amz-date|x-amz-content-sha256|x-amz-user-agent|user-agent|amz-sdk-.*|connection|host)$/

function stored(req: http.IncomingMessage): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers).filter(([name]) => !TRANSPORT.test(name))) as Record<string, string>
}

describe('the headers of a direct PUT', () => {
  const inputs: Record<string, Record<string, unknown>> = {
    'a plain save': { ContentType: 'text/css' },
    'no content type': {},
    'every mapped member': {
      ContentType: 'text/css; charset=utf-8',
      CacheControl: 'max-age=31536000, public',
      ContentDisposition: 'attachment; filename="a b.css"',
      ContentEncoding: 'gzip',
      ContentLanguage: 'fr',
      Expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)),
      Metadata: { 'ns-write-id': 'abc123', Author: 'Zoe Smith' },
      ACL: 'public-read',
      StorageClass: 'STANDARD_IA',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:eu-west-3:123456789012:key/k',
      SSEKMSEncryptionContext: 'eyJhIjoiYiJ9',
      BucketKeyEnabled: true,
      Tagging: 'a=b&c=d%20e',
      WebsiteRedirectLocation: '/elsewhere',
      RequestPayer: 'requester',
      ExpectedBucketOwner: '123456789012',
      IfNoneMatch: '*',
    },
    'a checksum given': { ChecksumSHA256: 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=' },
    // Edge values (a reviewer's cases; an empty content type was sent empty where the SDK sends its default).
    'an empty content type': { ContentType: '' },
    'an empty cache control': { ContentType: 'text/css', CacheControl: '' },
    'an empty metadata value': { ContentType: 'text/css', Metadata: { a: '' } },
    'double spaces in values': { ContentType: 'text/css', ContentDisposition: 'inline;  filename="a  b"', Metadata: { a: 'x  y' } },
    'leading and trailing spaces': { ContentType: 'text/css', Metadata: { a: 'x ' }, CacheControl: ' max-age=1' },
    'a Content-MD5 given': { ContentType: 'text/css', ContentMD5: md5 },
    'metadata keys differing by case': { ContentType: 'text/css', Metadata: { A: '1', a: '2' } },
  }

  for (const request of ['WHEN_SUPPORTED', 'WHEN_REQUIRED'] as const) {
    for (const [what, input] of Object.entries(inputs)) {
      it(`are the SDK's PutObject headers (${what}, ${request}), every x-amz-* one signed`, async () => {
        const options = { requestChecksumCalculation: request } as const
        const client = new S3Client({
          endpoint,
          region: 'eu-west-3',
          forcePathStyle: true,
          credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
          ...options,
        })
        const command = new PutObjectCommand({
          ...input,
          Bucket: 'bucket',
          Key: 'a b/ü.css',
          Body: data,
          ContentLength: data.length,
        } as never)
        await client.send(payloadSigning(command))
        client.destroy()
        const fallback = vi.fn(noop)
        await direct(options).put({ key: 'a b/ü.css', input, data }, fallback)
        expect(fallback).not.toHaveBeenCalled()
        const [sdk, ours] = seen
        expect(ours!.verdict).toMatchObject({ ok: true, auth: 'query' })
        expect(ours!.body.equals(data)).toBe(true)
        expect(ours!.req.url!.split('?')[0]).toBe(sdk!.req.url!.split('?')[0])
        const expected = stored(sdk!.req)
        // Over plain http without checksums the SDK signs the payload's SHA-256; the direct PUT sends a signed Content-MD5.
        const plain = request === 'WHEN_REQUIRED' && !('ChecksumSHA256' in input)
        if (plain) expected['content-md5'] = md5
        expect(stored(ours!.req)).toEqual(expected)
        const signed = new URL(ours!.req.url!, endpoint).searchParams.get('X-Amz-SignedHeaders')!.split(';')
        expect(signed).toEqual(expect.arrayContaining(Object.keys(stored(ours!.req))))
      })
    }
  }

  it('Content-MD5 is the base64 MD5 of the body (checked against the data)', () => {
    const headers = putHeaders({}, data, { request: 'WHEN_REQUIRED', tls: false }) as Record<string, string>
    expect(headers['content-md5']).toBe(md5)
    expect(putHeaders({}, data, { request: 'WHEN_REQUIRED', tls: true })).not.toHaveProperty('content-md5')
  })

  it('are refused (SDK path) for members it does not map or values the SDK sends otherwise', () => {
    const refused = (input: Record<string, unknown>) => putHeaders(input, data, { request: 'WHEN_SUPPORTED', tls: true })
    expect(refused({ SSECustomerKey: 'k', SSECustomerAlgorithm: 'AES256' })).toMatch(/SSECustomer/)
    expect(refused({ GrantRead: 'id=x' })).toMatch(/GrantRead/)
    expect(refused({ ObjectLockMode: 'GOVERNANCE' })).toMatch(/ObjectLockMode/)
    expect(refused({ ChecksumAlgorithm: 'SHA256' })).toMatch(/ChecksumAlgorithm/)
    expect(refused({ Metadata: { who: 'Zoë' } })).toMatch(/metadata value/)
    expect(refused({ Metadata: { 'a b': 'x' } })).toMatch(/metadata key/)
    expect(refused({ ContentDisposition: 'attachment; filename="ü.txt"' })).toMatch(/ContentDisposition/)
    expect(refused({ Expires: '2030-01-01' })).toMatch(/Expires/)
    expect(refused({ Whatever: 1 })).toMatch(/Whatever/)
  })

  it('a refused input goes to the SDK without a request of its own, and is not counted as a miss', async () => {
    const d = direct()
    const fallback = vi.fn(noop)
    for (let i = 0; i < MAX_MISSES + 1; i++) await d.put({ key: 'k', input: { GrantRead: 'id=x' }, data }, fallback)
    expect(fallback).toHaveBeenCalledTimes(MAX_MISSES + 1)
    expect(seen).toHaveLength(0)
    expect(d.refusal).toBeUndefined()
  })
})

describe('a kept-alive connection the server dropped', () => {
  it('is retried once on a fresh connection, without the SDK', async () => {
    const d = direct()
    await d.put({ key: 'k', input: {}, data }, noop)
    handler = (_req, res) => {
      handler = ok
      res.destroy() // the reused socket closes without an answer
    }
    const fallback = vi.fn(noop)
    await d.put({ key: 'k', input: {}, data }, fallback)
    expect(fallback).not.toHaveBeenCalled()
    expect(seen).toHaveLength(3)
    expect(seen.every((s) => s.body.equals(data))).toBe(true)
  })
})

describe('falling back to the SDK', () => {
  for (const status of [412, 403, 500, 301]) {
    it(`on a ${status}: the answer is released and the SDK's PutObject is sent`, async () => {
      handler = (_req, res) => res.writeHead(status, { 'content-type': 'application/xml' }).end('<Error><Code>Whatever</Code></Error>')
      const fallback = vi.fn(noop)
      await direct().put({ key: 'k', input: { IfNoneMatch: '*' }, data }, fallback)
      expect(fallback).toHaveBeenCalledTimes(1)
    })
  }

  it("whose error is the caller's error (the direct PUT adds none)", async () => {
    handler = (_req, res) => res.writeHead(412).end()
    const error = Object.assign(new Error('PreconditionFailed'), { name: 'PreconditionFailed' })
    await expect(direct().put({ key: 'k', input: {}, data }, async () => Promise.reject(error))).rejects.toBe(error)
  })

  it('when the connection is refused', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const fallback = vi.fn(noop)
    await direct({ endpointUrl: `http://127.0.0.1:${port}` }).put({ key: 'k', input: {}, data }, fallback)
    expect(fallback).toHaveBeenCalledTimes(1)
  })

  it('when no answer comes within readTimeout', async () => {
    handler = () => undefined // never answers
    const fallback = vi.fn(noop)
    const started = Date.now()
    await direct({ readTimeout: 200 }).put({ key: 'k', input: {}, data }, fallback)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect(fallback).toHaveBeenCalledTimes(1)
  })

  it(`for good after ${MAX_MISSES} fallbacks in a row that the SDK served`, async () => {
    handler = (_req, res) => res.writeHead(403).end()
    const d = direct()
    const fallback = vi.fn(noop)
    for (let i = 0; i < MAX_MISSES; i++) await d.put({ key: 'k', input: {}, data }, fallback)
    expect(d.refusal).toMatch(/fallbacks/)
    await d.put({ key: 'k', input: {}, data }, fallback)
    expect(seen).toHaveLength(MAX_MISSES)
    expect(fallback).toHaveBeenCalledTimes(MAX_MISSES + 1)
  })

  it('is what a storage the direct requests cannot serve does for every save', async () => {
    const fallback = vi.fn(noop)
    await direct({ clientConfig: { requestHandler: { requestTimeout: 0 } } }).put({ key: 'k', input: {}, data }, fallback)
    expect(fallback).toHaveBeenCalledTimes(1)
    expect(seen).toHaveLength(0)
  })
})

describe('aborts', () => {
  it('an abort before sending rejects with the reason; nothing is sent', async () => {
    const controller = new AbortController()
    const reason = new Error('stop')
    controller.abort(reason)
    const fallback = vi.fn(noop)
    await expect(direct().put({ key: 'k', input: {}, data, signal: controller.signal }, fallback)).rejects.toBe(reason)
    expect(fallback).not.toHaveBeenCalled()
    expect(seen).toHaveLength(0)
  })

  it('an abort while waiting for the answer rejects with the reason, and the SDK is not asked', async () => {
    handler = () => undefined
    const controller = new AbortController()
    const reason = new Error('stop')
    const fallback = vi.fn(noop)
    const pending = direct().put({ key: 'k', input: {}, data, signal: controller.signal }, fallback)
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    const closed = new Promise((resolve) => seen[0]!.req.socket.once('close', resolve))
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
    expect(fallback).not.toHaveBeenCalled()
    await closed
  })
})
