/**
 * CloudFront signed URLs with a canned policy, without the AWS SDK: the layout django-storages
 * (botocore's `CloudFrontSigner.generate_presigned_url`) produces.
 *
 * - Policy, exactly: `{"Statement":[{"Resource":"<url>","Condition":{"DateLessThan":{"AWS:EpochTime":<int>}}}]}`,
 *   with the expiry truncated to whole seconds. The URL is JSON-escaped as Python's `json.dumps`
 *   does by default (non-ASCII as `\uXXXX`); URLs from `url()` are ASCII, so this rarely matters.
 * - Signature: RSA-SHA1, PKCS#1 v1.5, base64 with `+` → `-`, `=` → `_`, `/` → `~`.
 * - Appended as `Expires=<int>&Signature=<sig>&Key-Pair-Id=<id>`, after `&` if the URL already
 *   has a `?`, else after `?`.
 *
 * `@aws-sdk/cloudfront-signer` differs in two details: it orders the parameters
 * `Expires&Key-Pair-Id&Signature`, and it rounds the expiry to the nearest second rather than
 * truncating it. The signature over the same policy is the same.
 */
import type { KeyObject } from 'node:crypto'
import { builtin } from '../../../core/builtins.js'
import type { CloudFrontSignerFunction } from '../options.js'

const NON_ASCII = /[\u007f-\uffff]/g
const asciiJson = (value: string): string =>
  JSON.stringify(value).replace(NON_ASCII, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))

/** The canned policy for `url` valid until `epochSeconds`, byte for byte as CloudFront expects. */
export function cannedPolicy(url: string, epochSeconds: number): string {
  return `{"Statement":[{"Resource":${asciiJson(url)},"Condition":{"DateLessThan":{"AWS:EpochTime":${epochSeconds}}}}]}`
}

/** CloudFront's URL-safe base64: `+` → `-`, `=` → `_`, `/` → `~`. */
export function cloudFrontBase64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~')
}

/**
 * Create a canned-policy signer for a CloudFront key pair. The PEM (PKCS#1 or PKCS#8 RSA private
 * key) is parsed once here; a key that cannot be parsed throws without echoing the key.
 */
export function createCloudFrontSigner(keyPairId: string, privateKeyPem: string | Buffer): CloudFrontSignerFunction {
  if (typeof keyPairId !== 'string' || keyPairId === '') {
    throw new Error('CloudFront signing needs a key pair id (cloudfrontKeyId).')
  }
  const { createPrivateKey, sign } = builtin('node:crypto')
  let key: KeyObject
  try {
    key = createPrivateKey(privateKeyPem)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new Error(
      'The CloudFront private key could not be parsed: expected an RSA private key in PEM format ' +
        `("-----BEGIN RSA PRIVATE KEY-----" or "-----BEGIN PRIVATE KEY-----")${typeof code === 'string' ? ` (${code})` : ''}.`,
    )
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new Error(`The CloudFront private key must be an RSA key, not ${key.asymmetricKeyType ?? 'unknown'}.`)
  }
  const suffix = '&Key-Pair-Id=' + keyPairId

  return (url: string, expiresAt: Date): string => {
    const time = expiresAt instanceof Date ? expiresAt.getTime() : NaN
    if (!Number.isFinite(time)) throw new Error('CloudFront URL expiry must be a valid Date.')
    const epoch = Math.floor(time / 1000)
    const signature = cloudFrontBase64(sign('RSA-SHA1', Buffer.from(cannedPolicy(url, epoch), 'utf8'), key))
    return `${url}${url.includes('?') ? '&' : '?'}Expires=${epoch}&Signature=${signature}${suffix}`
  }
}
