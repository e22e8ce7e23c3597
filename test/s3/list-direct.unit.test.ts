// The direct ListObjectsV2 of src/backends/s3/list-direct.ts: its XML reader against the SDK's
// deserialiser on the same bodies, and the request against a scripted local HTTP server (what it
// sends, when it falls back to the SDK, here a stub). Listing against s3rver behind the
// SigV4-verifying proxy is covered by the shared behaviour suite (suite.s3rver.test.ts).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { MAX_MISSES, DirectLink } from '../../src/backends/s3/direct.js'
import { DirectList, type ListPage, parseListPage } from '../../src/backends/s3/list-direct.js'
import { S3ClientHolder } from '../../src/backends/s3/client.js'
import { resolveS3Options } from '../../src/backends/s3/resolve.js'
import type { S3StorageOptions } from '../../src/backends/s3/options.js'

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
let handler: Handler = (_req, res) => res.end()
const seen: http.IncomingMessage[] = []
const server = http.createServer((req, res) => {
  seen.push(req)
  handler(req, res)
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
  for (const link of links.splice(0)) link.destroy()
  seen.length = 0
  handler = (_req, res) => res.end()
})

const BASE: S3StorageOptions = { bucketName: 'bucket', accessKey: 'AK', secretKey: 'SK', regionName: 'eu-west-3' }

function direct(options: S3StorageOptions = {}): DirectList {
  const resolved = resolveS3Options({ ...BASE, endpointUrl: endpoint, ...options })
  const link = new DirectLink(resolved, new S3ClientHolder(resolved), {})
  links.push(link)
  return new DirectList(link)
}

const xml = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</ListBucketResult>`

const object = (key: string, size = 3, etag = '&quot;0cc175b9c0f1b6a831c399e269772661&quot;') =>
  `<Contents><Key>${key}</Key><LastModified>2026-11-30T10:20:30.000Z</LastModified><ETag>${etag}</ETag>` +
  `<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>${size}</Size>` +
  `<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>Key</DisplayName></Owner>` +
  `<StorageClass>STANDARD</StorageClass></Contents>`

/** Bodies as S3 (and s3rver) write them: members in S3's order, keys that need escaping. */
const BODIES: Record<string, string> = {
  'a truncated page with a token': xml(
    `<Name>bucket</Name><Prefix>media/</Prefix><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>` +
      `<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>` +
      object('media/a.txt') +
      object('media/b c.txt', 12345678901, '&quot;9b2cf535f27731c974343645a3985328-3&quot;'),
  ),
  'escaped and non-ASCII keys': xml(
    `<Name>bucket</Name><Prefix></Prefix><KeyCount>6</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
      object('a&amp;b &lt;c&gt;.txt') +
      object('&quot;q&quot; it&apos;s.txt') +
      object('line&#13;break&#x9;tab.txt') +
      object('emoji 😀 &#233;&#xE9;.txt') +
      object('ü/日本 語.txt') +
      object('  spaced  '),
  ),
  'directories (a delimiter)': xml(
    `<Name>bucket</Name><Prefix>media/</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>` +
      object('media/') +
      object('media/top.txt') +
      `<CommonPrefixes><Prefix>media/a &amp; b/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>media/c/</Prefix></CommonPrefixes>`,
  ),
  'nothing listed': xml(
    `<Name>bucket</Name><Prefix>none/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>`,
  ),
  'pretty-printed': xml(
    `\n  <Name>bucket</Name>\n  <Prefix/>\n  <MaxKeys>1000</MaxKeys>\n  <IsTruncated>false</IsTruncated>\n  <Contents>\n    <Key>x.txt</Key>\n    <LastModified>2026-11-30T10:20:30.000Z</LastModified>\n    <ETag>"abc"</ETag>\n    <Size>0</Size>\n  </Contents>\n`,
  ),
}

/** What list.ts reads of a page (so that extra SDK members do not count). */
function used(page: ListPage) {
  return {
    Contents: page.Contents?.map((o) => ({ Key: o.Key, Size: o.Size, ETag: o.ETag, LastModified: o.LastModified?.toISOString() })),
    CommonPrefixes: page.CommonPrefixes?.map((p) => ({ Prefix: p.Prefix })),
    IsTruncated: page.IsTruncated,
    NextContinuationToken: page.NextContinuationToken,
  }
}

