// The direct GET of src/backends/s3/get.ts against a scripted local HTTP server: what it sends,
// what it hands back, when it falls back to the SDK (here a stub `fallback`), checksums, timeouts
// and aborts. test/s3/get.s3rver.test.ts runs it against s3rver behind the SigV4-verifying proxy.
import { createHash } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import * as zlib from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DirectGet } from '../../src/backends/s3/get.js'
import { MAX_MISSES, directRefusal } from '../../src/backends/s3/direct.js'
import { S3ClientHolder } from '../../src/backends/s3/client.js'
import { resolveS3Options } from '../../src/backends/s3/resolve.js'
import type { S3StorageOptions } from '../../src/backends/s3/options.js'
import type { GetAnswer } from '../../src/backends/s3/read.js'
import { streamToBuffer } from '../../src/core/content.js'

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
let handler: Handler = (_req, res) => res.end('hello')
const seen: http.IncomingMessage[] = []
const server = http.createServer((req, res) => {
  seen.push(req)
  handler(req, res)
})
let endpoint = ''
const made: DirectGet[] = []

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
afterEach(() => {
  for (const d of made.splice(0)) d.destroy()
  seen.length = 0
  handler = (_req, res) => res.end('hello')
})

const BASE: S3StorageOptions = { bucketName: 'bucket', accessKey: 'AK', secretKey: 'SK', regionName: 'eu-west-3' }

function direct(options: S3StorageOptions = {}, download: Record<string, unknown> = {}): DirectGet {
  const resolved = resolveS3Options({ ...BASE, endpointUrl: endpoint, responseChecksumValidation: 'WHEN_REQUIRED', ...options })
  const d = new DirectGet(resolved, new S3ClientHolder(resolved), download)
  made.push(d)
  return d
}

const sdkAnswer = (): GetAnswer => ({ Body: Readable.from([Buffer.from('from the SDK')]) })

async function body(answer: GetAnswer): Promise<string> {
  return (await streamToBuffer(answer.Body as Readable)).toString()
}

describe('directRefusal', () => {
  const refusal = (options: S3StorageOptions, download: Record<string, unknown> = {}) =>
    directRefusal(resolveS3Options({ ...BASE, ...options }), download)

  it('takes plain storages, retries and timeouts, agent instances and keys from the provider chain', () => {
    expect(refusal({})).toBeUndefined()
    expect(refusal({ clientConfig: { maxAttempts: 5, requestHandler: { socketTimeout: 5, connectionTimeout: 5 } } })).toBeUndefined()
    expect(refusal({ clientConfig: { requestHandler: { httpsAgent: new https.Agent() } } })).toBeUndefined()
    expect(
      refusal({
        accessKey: undefined,
        secretKey: undefined,
        clientConfig: { credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) },
      }),
    ).toBeUndefined()
    expect(refusal({}, { RequestPayer: 'requester', ExpectedBucketOwner: '123456789012', VersionId: 'v' })).toBeUndefined()
  })

  it('refuses what it cannot honour: a ready client, SSE-C, an endpoint, a handler instance, agent options', () => {
    expect(directRefusal({ ...resolveS3Options(BASE), client: {} as never }, {})).toMatch(/S3Client/)
    expect(refusal({}, { SSECustomerKey: 'k', SSECustomerAlgorithm: 'AES256' })).toMatch(/SSE-C/)
    expect(refusal({ clientConfig: { endpoint: 'http://elsewhere' } })).toMatch(/clientConfig\.endpoint/)
    expect(refusal({ clientConfig: { useDualstackEndpoint: true } })).toMatch(/useDualstackEndpoint/)
    expect(refusal({ clientConfig: { requestHandler: { handle: async () => ({}) } as never } })).toMatch(/instance/)
    expect(refusal({ clientConfig: { requestHandler: { requestTimeout: 5 } } })).toMatch(/requestTimeout/)
    expect(refusal({ clientConfig: { requestHandler: { httpsAgent: { maxSockets: 5 } } } })).toMatch(/not an Agent/)
    expect(refusal({ clientConfig: { credentials: { accessKeyId: 'x', secretAccessKey: 'y' } } })).toMatch(/credentials/)
    expect(refusal({ clientConfig: { region: 'us-west-2' } })).toMatch(/region/)
  })
})

