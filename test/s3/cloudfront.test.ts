/** CloudFront canned-policy signing: URL layout, signature checked with the public key. */
import { generateKeyPairSync, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'

import { cannedPolicy, createCloudFrontSigner } from '../../src/backends/s3/signing/cloudfront.js'
import { filepathToUri, formEncode } from '../../src/core/uri.js'

// A throwaway key pair, generated per run: no private key is stored in the repository.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
const fromCloudFrontBase64 = (s: string) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64')

/** Split a signed URL into the URL that was signed and its three CloudFront parameters. */
function parse(signed: string) {
  const m = /^(.*)[?&]Expires=(\d+)&Signature=([A-Za-z0-9~_-]+)&Key-Pair-Id=([^&]+)$/.exec(signed)
  if (!m) throw new Error(`not a canned-policy URL: ${signed}`)
  return { url: m[1], expires: Number(m[2]), signature: m[3], keyPairId: m[4] }
}

describe('createCloudFrontSigner', () => {
  const signer = createCloudFrontSigner('K2JCJMDEHXQW5F', PEM)

  it('appends Expires, Signature and Key-Pair-Id in that order (the layout django-storages produces)', () => {
    const signed = signer('https://mock.cloudfront.net/file.txt', new Date(3600 * 1000))
    expect(signed).toMatch(
      /^https:\/\/mock\.cloudfront\.net\/file\.txt\?Expires=3600&Signature=[A-Za-z0-9~_-]+&Key-Pair-Id=K2JCJMDEHXQW5F$/,
    )
    expect(parse(signed).signature).not.toMatch(/[+=/]/)
  })

  it('keeps params before Expires, joined with &', () => {
    const url = `https://mock.cloudfront.net/${filepathToUri('a b.txt')}?${formEncode({ version: 10 })}`
    const signed = signer(url, new Date(60_000))
    expect(signed.startsWith('https://mock.cloudfront.net/a%20b.txt?version=10&Expires=60&Signature=')).toBe(true)
    expect(parse(signed).url).toBe(url)
  })

  it('signs the exact canned policy with RSA-SHA1, verifiable with the public key', () => {
    for (const [url, when] of [
      ['https://d111111abcdef8.cloudfront.net/media/x%20y.txt', new Date('2030-01-02T03:04:05.999Z')],
      ['https://cdn.example.com/a.mp4?version=10&a+b=c%26d', new Date(1_700_000_000_000)],
      ["http://c/~!*()'%40.file", new Date(1000)],
    ] as const) {
      const signed = parse(signer(url, when))
      const epoch = Math.floor(when.getTime() / 1000)
      expect(signed.expires).toBe(epoch)
      const policy = `{"Statement":[{"Resource":"${url}","Condition":{"DateLessThan":{"AWS:EpochTime":${epoch}}}}]}`
      expect(cannedPolicy(url, epoch)).toBe(policy)
      const bytes = fromCloudFrontBase64(signed.signature)
      expect(bytes.length).toBe(256)
      expect(verify('RSA-SHA1', Buffer.from(policy), publicKey, bytes)).toBe(true)
      // The signature covers the URL and the expiry: changing either breaks it.
      expect(verify('RSA-SHA1', Buffer.from(policy.replace(String(epoch), String(epoch + 1))), publicKey, bytes)).toBe(false)
      expect(verify('RSA-SHA1', Buffer.from(policy.replace(url, url + 'x')), publicKey, bytes)).toBe(false)
    }
  })

  it('truncates the expiry to whole seconds, and escapes non-ASCII in the policy as Python does', () => {
    expect(parse(signer('https://c/x', new Date(3600_999))).expires).toBe(3600)
    expect(cannedPolicy('https://ü.example/日', 1)).toBe(
      '{"Statement":[{"Resource":"https://\\u00fc.example/\\u65e5","Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}',
    )
  })

  it('accepts a Buffer and a PKCS#8 PEM', () => {
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    for (const key of [Buffer.from(PEM), pkcs8]) {
      const signed = parse(createCloudFrontSigner('KID', key)('https://c/x', new Date(5000)))
      expect(verify('RSA-SHA1', Buffer.from(cannedPolicy('https://c/x', 5)), publicKey, fromCloudFrontBase64(signed.signature))).toBe(true)
    }
  })

  it('a bad PEM throws saying the key could not be parsed, without echoing it', () => {
    const bad = '-----BEGIN RSA PRIVATE KEY-----\nTOPSECRETNOTAKEY\n-----END RSA PRIVATE KEY-----\n'
    let message = ''
    try {
      createCloudFrontSigner('KID', bad)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/could not be parsed/)
    expect(message).not.toContain('TOPSECRET')
    expect(() => createCloudFrontSigner('KID', 'not a pem')).toThrow(/could not be parsed/)
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' })
    expect(() => createCloudFrontSigner('KID', ec)).toThrow(/must be an RSA key/)
    expect(() => createCloudFrontSigner('', PEM)).toThrow(/key pair id/)
    expect(() => signer('https://c/x', new Date(NaN))).toThrow(/valid Date/)
  })
})
