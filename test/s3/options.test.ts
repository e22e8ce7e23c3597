// S3Storage options, environment fallbacks and URL rules, each test checking one behaviour of
// django-storages' S3Storage (or a deliberate difference, docs/differences.md). None of this needs
// a network, and none of it may load the AWS SDK.
import { generateKeyPairSync, verify as verifySignature } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { ImproperlyConfigured, StorageError, SuspiciousFileOperation } from '../../src/core/errors.js'
import { clientConfig } from '../../src/backends/s3/client.js'
import { resolveS3Options } from '../../src/backends/s3/resolve.js'
import { cannedPolicy } from '../../src/backends/s3/signing/cloudfront.js'
import { verifySigV4 } from '../support/sigv4-proxy.js'
import { createStorage } from '../../src/create.js'

const sdk = vi.hoisted(() => ({ loads: 0 }))
vi.mock('@aws-sdk/client-s3', async (importOriginal) => {
  sdk.loads++
  return importOriginal()
})

const ACCESS = 'AKIDEXAMPLE'
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
const KEYS = { accessKey: ACCESS, secretKey: SECRET }

/** A storage on `test-bucket` in us-east-1 from `S3Storage.fromEnv()`, with an empty environment unless given. */
const make = (options: S3StorageOptions = {}, env: Record<string, string> = {}) =>
  S3Storage.fromEnv(env, { bucketName: 'test-bucket', regionName: 'us-east-1', ...options })

/** The path of a URL as sent (still percent-encoded). */
const pathOf = (url: string) => new URL(url).pathname

/** Checks a presigned URL's SigV4 signature the way S3 (and the test proxy) does. */
function checkSigned(url: string, secret = SECRET, accessKeyId = ACCESS, method = 'GET') {
  const u = new URL(url)
  return verifySigV4(
    { method, url: u.pathname + u.search, headersDistinct: { host: [u.host] } },
    { credentials: [{ accessKeyId, secretAccessKey: secret }], clockSkewSeconds: 900, requireSignature: true },
  )
}

