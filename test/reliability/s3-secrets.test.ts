// No S3 error shows a secret, however deeply inspected: not the secret key, not the session
// token (which SignatureDoesNotMatch echoes in its CanonicalRequest, and the raw answer's request
// holds as x-amz-security-token), not an SSE-C key (x-amz-server-side-encryption-customer-key).
import { inspect } from 'node:util'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { S3ServiceException } from '@aws-sdk/client-s3'
import { S3Storage } from '../../src/backends/s3/index.js'
import { redactS3Error } from '../../src/backends/s3/redact.js'
import { StorageError } from '../../src/core/errors.js'
import { streamToBuffer } from '../../src/core/content.js'
import { BUCKET, faultProxy, reportProxy, s3 } from './helpers.js'

const proxy = await faultProxy()
afterAll(() => proxy.stop())
afterAll(() => reportProxy('secrets', proxy))
afterEach(() => proxy.reset())

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY'
const TOKEN = 'FwoGZXIvYXdzEXAMPLESESSIONTOKENxyz0123456789'
const SSE_KEY = '0123456789abcdef0123456789abcdef' // 32 bytes
const SSE_KEY_B64 = Buffer.from(SSE_KEY).toString('base64')

/** Everything util.inspect shows of an error, at any depth, hidden members included. */
const deep = (error: unknown) => inspect(error, { depth: Infinity, showHidden: true, maxStringLength: Infinity, maxArrayLength: Infinity })

function expectNoSecret(error: unknown): void {
  expect(error).toBeInstanceOf(StorageError)
  const text = deep(error)
  for (const secret of [SECRET, TOKEN, SSE_KEY, SSE_KEY_B64]) expect(text).not.toContain(secret)
  expect(text).not.toMatch(/x-amz-security-token[:=]\s*(?!\[redacted\])\S/i)
  expect(text).not.toMatch(/x-amz-server-side-encryption-customer-key[:=]\s*(?!\[redacted\])\S/i)
}

/** A storage signing with a wrong secret and a session token, through the verifying proxy. */
const withToken = (endpointUrl: string, extra = {}) =>
  new S3Storage({
    bucketName: BUCKET,
    endpointUrl,
    accessKey: 'S3RVER',
    secretKey: SECRET,
    securityToken: TOKEN,
    location: 'secrets',
    conditionalWrites: false,
    ...extra,
  })

describe('a deep inspect of an S3 error', () => {
  it('SignatureDoesNotMatch with a session token: no token, no secret', async () => {
    const storage = withToken(s3.proxyEndpoint)
    for (const call of [() => storage.read('a.txt'), () => storage.save('a.txt', 'x'), () => storage.listdir('')]) {
      const error = await call().catch((e: unknown) => e)
      expect((error as Error).cause).toBeDefined()
      expectNoSecret(error)
    }
    storage.destroy()
  })

  it('an SSE-C read or write that fails on the server: no customer key', async () => {
    const storage = withToken(proxy.endpoint, {
      secretKey: 'S3RVER',
      objectParameters: { SSECustomerAlgorithm: 'AES256', SSECustomerKey: SSE_KEY },
    })
    proxy.setRules([{ match: () => true, fault: { kind: 'status', status: 500 } }])
    const errors = await Promise.all([
      storage.read('a.txt').catch((e: unknown) => e),
      storage.stat('a.txt').catch((e: unknown) => e),
      storage.save('b.txt', 'content').catch((e: unknown) => e),
      storage.copy('a.txt', 'c.txt').catch((e: unknown) => e),
    ])
    for (const error of errors) expectNoSecret(error)
    storage.destroy()
  })

  it('a read failing midway (the connection reset): a StorageError without secrets, cause kept', async () => {
    const storage = withToken(proxy.endpoint, {
      secretKey: 'S3RVER',
      objectParameters: { SSECustomerAlgorithm: 'AES256', SSECustomerKey: SSE_KEY },
    })
    await storage.save('big.bin', Buffer.alloc(256 * 1024, 1))
    proxy.setRules([{ match: 'GetObject', fault: { kind: 'truncate', afterBytes: 1000 } }])
    const error = await streamToBuffer(await storage.open('big.bin')).catch((e: unknown) => e)
    expect((error as Error).cause).toBeDefined()
    expectNoSecret(error)
    storage.destroy()
  })
})

describe('redactS3Error', () => {
  it('keeps what error handling reads: class, name, Code, status, answer headers', () => {
    const original = Object.assign(
      new S3ServiceException({ name: 'SignatureDoesNotMatch', $fault: 'client', $metadata: { httpStatusCode: 403 } }),
      {
        Code: 'SignatureDoesNotMatch',
        CanonicalRequest: `GET\n/\n\nx-amz-security-token:${TOKEN}\n`,
      },
    )
    Object.defineProperty(original, '$response', {
      value: {
        statusCode: 403,
        headers: { 'x-amz-bucket-region': 'eu-west-3' },
        body: { req: { _header: `x-amz-security-token: ${TOKEN}` } },
      },
      enumerable: false,
    })
    const safe = redactS3Error(original, [TOKEN])
    expect(safe).toBeInstanceOf(S3ServiceException)
    expect(safe).toMatchObject({ name: 'SignatureDoesNotMatch', Code: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } })
    expect((safe as unknown as { $response: unknown }).$response).toEqual({
      statusCode: 403,
      headers: { 'x-amz-bucket-region': 'eu-west-3' },
    })
    expect(deep(safe)).not.toContain(TOKEN)
    expect(redactS3Error(safe)).toBe(safe)
  })
})