describe('a 2xx answer', () => {
  it('is handed back as it came: body, Content-Encoding, Content-Range; Range sent; the SDK not called', async () => {
    handler = (_req, res) => {
      res.writeHead(206, { 'content-range': 'bytes 2-4/10', 'content-encoding': 'identity' })
      res.end('llo')
    }
    const fallback = vi.fn(async () => sdkAnswer())
    const answer = await direct({}, { ExpectedBucketOwner: '123456789012' }).get({ key: 'a b/ü.txt', range: 'bytes=2-4' }, fallback)
    expect(await body(answer)).toBe('llo')
    expect(answer).toMatchObject({ ContentRange: 'bytes 2-4/10', ContentEncoding: 'identity' })
    expect(fallback).not.toHaveBeenCalled()
    const [req] = seen
    expect(req!.headers.range).toBe('bytes=2-4')
    const url = new URL(req!.url!, endpoint)
    expect(url.pathname).toBe('/bucket/a%20b/%C3%BC.txt')
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AK\/\d{8}\/eu-west-3\/s3\/aws4_request$/)
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
    expect(url.searchParams.get('x-amz-expected-bucket-owner')).toBe('123456789012')
    expect(url.searchParams.has('x-amz-checksum-crc32')).toBe(false) // no presigner CRC32 of an empty body
    expect(url.searchParams.has('x-amz-checksum-mode')).toBe(false) // WHEN_REQUIRED
  })

  it('reuses its keep-alive connection', async () => {
    const d = direct()
    for (let i = 0; i < 3; i++) expect(await body(await d.get({ key: 'k' }, async () => sdkAnswer()))).toBe('hello')
    expect(new Set(seen.map((r) => r.socket.remotePort)).size).toBe(1)
  })
})

describe('a kept-alive connection the server dropped', () => {
  it('is retried once on a fresh connection, without the SDK', async () => {
    const d = direct()
    expect(await body(await d.get({ key: 'k' }, async () => sdkAnswer()))).toBe('hello')
    handler = (_req, res) => {
      handler = (_req2, again) => again.end('again')
      res.destroy() // the reused socket closes without an answer
    }
    const fallback = vi.fn(async () => sdkAnswer())
    expect(await body(await d.get({ key: 'k' }, fallback))).toBe('again')
    expect(fallback).not.toHaveBeenCalled()
    expect(seen).toHaveLength(3)
  })
})

describe('falling back to the SDK', () => {
  for (const status of [404, 403, 416, 500, 301]) {
    it(`on a ${status}: the answer is released and the SDK's GetObject is sent`, async () => {
      handler = (_req, res) => {
        res.writeHead(status, { 'content-type': 'application/xml' })
        res.end('<Error><Code>Whatever</Code></Error>')
      }
      const fallback = vi.fn(async () => sdkAnswer())
      expect(await body(await direct().get({ key: 'k' }, fallback))).toBe('from the SDK')
      expect(fallback).toHaveBeenCalledTimes(1)
    })
  }

  it("whose error is the caller's error (the direct GET adds none)", async () => {
    handler = (_req, res) => res.writeHead(404).end()
    const error = Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' })
    await expect(direct().get({ key: 'k' }, async () => Promise.reject(error))).rejects.toBe(error)
  })

  it('when the connection is refused', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const fallback = vi.fn(async () => sdkAnswer())
    expect(await body(await direct({ endpointUrl: `http://127.0.0.1:${port}` }).get({ key: 'k' }, fallback))).toBe('from the SDK')
    expect(fallback).toHaveBeenCalledTimes(1)
  })

  it('when no byte of the answer comes within readTimeout', async () => {
    handler = () => undefined // never answers
    const fallback = vi.fn(async () => sdkAnswer())
    const started = Date.now()
    expect(await body(await direct({ readTimeout: 200 }).get({ key: 'k' }, fallback))).toBe('from the SDK')
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect(fallback).toHaveBeenCalledTimes(1)
  })

  it(`for good after ${MAX_MISSES} fallbacks in a row that the SDK served`, async () => {
    handler = (_req, res) => res.writeHead(403).end()
    const d = direct()
    const fallback = vi.fn(async () => sdkAnswer())
    for (let i = 0; i < MAX_MISSES; i++) await d.get({ key: 'k' }, fallback)
    expect(seen).toHaveLength(MAX_MISSES)
    expect(d.refusal).toMatch(/fallbacks/)
    await d.get({ key: 'k' }, fallback)
    expect(seen).toHaveLength(MAX_MISSES) // straight to the SDK
    expect(fallback).toHaveBeenCalledTimes(MAX_MISSES + 1)
  })

  it('but not after misses the SDK failed too (a missing key), nor after a success', async () => {
    handler = (_req, res) => res.writeHead(404).end()
    const d = direct()
    for (let i = 0; i < MAX_MISSES + 1; i++)
      await d.get({ key: 'k' }, async () => Promise.reject(new Error('NoSuchKey'))).catch(() => undefined)
    expect(seen).toHaveLength(MAX_MISSES + 1)
    expect(d.refusal).toBeUndefined()
  })
})