describe('configuration (cases 100-105, 15)', () => {
  it('an unknown option throws ImproperlyConfigured naming it', () => {
    expect(() => make({ bogus: 1 } as S3StorageOptions)).toThrow(ImproperlyConfigured)
    expect(() => make({ bogus: 1 } as S3StorageOptions)).toThrow(/^Invalid setting 'bogus' for S3Storage/)
  })

  it('a location with a leading slash throws, naming the fix', () => {
    expect(() => make({ location: '/' })).toThrow("S3Storage.location cannot begin with a leading slash. Found '/'. Use '' instead.")
    expect(() => make({ location: '/media' })).toThrow("Found '/media'. Use 'media' instead.")
    expect(() => make({}, { AWS_LOCATION: '/x' })).toThrow(ImproperlyConfigured)
  })

  it('a non-normalised location throws at construction instead of refusing every name (deliberately unlike django-storages)', () => {
    expect(() => make({ location: 'x//y/' })).toThrow(/not a normalised key prefix.*Use 'x\/y' instead/)
    expect(() => make({ location: 'a/../b' })).toThrow(ImproperlyConfigured)
  })

  it('AWS_LOCATION is the location unless the option says otherwise', () => {
    expect(make({}, { AWS_LOCATION: 'foo1' }).location).toBe('foo1')
    expect(make({ location: 'foo2' }, { AWS_LOCATION: 'foo1' }).location).toBe('foo2')
  })

  it('a missing bucket throws at construction, naming the option and the variable', () => {
    expect(() => new S3Storage({})).toThrow("S3Storage needs a bucket: pass bucketName: 'my-bucket' or set AWS_STORAGE_BUCKET_NAME.")
    expect(S3Storage.fromEnv({ AWS_STORAGE_BUCKET_NAME: 'from-env' }).bucketName).toBe('from-env')
  })

  it('the constructor reads no environment; fromEnv() and createStorage() do', () => {
    const saved = { ...process.env }
    Object.assign(process.env, { AWS_STORAGE_BUCKET_NAME: 'env-bucket', AWS_LOCATION: 'env-location', AWS_QUERYSTRING_AUTH: 'false' })
    try {
      expect(() => new S3Storage()).toThrow(/needs a bucket/)
      const pure = new S3Storage({ bucketName: 'b' })
      expect([pure.location, pure.querystringAuth]).toEqual(['', true])
      const fromEnv = S3Storage.fromEnv()
      expect([fromEnv.bucketName, fromEnv.location, fromEnv.querystringAuth]).toEqual(['env-bucket', 'env-location', false])
      expect(S3Storage.fromEnv(undefined, { location: 'given' }).location).toBe('given')
    } finally {
      for (const key of ['AWS_STORAGE_BUCKET_NAME', 'AWS_LOCATION', 'AWS_QUERYSTRING_AUTH']) {
        if (saved[key] === undefined) delete process.env[key]
        else process.env[key] = saved[key]
      }
    }
  })

  it('the constructor reads no environment: only fromEnv() does', () => {
    const env = { AWS_LOCATION: 'from-env', AWS_STORAGE_BUCKET_NAME: 'env-bucket' }
    expect(new S3Storage({ bucketName: 'b' }).location).toBe('')
    expect(S3Storage.fromEnv(env, { bucketName: 'b' }).location).toBe('from-env')
    expect(S3Storage.fromEnv(env).bucketName).toBe('env-bucket')
  })

  it('an option given in code is checked and named with its variables', () => {
    expect(() => make({ querystringExpire: -1 })).toThrow(
      "S3Storage option 'querystringExpire' (env AWS_QUERYSTRING_EXPIRE) must be a whole number of seconds >= 0, got -1.",
    )
    expect(() => make({ querystringAuth: 'no' as never })).toThrow(
      "S3Storage option 'querystringAuth' (env AWS_QUERYSTRING_AUTH) must be true or false",
    )
    expect(() => make({ addressingStyle: 'dns' as never })).toThrow(
      /'addressingStyle' \(env AWS_S3_ADDRESSING_STYLE\) must be 'virtual', 'path' or 'auto'/,
    )
  })

  it('only signatureVersion s3v4 is accepted', () => {
    expect(() => make({ signatureVersion: 's3' })).toThrow(/only 's3v4' is supported/)
    expect(() => make({}, { AWS_S3_SIGNATURE_VERSION: 'v2' })).toThrow(ImproperlyConfigured)
    expect(make({ signatureVersion: 's3v4' })).toBeInstanceOf(S3Storage)
  })

  it('a profile together with keys throws, from options or from the environment', () => {
    const message = /AWS_S3_SESSION_PROFILE\/sessionProfile should not be provided with AWS_S3_ACCESS_KEY_ID\/accessKey/
    expect(() => make({ ...KEYS, sessionProfile: 'p' })).toThrow(message)
    expect(() => make({ sessionProfile: 'p' }, { AWS_ACCESS_KEY_ID: 'k' })).toThrow(message)
    expect(() => make({}, { AWS_S3_SESSION_PROFILE: 'p', AWS_S3_SECRET_ACCESS_KEY: 's' })).toThrow(message)
  })

  it('one of cloudfrontKeyId / cloudfrontKey alone throws; env id plus option key is valid', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
    const message = 'Both AWS_CLOUDFRONT_KEY_ID/cloudfrontKeyId and AWS_CLOUDFRONT_KEY/cloudfrontKey must be provided together.'
    expect(() => make({ cloudfrontKeyId: 'K1' })).toThrow(message)
    expect(() => make({ cloudfrontKey: pem })).toThrow(message)
    expect(() => make({}, { AWS_CLOUDFRONT_KEY: pem })).toThrow(message)
    expect(make({ cloudfrontKey: pem }, { AWS_CLOUDFRONT_KEY_ID: 'K1' })).toBeInstanceOf(S3Storage)
    expect(() => make({ cloudfrontKeyId: 'K1', cloudfrontKey: 'not a key' })).toThrow(/could not be parsed/)
  })

  it('credentials come from options, then AWS_S3_* then AWS_* variables, empty values skipped', async () => {
    const keyOf = async (s: S3Storage) => new URL(await s.url('x')).searchParams.get('X-Amz-Credential')!.split('/')[0]
    expect(
      await keyOf(
        make({}, { AWS_S3_ACCESS_KEY_ID: 's3', AWS_S3_SECRET_ACCESS_KEY: 'x', AWS_ACCESS_KEY_ID: 'plain', AWS_SECRET_ACCESS_KEY: 'y' }),
      ),
    ).toBe('s3')
    expect(await keyOf(make({}, { AWS_ACCESS_KEY_ID: 'plain', AWS_SECRET_ACCESS_KEY: 'y' }))).toBe('plain')
    expect(
      await keyOf(
        make({}, { AWS_S3_ACCESS_KEY_ID: '', AWS_S3_SECRET_ACCESS_KEY: '', AWS_ACCESS_KEY_ID: 'plain', AWS_SECRET_ACCESS_KEY: 'y' }),
      ),
    ).toBe('plain')
    expect(await keyOf(make({ accessKey: 'opt', secretKey: 'z' }, { AWS_S3_ACCESS_KEY_ID: 's3', AWS_S3_SECRET_ACCESS_KEY: 'x' }))).toBe(
      'opt',
    )
    // the secret that signed is the one paired with the key
    expect(
      checkSigned(await make({}, { AWS_ACCESS_KEY_ID: 'plain', AWS_SECRET_ACCESS_KEY: 'the-secret' }).url('x'), 'the-secret', 'plain'),
    ).toMatchObject({ ok: true })
  })

  it('AWS_SESSION_TOKEN, else AWS_SECURITY_TOKEN, is the session token; a profile goes to the client', async () => {
    const token = async (env: Record<string, string>) => new URL(await make(KEYS, env).url('x')).searchParams.get('X-Amz-Security-Token')
    expect(await token({ AWS_SESSION_TOKEN: 'baz' })).toBe('baz')
    expect(await token({ AWS_SECURITY_TOKEN: 'baz2' })).toBe('baz2')
    expect(await token({ AWS_SESSION_TOKEN: 'a', AWS_SECURITY_TOKEN: 'b' })).toBe('a')
    expect(await token({})).toBeNull()
    const config = clientConfig(resolveS3Options({ bucketName: 'b', sessionProfile: 'test_profile' }, {}))
    expect(config.profile).toBe('test_profile')
    expect(config.credentials).toBeUndefined()
  })

  it('a key without its secret throws, naming both options', () => {
    expect(() => make({ accessKey: 'k' })).toThrow(/an access key but no secret key: set both accessKey and secretKey/)
  })

  it('environment values are parsed, and a bad one names its variable', () => {
    const s = make({}, { AWS_QUERYSTRING_AUTH: 'False', AWS_QUERYSTRING_EXPIRE: '600', AWS_S3_FILE_OVERWRITE: 'true' })
    expect([s.querystringAuth, s.querystringExpire, s.fileOverwrite]).toEqual([false, 600, true])
    expect(() => make({}, { AWS_QUERYSTRING_AUTH: 'maybe' })).toThrow(
      `Environment variable AWS_QUERYSTRING_AUTH="maybe" is not a boolean: use true or false (it sets S3Storage option 'querystringAuth').`,
    )
    expect(() => make({}, { AWS_S3_USE_SSL: 'Nope' })).toThrow(ImproperlyConfigured)
    expect(make({}, { AWS_S3_USE_SSL: 'OFF', AWS_S3_VERIFY: 'No' })).toBeInstanceOf(S3Storage)
    expect(() => make({}, { AWS_QUERYSTRING_EXPIRE: 'soon' })).toThrow(/AWS_QUERYSTRING_EXPIRE/)
    expect(() => make({}, { AWS_S3_OBJECT_PARAMETERS: '{nope' })).toThrow(/AWS_S3_OBJECT_PARAMETERS is not valid JSON/)
    expect(() => make({}, { GZIP_CONTENT_TYPES: '[text/css' })).toThrow(/GZIP_CONTENT_TYPES/)
    const r = (env: Record<string, string>) => resolveS3Options({ bucketName: 'b' }, env)
    expect(r({ AWS_S3_VERIFY: 'OFF' }).verify).toBe(false)
    expect(r({ AWS_S3_VERIFY: 'yes' }).verify).toBeUndefined()
    expect(r({ AWS_S3_TRANSFER_CONFIG: '{"queueSize": 2}' }).transferConfig.queueSize).toBe(2)
    expect(r({ AWS_S3_SESSION_PROFILE: '', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' }).credentials?.accessKeyId).toBe('k')
    expect(r({ GZIP_CONTENT_TYPES: 'text/css, image/svg+xml' }).gzipContentTypes).toEqual(['text/css', 'image/svg+xml'])
    expect(r({ GZIP_CONTENT_TYPES: '["text/html"]' }).gzipContentTypes).toEqual(['text/html'])
    expect(r({ AWS_S3_OBJECT_PARAMETERS: '{"CacheControl":"max-age=60"}' }).objectParameters).toEqual({ CacheControl: 'max-age=60' })
    expect(r({ AWS_IS_GZIPPED: 'yes', AWS_DEFAULT_ACL: 'private' })).toMatchObject({ gzip: true, defaultAcl: 'private' })
  })

  it('defaults follow django-storages except fileOverwrite (false)', () => {
    const r = resolveS3Options({ bucketName: 'b' }, {})
    expect(r).toMatchObject({
      location: '',
      fileOverwrite: false,
      querystringAuth: true,
      querystringExpire: 3600,
      urlProtocol: 'https:',
      gzip: false,
      useSsl: true,
      addressingStyle: 'auto',
    })
    expect(r.gzipContentTypes).toEqual([
      'text/css',
      'text/javascript',
      'application/javascript',
      'application/x-javascript',
      'image/svg+xml',
    ])
    expect(r.defaultAcl).toBeUndefined()
    expect(r.transferConfig).toEqual({ partSize: 8 * 1024 * 1024, queueSize: 4, multipartThreshold: 8 * 1024 * 1024 })
  })

  it('custom endpoints default to path style and WHEN_REQUIRED checksums; AWS keeps the SDK defaults', () => {
    const custom = clientConfig(resolveS3Options({ bucketName: 'b', endpointUrl: 'http://127.0.0.1:9000' }, {}))
    expect(custom).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
    const aws = clientConfig(resolveS3Options({ bucketName: 'b', regionName: 'eu-west-3' }, {}))
    expect(aws).toMatchObject({ region: 'eu-west-3', forcePathStyle: false })
    expect(aws.requestChecksumCalculation).toBeUndefined()
    expect(
      clientConfig(resolveS3Options({ bucketName: 'b', endpointUrl: 'http://h', requestChecksumCalculation: 'WHEN_SUPPORTED' }, {}))
        .requestChecksumCalculation,
    ).toBe('WHEN_SUPPORTED')
    expect(
      clientConfig(resolveS3Options({ bucketName: 'b', addressingStyle: 'virtual', endpointUrl: 'http://h' }, {})).forcePathStyle,
    ).toBe(false)
  })

  it('proxies are refused with the fix; maxMemorySize and fileNameCharset are accepted', () => {
    expect(() => make({ proxies: { http: 'p:3128' } })).toThrow(/requestHandler.*httpsAgent/)
    expect(() => make({}, { AWS_S3_PROXIES: '{}' })).toThrow(ImproperlyConfigured)
    expect(make({ maxMemorySize: 1024, fileNameCharset: 'utf-8' })).toBeInstanceOf(S3Storage)
  })

  it('secrets never appear in toString, inspect or error messages', () => {
    const s = make({ accessKey: ACCESS, secretKey: SECRET, securityToken: 'TOKEN-SECRET' })
    for (const text of [String(s), inspect(s, { depth: 5, showHidden: true })]) {
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain('TOKEN-SECRET')
    }
    expect(String(s)).toBe("S3Storage(bucket 'test-bucket', location '', region 'us-east-1')")
    const error = (() => {
      try {
        make({ secretKey: SECRET })
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.message).not.toContain(SECRET)
  })

  it('createStorage() builds S3 from the environment (USE_S3_STORAGE) without loading the SDK', () => {
    const storage = createStorage(undefined, {
      USE_S3_STORAGE: 'true',
      AWS_STORAGE_BUCKET_NAME: 'env-bucket',
      AWS_S3_REGION_NAME: 'eu-west-3',
    })
    expect(storage).toBeInstanceOf(S3Storage)
    expect((storage as S3Storage).regionName).toBe('eu-west-3')
  })
})

describe('names and keys (cases 9-14, 30)', () => {
  it('location "media/" behaves like "media"', async () => {
    expect(await make({ location: 'media/', customDomain: 'c' }).url('a')).toBe('https://c/media/a')
  })

  it('with a location, absolute and escaping names are refused with the name quoted', async () => {
    const s = make({ location: 'media', customDomain: 'c' })
    await expect(s.url('/foo')).rejects.toThrow("Attempted access to '/foo' denied.")
    await expect(s.url('../x')).rejects.toThrow(SuspiciousFileOperation)
    await expect(s.exists('..')).rejects.toThrow(SuspiciousFileOperation)
  })

  it('an empty location refuses absolute and escaping names instead of clamping them (deliberately unlike django-storages)', async () => {
    const s = make({ customDomain: 'c' })
    await expect(s.url('/foo')).rejects.toThrow(SuspiciousFileOperation)
    await expect(s.url('../x')).rejects.toThrow(SuspiciousFileOperation)
  })

  it('backslashes and re-entering paths resolve inside the location', async () => {
    const s = make({ location: 'media', customDomain: 'c' })
    expect(await s.url('a\\b.txt')).toBe('https://c/media/a/b.txt')
    expect(await s.url('x/../../media/y')).toBe('https://c/media/y')
  })

  it('keys over 1,024 UTF-8 bytes (location included) are refused before any request, naming the limit', async () => {
    const s = make({ location: 'media', customDomain: 'c' })
    expect(await s.url('é'.repeat(509))).toContain('https://c/media/%C3%A9') // 6 + 1,018 bytes
    const fits = 'a'.repeat(1024 - 'media/'.length)
    expect(await s.url(fits)).toBe(`https://c/media/${fits}`)
    await expect(s.url(fits + 'b')).rejects.toThrow(/1,024 bytes/)
    await expect(s.url('é'.repeat(510))).rejects.toThrow(SuspiciousFileOperation) // 1,020 bytes + 'media/'
  })

  it('a name whose key is over 1,024 bytes is refused by getAvailableName and save before any request', async () => {
    const s = make({ location: 'media', fileOverwrite: true })
    const long = 'x'.repeat(1100) + '.txt'
    await expect(s.getAvailableName(long)).rejects.toThrow(/over S3's limit of 1,024 bytes/)
    await expect(s.save(long, 'x')).rejects.toThrow(SuspiciousFileOperation)
    expect(sdk.loads).toBe(0)
  })
})

describe('url() with a custom domain (cases 52-64)', () => {
  const cdn = (o: S3StorageOptions = {}) => make({ customDomain: 'example.com', ...o })

  it('the URL is the domain and the quoted key; trailing slashes kept', async () => {
    const s = cdn()
    expect(await s.url('')).toBe('https://example.com/')
    expect(await s.url('path')).toBe('https://example.com/path')
    expect(await s.url('path/')).toBe('https://example.com/path/')
    expect(await s.url('path/1/')).toBe('https://example.com/path/1/')
  })

  it('spaces, & and Unicode are percent-encoded from UTF-8', async () => {
    const s = make({ customDomain: 'cdn.example.com', querystringAuth: false })
    expect(await s.url('a b.txt')).toBe('https://cdn.example.com/a%20b.txt')
    expect(pathOf(await s.url('whacky & filename.mp4'))).toBe('/whacky%20%26%20filename.mp4')
    expect(pathOf(await s.url('ãlöhâ.jpg'))).toBe('/%C3%A3l%C3%B6h%C3%A2.jpg')
  })

  it("filepath_to_uri leaves ~!*()' literal", async () => {
    expect(await make({ customDomain: 'c' }).url("~!*()'@#$%^&*abc`+ =.file")).toBe(
      "https://c/~!*()'%40%23%24%25%5E%26*abc%60%2B%20%3D.file",
    )
  })

  it('+, ?, #, ;, :, and % are escaped, never double-decoded', async () => {
    const s = make({ customDomain: 'c' })
    expect(pathOf(await s.url('a+b.txt'))).toBe('/a%2Bb.txt')
    expect(await s.url('a?b#c.txt')).toBe('https://c/a%3Fb%23c.txt')
    expect(pathOf(await s.url('a;b,c:d.txt'))).toBe('/a%3Bb%2Cc%3Ad.txt')
    expect(pathOf(await s.url('a%20b.txt'))).toBe('/a%2520b.txt')
    expect(pathOf(await s.url('x/../y.txt'))).toBe('/y.txt')
  })

  it('parameters are form-encoded in order', async () => {
    expect(await make({ customDomain: 'c' }).url('f.mp4', { parameters: { version: 10, 'a b': 'c&d' } })).toBe(
      'https://c/f.mp4?version=10&a+b=c%26d',
    )
  })

  it('the location and a path in the domain come before the name', async () => {
    expect(await make({ customDomain: 'cdn.example.com', location: 'media' }).url('x y.txt')).toBe(
      'https://cdn.example.com/media/x%20y.txt',
    )
    expect(await make({ customDomain: 'c.example.com/prefix', location: 'media' }).url('a b')).toBe(
      'https://c.example.com/prefix/media/a%20b',
    )
  })

  it('urlProtocol http: is used; empty falls back to https:', async () => {
    expect(await make({ customDomain: 'c' }, { AWS_S3_URL_PROTOCOL: 'http:' }).url('x')).toBe('http://c/x')
    expect(await make({ customDomain: 'c' }, { AWS_S3_URL_PROTOCOL: '' }).url('x')).toBe('https://c/x')
    expect(await make({ customDomain: 'c', urlProtocol: 'http' }).url('x')).toBe('http://c/x') // deviation: the colon is added
  })

  it('querystringAuth without a CloudFront signer gives the plain URL', async () => {
    expect(await make({ customDomain: 'c', querystringAuth: true }).url('x.txt')).toBe('https://c/x.txt')
  })

  describe('CloudFront (cases 62-64)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    const cf = (o: S3StorageOptions = {}) =>
      make({ customDomain: 'mock.cloudfront.net', cloudfrontKeyId: 'test-key', cloudfrontKey: pem, ...o })

    /** Splits a signed URL and checks its RSA-SHA1 signature over the canned policy. */
    function verifyCloudFront(url: string) {
      const m = /^(.*)[?&]Expires=(\d+)&Signature=([A-Za-z0-9~_-]+)&Key-Pair-Id=([^&]+)$/.exec(url)
      expect(m).not.toBeNull()
      const [, resource, expires, signature, keyId] = m!
      const sig = Buffer.from(signature.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64')
      const valid = verifySignature('RSA-SHA1', Buffer.from(cannedPolicy(resource, Number(expires))), publicKey, sig)
      return { resource, expires: Number(expires), keyId, valid }
    }

    it('a canned-policy URL whose signature verifies with the public key, valid querystringExpire seconds', async () => {
      const before = Math.floor(Date.now() / 1000)
      const url = await cf().url('file.txt')
      const v = verifyCloudFront(url)
      expect(v).toMatchObject({ resource: 'https://mock.cloudfront.net/file.txt', keyId: 'test-key', valid: true })
      expect(v.expires).toBeGreaterThanOrEqual(before + 3600)
      expect(v.expires).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600)
      // a changed URL no longer matches its signature
      expect(verifyCloudFront(url.replace('file.txt', 'other.txt')).valid).toBe(false)
      expect(await cf({ querystringAuth: false }).url('file.txt')).toBe('https://mock.cloudfront.net/file.txt')
    })

    it('expire sets Expires; parameters come before Expires, joined with &', async () => {
      const now = Math.floor(Date.now() / 1000)
      const v = verifyCloudFront(await cf().url('file.txt', { expire: 60 }))
      expect(v.expires - now).toBeGreaterThanOrEqual(59)
      expect(v.expires - now).toBeLessThanOrEqual(61)
      const url = await cf().url('a b.txt', { parameters: { version: 10 } })
      expect(url).toMatch(/^https:\/\/mock\.cloudfront\.net\/a%20b\.txt\?version=10&Expires=\d+&Signature=[^&]+&Key-Pair-Id=test-key$/)
      expect(verifyCloudFront(url)).toMatchObject({ resource: 'https://mock.cloudfront.net/a%20b.txt?version=10', valid: true })
    })

    it('cloudfrontSigner null disables signing; a custom signer is used as given', async () => {
      expect(await cf({ cloudfrontSigner: null }).url('file.txt')).toBe('https://mock.cloudfront.net/file.txt')
      const calls: [string, Date][] = []
      const custom = make({ customDomain: 'cdn.b2.example', cloudfrontSigner: (url, at) => (calls.push([url, at]), `${url}?signed=1`) })
      expect(await custom.url('x')).toBe('https://cdn.b2.example/x?signed=1')
      expect(calls[0][1].getTime() - Date.now()).toBeGreaterThan(3590_000)
    })
  })
})

describe('url() on the S3 endpoint (cases 65-75)', () => {
  it('a SigV4 presigned GET, X-Amz-Expires from querystringExpire or expire, signed for host only', async () => {
    const s = make({ ...KEYS, regionName: 'eu-west-1' })
    const url = new URL(await s.url('test_storage_size.txt'))
    expect(url.origin + url.pathname).toBe('https://test-bucket.s3.eu-west-1.amazonaws.com/test_storage_size.txt')
    const q = url.searchParams
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256')
    expect(q.get('X-Amz-Credential')).toMatch(new RegExp(`^${ACCESS}/\\d{8}/eu-west-1/s3/aws4_request$`))
    expect(q.get('X-Amz-Expires')).toBe('3600')
    expect(q.get('X-Amz-SignedHeaders')).toBe('host')
    expect(checkSigned(url.href)).toMatchObject({ ok: true, auth: 'query' })
    expect(new URL(await s.url('x', { expire: 123 })).searchParams.get('X-Amz-Expires')).toBe('123')
    const head = await s.url('x', { httpMethod: 'HEAD' })
    expect(checkSigned(head, SECRET, ACCESS, 'HEAD')).toMatchObject({ ok: true })
    expect(checkSigned(head, SECRET, ACCESS, 'GET')).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' })
  })

  it('querystringAuth false gives a plain URL without credentials or query', async () => {
    expect(await make({ querystringAuth: false }).url('a b.txt')).toBe('https://test-bucket.s3.us-east-1.amazonaws.com/a%20b.txt')
  })

  it("S3 paths escape !*()' too", async () => {
    expect(pathOf(await make({ querystringAuth: false }).url("~!*()'@#$%^&*abc`+ =.file"))).toBe(
      '/~%21%2A%28%29%27%40%23%24%25%5E%26%2Aabc%60%2B%20%3D.file',
    )
  })

  it('GetObject parameters become wire names with RFC 3986 values', async () => {
    const s = make({ querystringAuth: false })
    expect(await s.url('x.txt', { parameters: { ResponseContentDisposition: 'attachment; filename="x y.txt"' } })).toBe(
      'https://test-bucket.s3.us-east-1.amazonaws.com/x.txt?response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22',
    )
    expect(new URL(await s.url('x', { parameters: { ResponseContentType: 'text/plain', VersionId: 'abc' } })).search).toBe(
      '?response-content-type=text%2Fplain&versionId=abc',
    )
    const signed = await make(KEYS).url('x', { parameters: { ResponseContentType: 'text/plain' } })
    expect(new URL(signed).searchParams.get('response-content-type')).toBe('text/plain')
    expect(checkSigned(signed)).toMatchObject({ ok: true })
  })

  it('an unknown parameter throws naming it', async () => {
    await expect(make(KEYS).url('x', { parameters: { foo: 'bar' } })).rejects.toThrow(/Unknown URL parameter 'foo'/)
    await expect(make(KEYS).url('x', { parameters: { foo: 'bar' } })).rejects.toBeInstanceOf(StorageError)
  })

  it('a custom endpoint is path-style', async () => {
    const s = make({ endpointUrl: 'http://localhost:9000', querystringAuth: false })
    expect(await s.url('x y.txt')).toBe('http://localhost:9000/test-bucket/x%20y.txt')
  })

  it('addressing style path or virtual', async () => {
    expect(await make({ regionName: 'eu-west-1', querystringAuth: false, addressingStyle: 'path' }).url('x y.txt')).toBe(
      'https://s3.eu-west-1.amazonaws.com/test-bucket/x%20y.txt',
    )
    expect(await make({ regionName: 'eu-west-1', querystringAuth: false, addressingStyle: 'virtual' }).url('x y.txt')).toBe(
      'https://test-bucket.s3.eu-west-1.amazonaws.com/x%20y.txt',
    )
    expect(await make({ querystringAuth: false, useSsl: false }).url('x')).toBe('http://test-bucket.s3.us-east-1.amazonaws.com/x')
  })

  it('an empty key has no URL', async () => {
    await expect(make(KEYS).url('')).rejects.toThrow(/need a file name/)
  })

  it('R2-style settings: region auto, endpoint path style, no checksum parameter in GET URLs', async () => {
    const s = make({ ...KEYS, regionName: 'auto', endpointUrl: 'https://acc.r2.cloudflarestorage.com' })
    const url = new URL(await s.url('a.txt'))
    expect(url.origin + url.pathname).toBe('https://acc.r2.cloudflarestorage.com/test-bucket/a.txt')
    expect(url.searchParams.get('X-Amz-Credential')).toContain('/auto/s3/aws4_request')
    expect(url.searchParams.has('x-amz-checksum-mode')).toBe(false)
  })
})

describe('lazy SDK', () => {
  it('building storages and every kind of URL never loads @aws-sdk/client-s3; the first client does', async () => {
    expect(sdk.loads).toBe(0)
    const s = make({ ...KEYS, location: 'media' })
    await s.url('a.txt')
    await make({ querystringAuth: false }).url('a.txt')
    await make({ customDomain: 'c' }).url('a.txt')
    expect(sdk.loads).toBe(0)
    await s.getClient()
    expect(sdk.loads).toBe(1)
  })
})
