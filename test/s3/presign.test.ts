/**
 * Our SigV4 presigner and URL builder against `@aws-sdk/s3-request-presigner`: the same
 * signing date must give byte-identical strings.
 */
import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'

import { StringToSignSigner } from '../../src/backends/s3/signing/sha256.js'
import { type AwsCredentials, type ChecksumSetting, type PresignMethod, QueryPresigner } from '../../src/backends/s3/signing/sigv4.js'
import {
  type AddressingStyle,
  defaultEndpointUrl,
  getObjectQuery,
  objectLocator,
  resolveObjectLocation,
  unsignedUrl,
} from '../../src/backends/s3/endpoint.js'

const DATE = new Date('2024-05-06T07:08:09Z')
const BASE = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const TOKEN = { ...BASE, sessionToken: 'IQoJb3JpZ2luX2Vj/+=token with spaces' }

interface Setup {
  region: string
  bucket?: string
  endpointUrl?: string
  addressingStyle?: AddressingStyle
  useSsl?: boolean
  credentials?: AwsCredentials
  /** requestChecksumCalculation and responseChecksumValidation; both WHEN_REQUIRED unless set. */
  request?: ChecksumSetting
  response?: ChecksumSetting
}

const clients = new Map<string, S3Client>()
/** The S3Client our storage would build for these settings. */
function sdkClient(s: Setup): S3Client {
  const id = JSON.stringify(s)
  let client = clients.get(id)
  if (!client) {
    const endpoint = s.endpointUrl ?? (s.useSsl === false ? defaultEndpointUrl(s.region, false) : undefined)
    const forcePathStyle = s.addressingStyle === 'path' || (s.endpointUrl !== undefined && s.addressingStyle !== 'virtual')
    client = new S3Client({
      region: s.region,
      endpoint,
      forcePathStyle,
      credentials: s.credentials ?? BASE,
      requestChecksumCalculation: s.request ?? 'WHEN_REQUIRED',
      responseChecksumValidation: s.response ?? 'WHEN_REQUIRED',
    })
    clients.set(id, client)
  }
  return client
}

const presigners = new Map<string, QueryPresigner>()
/** One presigner per setup, reused across calls, so its caches are exercised too. */
function ourPresigner(s: Setup): QueryPresigner {
  const id = JSON.stringify(s)
  let presigner = presigners.get(id)
  if (!presigner) {
    const credentials = s.credentials ?? BASE
    presigner = new QueryPresigner({
      region: s.region,
      credentials: async () => credentials,
      requestChecksumCalculation: s.request ?? 'WHEN_REQUIRED',
      responseChecksumValidation: s.response ?? 'WHEN_REQUIRED',
    })
    presigners.set(id, presigner)
  }
  return presigner
}

const COMMANDS = { GET: GetObjectCommand, HEAD: HeadObjectCommand, PUT: PutObjectCommand, DELETE: DeleteObjectCommand }
let compared = 0

/** Presign with the SDK and with ours; returns both strings. */
async function both(
  s: Setup,
  key: string,
  opts: { method?: PresignMethod; params?: Record<string, unknown>; expiresIn?: number; date?: Date } = {},
) {
  const { method = 'GET', params = {}, expiresIn = 3600, date = DATE } = opts
  const bucket = s.bucket ?? 'test-bucket'
  const Command = COMMANDS[method] as unknown as new (input: object) => GetObjectCommand
  const sdk = await getSignedUrl(sdkClient(s), new Command({ Bucket: bucket, Key: key, ...params }), { expiresIn, signingDate: date })
  const location = objectLocator({ ...s, bucket })(key)
  const ours = await ourPresigner(s).presign({ method, ...location, query: getObjectQuery(params), expiresIn, signingDate: date })
  compared++
  return { sdk, ours }
}

async function mismatches(s: Setup, keys: string[], opts: Parameters<typeof both>[2] = {}) {
  const bad: Array<{ key: string; sdk: string; ours: string }> = []
  for (const key of keys) {
    const { sdk, ours } = await both(s, key, opts)
    if (sdk !== ours) bad.push({ key, sdk, ours })
  }
  return bad
}