describe('response checksums (responseChecksumValidation WHEN_SUPPORTED, the default)', () => {
  const data = Buffer.from('checksummed content')
  const crc32 = () => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(zlib.crc32(data) >>> 0)
    return b.toString('base64')
  }
  const answerWith = (headers: Record<string, string>) => {
    handler = (_req, res) => {
      res.writeHead(200, headers)
      res.end(data)
    }
  }

  it('asks for them (x-amz-checksum-mode=ENABLED) and checks a right CRC32 or SHA-256', async () => {
    const d = direct({ responseChecksumValidation: 'WHEN_SUPPORTED' })
    answerWith({ 'x-amz-checksum-crc32': crc32() })
    expect(await body(await d.get({ key: 'k' }, async () => sdkAnswer()))).toBe(data.toString())
    answerWith({ 'x-amz-checksum-sha256': createHash('sha256').update(data).digest('base64') })
    expect(await body(await d.get({ key: 'k' }, async () => sdkAnswer()))).toBe(data.toString())
    expect(new URL(seen[0]!.url!, endpoint).searchParams.get('x-amz-checksum-mode')).toBe('ENABLED')
  })

  it('fails the body on a mismatch, with the SDK’s message', async () => {
    answerWith({ 'x-amz-checksum-crc32': 'AAAAAA==' })
    const answer = await direct({ responseChecksumValidation: 'WHEN_SUPPORTED' }).get({ key: 'k' }, async () => sdkAnswer())
    await expect(body(answer)).rejects.toThrow(
      `Checksum mismatch: expected "AAAAAA==" but received "${crc32()}" in response header "x-amz-checksum-crc32".`,
    )
  })

  it('leaves composite (per-part) checksums alone, as the SDK does', async () => {
    answerWith({ 'x-amz-checksum-crc32': 'AAAAAA==-3' })
    expect(await body(await direct({ responseChecksumValidation: 'WHEN_SUPPORTED' }).get({ key: 'k' }, async () => sdkAnswer()))).toBe(
      data.toString(),
    )
  })

  it('hands a CRC32C or CRC64NVME to the SDK', async () => {
    answerWith({ 'x-amz-checksum-crc32c': 'AAAAAA==' })
    const fallback = vi.fn(async () => sdkAnswer())
    expect(await body(await direct({ responseChecksumValidation: 'WHEN_SUPPORTED' }).get({ key: 'k' }, fallback))).toBe('from the SDK')
    expect(fallback).toHaveBeenCalledTimes(1)
  })

  it('are not checked with WHEN_REQUIRED (as the SDK) unless ChecksumMode is ENABLED', async () => {
    answerWith({ 'x-amz-checksum-crc32': 'AAAAAA==' })
    expect(await body(await direct().get({ key: 'k' }, async () => sdkAnswer()))).toBe(data.toString())
    const answer = await direct({}, { ChecksumMode: 'ENABLED' }).get({ key: 'k' }, async () => sdkAnswer())
    await expect(body(answer)).rejects.toThrow(/Checksum mismatch/)
  })
})

describe('timeouts and aborts', () => {
  it('a body that stalls fails with a TimeoutError after readTimeout (no fallback: the answer had begun)', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100000' })
      res.write(Buffer.alloc(1000))
    }
    const fallback = vi.fn(async () => sdkAnswer())
    const answer = await direct({ readTimeout: 200 }).get({ key: 'k' }, fallback)
    await expect(body(answer)).rejects.toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' })
    expect(fallback).not.toHaveBeenCalled()
  })

  it('a body cut short fails (never a short read)', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'content-length': '100000' })
      res.write(Buffer.alloc(1000), () => req.socket.destroy())
    }
    const answer = await direct().get({ key: 'k' }, async () => sdkAnswer())
    await expect(body(answer)).rejects.toThrow(/aborted/)
  })

  it('an abort before the answer rejects with the reason, and the SDK is not asked', async () => {
    handler = () => undefined
    const controller = new AbortController()
    const reason = new Error('stop')
    const fallback = vi.fn(async () => sdkAnswer())
    const pending = direct().get({ key: 'k', signal: controller.signal }, fallback)
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
    expect(fallback).not.toHaveBeenCalled()
  })

  it('an abort mid-body fails the body with the reason and closes the connection', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100000' })
      res.write(Buffer.alloc(1000))
    }
    const controller = new AbortController()
    const reason = new Error('stop')
    const answer = await direct().get({ key: 'k', signal: controller.signal }, async () => sdkAnswer())
    const read = body(answer)
    const closed = new Promise((resolve) => seen[0]!.socket.once('close', resolve))
    controller.abort(reason)
    await expect(read).rejects.toBe(reason)
    await closed
  })
})