describe('parseListPage', () => {
  it.each(Object.keys(BODIES))('reads %s as the SDK does', async (name) => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/xml' }).end(BODIES[name])
    const client = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'eu-west-3',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      maxAttempts: 1,
    })
    try {
      const sdk = await client.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: '' }))
      const ours = parseListPage(BODIES[name]!)
      expect(ours).toBeDefined()
      expect(used(ours!)).toEqual(used(sdk))
    } finally {
      client.destroy()
    }
  })

  it('reads keys, sizes, ETags and dates exactly', () => {
    const page = parseListPage(BODIES['escaped and non-ASCII keys']!)!
    expect(page.Contents!.map((o) => o.Key)).toEqual([
      'a&b <c>.txt',
      `"q" it's.txt`,
      'line\rbreak\ttab.txt',
      'emoji 😀 éé.txt',
      'ü/日本 語.txt',
      '  spaced  ',
    ])
    // S3 sends such characters as UTF-8; a reference to one (which the SDK's reader drops) is read too.
    expect(parseListPage(xml(`<IsTruncated>false</IsTruncated>${object('&#x1F600;&#128512;')}`))!.Contents![0]!.Key).toBe('😀😀')
    const first = parseListPage(BODIES['a truncated page with a token']!)!
    expect(first).toMatchObject({ IsTruncated: true, NextContinuationToken: '1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=' })
    expect(first.Contents![1]).toEqual({
      Key: 'media/b c.txt',
      Size: 12345678901,
      ETag: '"9b2cf535f27731c974343645a3985328-3"',
      LastModified: new Date('2026-11-30T10:20:30.000Z'),
    })
  })

  it.each([
    ['an HTML page', '<html><body>proxy login</body></html>'],
    ['an S3 error', '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>'],
    ['CDATA', xml(`<IsTruncated>false</IsTruncated><Contents><Key><![CDATA[a]]></Key><Size>1</Size></Contents>`)],
    ['url-encoded keys', xml(`<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>${object('a%20b')}`)],
    ['an unknown entity', xml(`<IsTruncated>false</IsTruncated>${object('a&nbsp;b')}`)],
    ['a bare ampersand', xml(`<IsTruncated>false</IsTruncated>${object('a & b')}`)],
    ['an unclosed Contents', xml(`<IsTruncated>false</IsTruncated><Contents><Key>a</Key>`)],
    ['a Contents without a Key', xml(`<IsTruncated>false</IsTruncated><Contents><Size>1</Size></Contents>`)],
    ['a size that is not a number', xml(`<IsTruncated>false</IsTruncated>${object('a', -1)}`)],
    ['a cut body', BODIES['a truncated page with a token']!.slice(0, 300)],
    // Found by review: well-formed XML we would have read differently from the SDK.
    ['IsTruncated written "True"', xml(`<IsTruncated>True</IsTruncated><NextContinuationToken>t</NextContinuationToken>${object('a')}`)],
    ['an XML comment', xml(`<!-- <Contents><Key>ghost</Key></Contents> --><IsTruncated>false</IsTruncated>${object('a')}`)],
    ['a processing instruction', xml(`<?pi x?><IsTruncated>false</IsTruncated>${object('a')}`)],
    ['content after the root', xml(`<IsTruncated>false</IsTruncated>${object('a')}`) + object('tail')],
    [
      'a Key nested in another member',
      xml(`<IsTruncated>false</IsTruncated><Contents><RestoreStatus><Key>in</Key></RestoreStatus><Key>a</Key></Contents>`),
    ],
    [
      'a date without its zone',
      xml(`<IsTruncated>false</IsTruncated><Contents><Key>a</Key><LastModified>2026-11-30T10:20:30</LastModified></Contents>`),
    ],
    ['a reference to NUL', xml(`<IsTruncated>false</IsTruncated>${object('a&#0;b')}`)],
    ['a reference past U+10FFFF', xml(`<IsTruncated>false</IsTruncated>${object('a&#1114112;b')}`)],
  ])('leaves %s to the SDK (undefined)', (_name, body) => {
    expect(parseListPage(body)).toBeUndefined()
  })
})