const PUNCT = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']
const KEYS = [
  ...PUNCT,
  ...PUNCT.map((c) => `a${c}b.txt`),
  ...PUNCT.map((c, i) => c + PUNCT[(i * 5 + 7) % 32] + PUNCT[(i * 11 + 3) % 32] + 'x'),
  PUNCT.join(''),
  `all ${PUNCT.join('')} end`,
  "~!*()'@#$%^&*abc`+ =.file",
  'é.txt',
  'ãlöhâ.jpg',
  'Ünïcödé/ñandú.png',
  'straße',
  'ø/å/æ',
  '日本語.txt',
  '中文/文件 名.pdf',
  '한국어.doc',
  '😀.png',
  '👍🏽 thumbs.gif',
  '🇫🇷/flag',
  '👨‍👩‍👧‍👦 family.txt',
  'e\u0301 nfd.txt',
  'עברית.txt',
  'العربية.txt',
  'Ελληνικά',
  'кириллица/файл.txt',
  '\u00a0nbsp',
  'zero\u200bwidth',
  '\uFEFFbom',
  'mixed 日本 😀 é ~!*.txt',
  ' ',
  '  ',
  ' lead',
  'trail ',
  'a b',
  'a  b',
  'tab\there',
  'nl\nhere',
  'del\u007f',
  'a/b/c/d/e.txt',
  'dir/',
  'dir/sub/',
  '/lead.txt',
  '//double',
  'a//b',
  'a/./b',
  'a/../b',
  '../up',
  './here',
  '...',
  'x'.repeat(300),
  Array.from({ length: 40 }, (_, i) => `d${i}`).join('/'),
  'media/uploads/2024/05/report final (v2).pdf',
  'with%20percent',
  '%',
  '%%',
  'a+b',
  'a=b&c=d',
  'q?x#y',
  'x.txt',
  '',
]

const PARAMS: Array<Record<string, unknown>> = [
  { ResponseContentDisposition: 'attachment; filename="x y.txt"' },
  { ResponseContentDisposition: `attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf; x=";,/?:@&=+$#"` },
  { ResponseContentDisposition: 'inline; filename="日本 😀.txt"', ResponseContentType: 'text/plain; charset=utf-8' },
  { VersionId: 'abc/def+ghi=' },
  { ResponseContentType: 'text/plain', VersionId: 'abc' },
  { VersionId: '' },
  { VersionId: undefined, ResponseContentLanguage: 'fr-FR' },
  {
    ResponseCacheControl: 'no-cache, max-age=0',
    ResponseContentEncoding: 'gzip',
    ResponseContentLanguage: 'en',
    ResponseExpires: new Date('2030-01-02T03:04:05.678Z'),
    PartNumber: 2,
    RequestPayer: 'requester',
    ExpectedBucketOwner: '123456789012',
  },
  { ChecksumMode: 'ENABLED' },
]

describe('presigned URLs are identical to the SDK', () => {
  it('all keys: us-east-1, virtual, GET, 3600 s', async () => {
    expect(await mismatches({ region: 'us-east-1' }, KEYS)).toEqual([])
  })
  it('all keys: eu-west-3, path style, session token, HEAD, 1 s', async () => {
    const s = { region: 'eu-west-3', addressingStyle: 'path' as const, credentials: TOKEN }
    expect(await mismatches(s, KEYS, { method: 'HEAD', expiresIn: 1 })).toEqual([])
  })
  it('all keys: custom endpoint with port, ap-southeast-2, SDK checksum defaults, 604800 s', async () => {
    const s = {
      region: 'ap-southeast-2',
      endpointUrl: 'http://127.0.0.1:9000',
      request: 'WHEN_SUPPORTED',
      response: 'WHEN_SUPPORTED',
    } as const
    expect(await mismatches(s, KEYS, { expiresIn: 604800 })).toEqual([])
  })
  it('parameters, GET and HEAD, with and without a token, over three setups', async () => {
    const setups: Setup[] = [
      { region: 'us-east-1' },
      { region: 'eu-west-3', credentials: TOKEN, addressingStyle: 'path' },
      { region: 'ap-southeast-2', endpointUrl: 'http://127.0.0.1:9000', credentials: TOKEN },
    ]
    for (const s of setups)
      for (const method of ['GET', 'HEAD'] as const)
        for (const params of PARAMS) {
          expect(await mismatches(s, ['a b.txt', 'dir/日本.pdf'], { method, params })).toEqual([])
        }
  })
  it('useSsl false, addressing styles and bucket names the SDK keeps out of the host', async () => {
    const buckets = ['test-bucket', 'my.bucket', 'MyBucket', 'a_b', 'ab', 'b'.repeat(63), '192.168.1.1', 'bucket-', 'my--bucket']
    for (const bucket of buckets)
      for (const region of ['us-east-1', 'eu-west-3', 'ap-southeast-2']) {
        for (const s of [
          {},
          { useSsl: false },
          { addressingStyle: 'path' as const },
          { addressingStyle: 'virtual' as const, useSsl: false },
        ]) {
          expect(await mismatches({ region, bucket, ...s }, ['a b.txt', '日本/😀'])).toEqual([])
        }
      }
  })
  it('custom endpoints: ports, base paths, localhost, IPs, virtual style', async () => {
    const endpoints = [
      'http://127.0.0.1:9000',
      'http://localhost:9000',
      'https://minio.example.com:8443/base/',
      'https://example.com/base',
      'http://MINIO.example.com:80',
      'https://s3.example.com:443/',
      'http://[::1]:9000',
    ]
    for (const endpointUrl of endpoints)
      for (const bucket of ['test-bucket', 'my.bucket']) {
        for (const addressingStyle of ['auto', 'path', 'virtual'] as const) {
          const s = { region: 'eu-west-3', endpointUrl, addressingStyle, bucket }
          expect(await mismatches(s, ['a b.txt', '/lead', ''])).toEqual([])
        }
      }
  })
  it('other partitions and aws-global', async () => {
    for (const region of ['cn-north-1', 'us-gov-west-1', 'eusc-de-east-1', 'us-iso-east-1', 'aws-global']) {
      expect(await mismatches({ region }, ['a b.txt'])).toEqual([])
      expect(await mismatches({ region, addressingStyle: 'path' }, ['a b.txt'])).toEqual([])
    }
  })
  it('every method under every pair of checksum settings, with and without ChecksumMode', async () => {
    const settings = ['WHEN_REQUIRED', 'WHEN_SUPPORTED'] as const
    for (const request of settings)
      for (const response of settings)
        for (const method of ['PUT', 'DELETE', 'HEAD', 'GET'] as const) {
          const s = { region: 'eu-west-3', request, response, credentials: TOKEN }
          expect(await mismatches(s, ['up load.bin'], { method })).toEqual([])
          if (method === 'GET' || method === 'HEAD') {
            expect(await mismatches(s, ['x'], { method, params: { ChecksumMode: 'ENABLED', VersionId: 'v1' } })).toEqual([])
          }
        }
    // What each setting adds, spelled out (the comparison above proves the SDK does the same).
    const query = async (s: Setup, method: PresignMethod) =>
      (await both(s, 'x', { method })).ours
        .split('?')[1]
        .split('&')
        .filter((p) => !p.startsWith('X-Amz-'))
        .join('&')
    expect(await query({ region: 'eu-west-3' }, 'PUT')).toBe('x-id=PutObject')
    expect(await query({ region: 'eu-west-3', request: 'WHEN_SUPPORTED' }, 'PUT')).toBe(
      'x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32&x-id=PutObject',
    )
    expect(await query({ region: 'eu-west-3', request: 'WHEN_SUPPORTED' }, 'GET')).toBe('x-amz-checksum-crc32=AAAAAA%3D%3D&x-id=GetObject')
    expect(await query({ region: 'eu-west-3', request: 'WHEN_SUPPORTED', response: 'WHEN_SUPPORTED' }, 'GET')).toBe(
      'x-amz-checksum-mode=ENABLED&x-id=GetObject',
    )
    expect(await query({ region: 'eu-west-3', request: 'WHEN_SUPPORTED', response: 'WHEN_SUPPORTED' }, 'HEAD')).toBe('')
  })
  it('compared at least 300 URLs', () => {
    expect(compared).toBeGreaterThanOrEqual(300)
  })
})