describe('DirectList', () => {
  const sdkPage: ListPage = { Contents: [{ Key: 'from-the-sdk' }], IsTruncated: false }

  it('sends a signed GET /bucket?list-type=2 with the prefix, delimiter and token, and reads the page; the SDK not called', async () => {
    handler = (_req, res) => res.writeHead(200).end(BODIES['a truncated page with a token'])
    const fallback = vi.fn(async () => sdkPage)
    const page = await direct().page({ Prefix: 'media/', Delimiter: '/', ContinuationToken: 'a+b/c=' }, undefined, fallback)
    expect(fallback).not.toHaveBeenCalled()
    expect(page.Contents!.map((o) => o.Key)).toEqual(['media/a.txt', 'media/b c.txt'])
    const url = new URL(seen[0]!.url!, endpoint)
    expect(seen[0]!.method).toBe('GET')
    expect(url.pathname).toBe('/bucket')
    expect(Object.fromEntries([...url.searchParams].filter(([k]) => !k.startsWith('X-Amz-')))).toEqual({
      'list-type': '2',
      prefix: 'media/',
      delimiter: '/',
      'continuation-token': 'a+b/c=',
    })
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AK\/\d{8}\/eu-west-3\/s3\/aws4_request$/)
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host')
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/)
  })

  it('a page only the SDK reads goes to the SDK, so a listing is never cut short (IsTruncated "True", two pages)', async () => {
    handler = (req, res) => {
      const second = new URL(req.url!, endpoint).searchParams.get('continuation-token') === 't'
      res
        .writeHead(200)
        .end(
          second
            ? xml(`<IsTruncated>false</IsTruncated>${object('b.txt')}`)
            : xml(`<IsTruncated>True</IsTruncated><NextContinuationToken>t</NextContinuationToken>${object('a.txt')}`),
        )
    }
    const client = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'eu-west-3',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
    })
    try {
      const list = direct()
      const sdk = (request: { ContinuationToken?: string }) => () =>
        client.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: '', ...request }))
      const first = await list.page({ Prefix: '' }, undefined, sdk({}))
      expect(first).toMatchObject({ IsTruncated: true, NextContinuationToken: 't' })
      const second = await list.page({ Prefix: '', ContinuationToken: 't' }, undefined, sdk({ ContinuationToken: 't' }))
      expect([...first.Contents!, ...second.Contents!].map((o) => o.Key)).toEqual(['a.txt', 'b.txt'])
    } finally {
      client.destroy()
    }
  })

  it('signs and sends ExpectedBucketOwner as its header', async () => {
    handler = (_req, res) => res.writeHead(200).end(BODIES['nothing listed'])
    await direct().page({ Prefix: '', ExpectedBucketOwner: '123456789012' }, undefined, async () => sdkPage)
    expect(seen[0]!.headers['x-amz-expected-bucket-owner']).toBe('123456789012')
    expect(new URL(seen[0]!.url!, endpoint).searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-amz-expected-bucket-owner')
  })

  it.each([403, 404, 500, 301])('on a %i: the answer is released and the SDK page is used', async (status) => {
    handler = (_req, res) => res.writeHead(status).end('<Error><Code>X</Code></Error>')
    const fallback = vi.fn(async () => sdkPage)
    expect(await direct().page({ Prefix: '' }, undefined, fallback)).toBe(sdkPage)
    expect(fallback).toHaveBeenCalledTimes(1)
  })

  it('on a 200 it cannot read (not a ListBucketResult): the SDK page is used, and such pages count as misses', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>captive portal</html>')
    const fallback = vi.fn(async () => sdkPage)
    const list = direct()
    expect(await list.page({ Prefix: '' }, undefined, fallback)).toBe(sdkPage)
    expect(fallback).toHaveBeenCalledTimes(1)
    for (let i = 1; i < MAX_MISSES; i++) await list.page({ Prefix: '' }, undefined, fallback)
    expect(list.refusal).toMatch(/fallbacks in a row/)
  })

  it('when the connection is refused or no byte comes within readTimeout: the SDK page is used', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const fallback = vi.fn(async () => sdkPage)
    expect(await direct({ endpointUrl: `http://127.0.0.1:${port}` }).page({ Prefix: '' }, undefined, fallback)).toBe(sdkPage)

    handler = () => undefined // never answers
    expect(await direct({ readTimeout: 150 }).page({ Prefix: '' }, undefined, fallback)).toBe(sdkPage)
    expect(fallback).toHaveBeenCalledTimes(2)
  })

  it(`stops trying after ${MAX_MISSES} fallbacks in a row that the SDK served`, async () => {
    handler = (_req, res) => res.writeHead(403).end()
    const list = direct()
    for (let i = 0; i < MAX_MISSES; i++) await list.page({ Prefix: '' }, undefined, async () => sdkPage)
    expect(seen).toHaveLength(MAX_MISSES)
    expect(list.refusal).toMatch(/fallbacks in a row/)
    await list.page({ Prefix: '' }, undefined, async () => sdkPage)
    expect(seen).toHaveLength(MAX_MISSES) // straight to the SDK
  })

  it("an abort rejects with the caller's reason, and the SDK is not asked", async () => {
    handler = () => undefined // never answers
    const controller = new AbortController()
    const reason = new Error('stop listing')
    const fallback = vi.fn(async () => sdkPage)
    const pending = direct().page({ Prefix: '' }, controller.signal, fallback)
    await vi.waitFor(() => expect(seen).toHaveLength(1))
    controller.abort(reason)
    await expect(pending).rejects.toBe(reason)
    expect(fallback).not.toHaveBeenCalled()
  })

  it('is not used where the direct requests are refused (a ready client)', async () => {
    const fallback = vi.fn(async () => sdkPage)
    const list = direct({ client: new S3Client({ region: 'eu-west-3' }) })
    expect(list.refusal).toMatch(/S3Client/)
    expect(await list.page({ Prefix: '' }, undefined, fallback)).toBe(sdkPage)
    expect(seen).toHaveLength(0)
  })
})