describe('unsigned URLs', () => {
  const strip = (url: string) => {
    const [base, query] = url.split('?')
    const kept = query.split('&').filter((p) => !p.startsWith('X-Amz-') && !p.startsWith('x-id='))
    return kept.length ? `${base}?${kept.join('&')}` : base
  }
  it('equal the SDK presigned URL without its X-Amz-* params and x-id', async () => {
    for (const s of [
      { region: 'us-east-1' },
      { region: 'eu-west-3', addressingStyle: 'path' as const },
      { region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9000' },
    ]) {
      for (const params of PARAMS.slice(0, 8))
        for (const key of KEYS.slice(60, 130)) {
          const { sdk } = await both(s, key, { params })
          expect(unsignedUrl({ ...s, bucket: 'test-bucket', key, parameters: params })).toBe(strip(sdk))
        }
    }
  })
  it('match the URLs django-storages gives: escaped keys, GetObject parameters, custom endpoints, addressing styles', () => {
    const u = (key: string, extra: Partial<Parameters<typeof unsignedUrl>[0]> = {}) =>
      unsignedUrl({ bucket: 'test-bucket', region: 'us-east-1', key, ...extra })
    expect(u('a b.txt')).toBe('https://test-bucket.s3.us-east-1.amazonaws.com/a%20b.txt') // spaces escaped; the SDK's virtual host
    expect(u("~!*()'@#$%^&*abc`+ =.file")).toBe(
      'https://test-bucket.s3.us-east-1.amazonaws.com/~%21%2A%28%29%27%40%23%24%25%5E%26%2Aabc%60%2B%20%3D.file',
    ) // !*()' escaped too on S3 paths
    expect(u('x.txt', { parameters: { ResponseContentDisposition: 'attachment; filename="x y.txt"' } })).toBe(
      'https://test-bucket.s3.us-east-1.amazonaws.com/x.txt?response-content-disposition=attachment%3B%20filename%3D%22x%20y.txt%22',
    ) // a GetObject parameter, RFC 3986-encoded
    expect(u('x.txt', { parameters: { ResponseContentType: 'text/plain', VersionId: 'abc' } })).toBe(
      'https://test-bucket.s3.us-east-1.amazonaws.com/x.txt?response-content-type=text%2Fplain&versionId=abc',
    ) // several parameters, in the SDK's order
    expect(u('x y.txt', { endpointUrl: 'http://localhost:9000' })).toBe('http://localhost:9000/test-bucket/x%20y.txt') // a custom endpoint is path-style
    expect(u('x y.txt', { region: 'eu-west-1', addressingStyle: 'path' })).toBe('https://s3.eu-west-1.amazonaws.com/test-bucket/x%20y.txt') // addressingStyle path
    expect(u('x y.txt', { region: 'eu-west-1', addressingStyle: 'virtual' })).toBe(
      'https://test-bucket.s3.eu-west-1.amazonaws.com/x%20y.txt',
    )
  })
})

describe('errors', () => {
  const presigner = new QueryPresigner({ region: 'us-east-1', credentials: async () => BASE })
  const loc = resolveObjectLocation({ bucket: 'test-bucket', key: 'x', region: 'us-east-1' })
  it('an unknown parameter throws naming it', () => {
    expect(() => getObjectQuery({ foo: 'bar' })).toThrow(/Unknown URL parameter 'foo'.*ResponseContentDisposition/)
    expect(() => getObjectQuery({ Range: 'bytes=0-1' })).toThrow(/'Range' is sent as an HTTP header/)
    expect(() => getObjectQuery({ Bucket: 'other' })).toThrow(/'Bucket' cannot be set/)
  })
  it('an expiry over 7 days throws naming the limit; so do negative and fractional ones', async () => {
    await expect(presigner.presign({ ...loc, expiresIn: 604801 })).rejects.toThrow(/7 days \(604800 seconds\)/)
    await expect(presigner.presign({ ...loc, expiresIn: -1 })).rejects.toThrow(/whole number/)
    await expect(presigner.presign({ ...loc, expiresIn: 1.5 })).rejects.toThrow(/whole number/)
    await expect(presigner.presign({ ...loc, expiresIn: 0 })).resolves.toContain('X-Amz-Expires=0&')
  })
  it('query keys that would collide with the auth parameters, and other methods, throw', async () => {
    await expect(presigner.presign({ ...loc, query: { 'X-Amz-Expires': '5' }, expiresIn: 60 })).rejects.toThrow(
      /'X-Amz-Expires' cannot be presigned/,
    )
    await expect(presigner.presign({ ...loc, query: { 'a b': '5' }, expiresIn: 60 })).rejects.toThrow(/'a b'/)
    await expect(presigner.presign({ ...loc, method: 'POST' as PresignMethod, expiresIn: 60 })).rejects.toThrow(/'POST'/)
  })
  it('bad regions, buckets and endpoints throw', () => {
    expect(() => objectLocator({ bucket: 'b', region: 'Bad_Region' })).toThrow(/Region not accepted/)
    expect(() => objectLocator({ bucket: '', region: 'us-east-1' })).toThrow(/bucket/)
    expect(() => objectLocator({ bucket: 'b--usw2-az1--x-s3', region: 'us-east-1' })).toThrow(/directory bucket/)
    expect(() => objectLocator({ bucket: 'b', region: 'us-east-1', endpointUrl: 'localhost:9000' })).toThrow(/http or https/)
    expect(() => objectLocator({ bucket: 'b', region: 'us-east-1', endpointUrl: 'nope' })).toThrow(/absolute URL/)
  })
})

describe('credentials and the signing key cache', () => {
  afterEach(() => vi.useRealTimers())
  const loc = resolveObjectLocation({ bucket: 'test-bucket', key: 'k.txt', region: 'eu-west-3' })

  it('are refreshed within 5 minutes of expiry, and the URL matches the SDK with the new ones', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(DATE)
    let calls = 0
    const issued: AwsCredentials[] = []
    const presigner = new QueryPresigner({
      region: 'eu-west-3',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      credentials: async () => {
        calls++
        const c = {
          accessKeyId: `AK${calls}`,
          secretAccessKey: `secret${calls}`,
          sessionToken: `t${calls}`,
          expiration: new Date(Date.now() + 10 * 60_000),
        }
        issued.push(c)
        return c
      },
    })
    expect(presigner.presignSync({ ...loc, expiresIn: 60 })).toBeUndefined()
    expect(await presigner.presign({ ...loc, expiresIn: 60 })).toContain('X-Amz-Credential=AK1%2F')
    vi.setSystemTime(DATE.getTime() + 4 * 60_000)
    expect(await presigner.presign({ ...loc, expiresIn: 60 })).toContain('AK1%2F')
    expect(presigner.presignSync({ ...loc, expiresIn: 60 })).toContain('AK1%2F')
    expect(calls).toBe(1)
    vi.setSystemTime(DATE.getTime() + 5 * 60_000 + 1000)
    expect(presigner.presignSync({ ...loc, expiresIn: 60 })).toBeUndefined()
    const now = new Date()
    const ours = await presigner.presign({ ...loc, expiresIn: 60 })
    expect(calls).toBe(2)
    const { expiration: _, ...second } = issued[1]
    const { sdk } = await both({ region: 'eu-west-3', credentials: second }, 'k.txt', { expiresIn: 60, date: now })
    expect(ours).toBe(sdk)
  })

  it('without an expiration are loaded once; concurrent calls share one provider call', async () => {
    let calls = 0
    let release: (c: AwsCredentials) => void = () => {}
    const gate = new Promise<AwsCredentials>((r) => {
      release = r
    })
    const presigner = new QueryPresigner({
      region: 'eu-west-3',
      credentials: () => {
        calls++
        return gate
      },
    })
    const pending = Array.from({ length: 20 }, () => presigner.presign({ ...loc, expiresIn: 60, signingDate: DATE }))
    await new Promise((r) => setTimeout(r, 10))
    release(BASE)
    expect(new Set(await Promise.all(pending)).size).toBe(1)
    expect(calls).toBe(1)
    await presigner.presign({ ...loc, expiresIn: 60 })
    expect(calls).toBe(1)
  })

  it('a failing provider rejects, and the next call tries again', async () => {
    let calls = 0
    const presigner = new QueryPresigner({
      region: 'eu-west-3',
      credentials: async () => {
        if (++calls === 1) throw new Error('no creds')
        return BASE
      },
    })
    await expect(presigner.presign({ ...loc, expiresIn: 60 })).rejects.toThrow('no creds')
    await expect(presigner.presign({ ...loc, expiresIn: 60 })).resolves.toContain('AKIDEXAMPLE')
    const broken = new QueryPresigner({ region: 'eu-west-3', credentials: async () => ({}) as AwsCredentials })
    await expect(broken.presign({ ...loc, expiresIn: 60 })).rejects.toThrow(/no accessKeyId/)
  })

  it('signatures stay correct across a UTC day change and a secret rotation', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    let creds: AwsCredentials = BASE
    const presigner = new QueryPresigner({
      region: 'eu-west-3',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: async () => creds,
    })
    const times = ['2024-05-06T23:59:59Z', '2024-05-07T00:00:01Z', '2024-05-06T23:59:58Z', '2024-05-07T12:00:00Z', '2024-05-07T12:00:30Z']
    for (const t of times) {
      vi.setSystemTime(new Date(t))
      const ours = await presigner.presign({ ...loc, expiresIn: 900 })
      expect(ours).toContain(`%2F${t.slice(0, 10).replace(/-/g, '')}%2Feu-west-3%2F`)
      expect(ours).toBe((await both({ region: 'eu-west-3' }, 'k.txt', { expiresIn: 900, date: new Date(t) })).sdk)
    }
    for (creds of [{ ...BASE, secretAccessKey: 'rotated' }, { ...BASE, sessionToken: 'tok1' }, { ...BASE, sessionToken: 'tok2' }, BASE]) {
      const ours = presigner.presignWith(creds, { ...loc, expiresIn: 900 })
      expect(ours).toBe((await both({ region: 'eu-west-3', credentials: creds }, 'k.txt', { expiresIn: 900, date: new Date() })).sdk)
    }
  })
})

describe('the per-second URL cache', () => {
  afterEach(() => vi.useRealTimers())
  const loc = resolveObjectLocation({ bucket: 'test-bucket', key: 'k.txt', region: 'eu-west-3' })
  const sdkAt = async (date: Date, opts: Parameters<typeof both>[2] = {}, credentials: AwsCredentials = BASE) =>
    (await both({ region: 'eu-west-3', credentials }, 'k.txt', { ...opts, date })).sdk

  it('honours an explicit signingDate between calls signed now, and the clock moving past a second', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const presigner = new QueryPresigner({
      region: 'eu-west-3',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: async () => BASE,
    })
    const now = new Date('2025-01-02T03:04:05.998Z')
    vi.setSystemTime(now)
    const steps: Array<{ date?: Date; expect: Date }> = [
      { expect: now },
      { date: DATE, expect: DATE },
      { date: new Date(DATE.getTime() + 1000), expect: new Date(DATE.getTime() + 1000) },
      { date: new Date(DATE.getTime() + 999), expect: DATE },
      { expect: now },
      { date: new Date('2024-05-06T07:08:08.999Z'), expect: new Date('2024-05-06T07:08:08Z') },
    ]
    for (const step of steps) {
      const ours = await presigner.presign({ ...loc, expiresIn: 60, signingDate: step.date })
      expect(ours).toBe(await sdkAt(step.expect, { expiresIn: 60 }))
    }
    vi.setSystemTime(now.getTime() + 1) // 03:04:05.999: same second
    expect(await presigner.presign({ ...loc, expiresIn: 60 })).toContain('X-Amz-Date=20250102T030405Z')
    vi.setSystemTime(now.getTime() + 2) // 03:04:06.000: the next one
    const next = await presigner.presign({ ...loc, expiresIn: 60 })
    expect(next).toContain('X-Amz-Date=20250102T030406Z')
    expect(next).toBe(await sdkAt(new Date(now.getTime() + 2), { expiresIn: 60 }))
  })

  it('gives each host, lifetime, method and query its own URL within one second', async () => {
    const presigner = ourPresigner({ region: 'eu-west-3' })
    const cases: Array<{ key: string; opts: Parameters<typeof both>[2] }> = [
      { key: 'a.txt', opts: { expiresIn: 60 } },
      { key: 'a.txt', opts: { expiresIn: 61 } },
      { key: 'a.txt', opts: { expiresIn: 60, method: 'HEAD' } },
      { key: 'a.txt', opts: { expiresIn: 60, method: 'PUT' } },
      { key: 'a.txt', opts: { expiresIn: 60, params: { VersionId: 'v1' } } },
      { key: 'a.txt', opts: { expiresIn: 60, params: { VersionId: 'v2' } } },
      { key: 'a.txt', opts: { expiresIn: 60 } },
    ]
    for (const { key, opts } of cases) {
      const { sdk, ours } = await both({ region: 'eu-west-3' }, key, opts)
      expect(ours).toBe(sdk)
    }
    // Another bucket (so another host) through the same presigner, same second.
    for (const bucket of ['other-bucket', 'test-bucket', 'Not.Hostable']) {
      const location = objectLocator({ bucket, region: 'eu-west-3' })('k.txt')
      const ours = await presigner.presign({ ...location, query: {}, expiresIn: 60, signingDate: DATE })
      const client = sdkClient({ region: 'eu-west-3' })
      expect(ours).toBe(
        await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: 'k.txt' }), { expiresIn: 60, signingDate: DATE }),
      )
    }
  })

  it('signs with credentials that change within one second: access key, secret, token', async () => {
    const presigner = new QueryPresigner({
      region: 'eu-west-3',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: async () => BASE,
    })
    const rotations: AwsCredentials[] = [
      BASE,
      { ...BASE, accessKeyId: 'AKIDOTHER' },
      { ...BASE, secretAccessKey: 'another secret' },
      { ...BASE, sessionToken: 'tok1' },
      { ...BASE, sessionToken: 'tok2' },
      { ...BASE, sessionToken: '' },
      BASE,
    ]
    const seen = new Set<string>()
    for (const c of rotations) {
      const ours = presigner.presignWith(c, { ...loc, expiresIn: 60, signingDate: DATE })
      expect(ours).toBe(await sdkAt(DATE, { expiresIn: 60 }, c))
      seen.add(ours)
    }
    expect(seen.size).toBe(5) // BASE and the empty token sign alike, as in the SDK
  })

  it('a new day gets a new signing key; the HMAC equals createHmac for any date, also interleaved', () => {
    const key = (day: string) => {
      let k = createHmac('sha256', 'AWS4secret').update(day).digest()
      for (const part of ['eu-west-3', 's3', 'aws4_request']) k = createHmac('sha256', k).update(part).digest()
      return k
    }
    const hash = 'ab'.repeat(32)
    for (const day of ['20240506', '20240507']) {
      const scope = `${day}/eu-west-3/s3/aws4_request`
      const signer = new StringToSignSigner(key(day), scope)
      for (const longDate of [`${day}T000000Z`, `${day}T235959Z`, `${day}T000000Z`, `${day}T120000Z`]) {
        for (const h of [hash, '0'.repeat(64), 'f'.repeat(64)]) {
          const expected = createHmac('sha256', key(day)).update(`AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${h}`).digest('hex')
          expect(signer.sign(longDate, h)).toBe(expected)
        }
      }
    }
    const a = new StringToSignSigner(key('20240506'), '20240506/eu-west-3/s3/aws4_request')
    const b = new StringToSignSigner(key('20240507'), '20240507/eu-west-3/s3/aws4_request')
    expect(a.sign('20240506T000000Z', hash)).not.toBe(b.sign('20240507T000000Z', hash))
    // A scope that is not ASCII (a region nobody uses) still signs, by createHmac.
    const odd = new StringToSignSigner(key('20240506'), '20240506/ré/s3/aws4_request')
    expect(odd.sign('20240506T000000Z', hash)).toBe(
      createHmac('sha256', key('20240506'))
        .update(`AWS4-HMAC-SHA256\n20240506T000000Z\n20240506/ré/s3/aws4_request\n${hash}`)
        .digest('hex'),
    )
  })
})

describe('presigned uploads with signed headers', () => {
  it('match the SDK when Content-Type and other headers are signed (signableHeaders)', async () => {
    const setups: Setup[] = [
      { region: 'eu-west-3' },
      { region: 'us-east-1', endpointUrl: 'http://127.0.0.1:9000' },
      { region: 'ap-southeast-2', credentials: TOKEN },
    ]
    const cases: { params: Record<string, string>; headers: Record<string, string> }[] = [
      { params: { ContentType: 'application/pdf' }, headers: { 'content-type': 'application/pdf' } },
      {
        params: { ContentType: 'text/plain; charset=utf-8', CacheControl: 'max-age=60' },
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'max-age=60' },
      },
      {
        params: { ContentType: 'image/png', ContentDisposition: 'attachment; filename="a b.png"' },
        headers: { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="a b.png"' },
      },
    ]
    let compared = 0
    for (const s of setups) {
      for (const c of cases) {
        for (const key of ['uploads/doc.pdf', 'ü n/i (c).txt']) {
          const bucket = s.bucket ?? 'node-storages-bucket'
          const sdk = await getSignedUrl(sdkClient(s), new PutObjectCommand({ Bucket: bucket, Key: key, ...c.params }), {
            expiresIn: 600,
            signingDate: DATE,
            signableHeaders: new Set(Object.keys(c.headers)),
          })
          const loc = resolveObjectLocation({ bucket, key, region: s.region, endpointUrl: s.endpointUrl })
          const ours = await ourPresigner(s).presign({ method: 'PUT', ...loc, expiresIn: 600, signingDate: DATE, headers: c.headers })
          expect(ours).toBe(sdk)
          compared++
        }
      }
    }
    expect(compared).toBe(18)
  })
})
