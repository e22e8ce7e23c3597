/** The signed-URL check of GET and HEAD, for storages whose `SignedUrlVerifier` requires a signature. */
import type { SignedUrlVerifier } from '../../core/capabilities.js'
import { textAnswer } from './answers.js'
import type { HttpAnswer } from './exchange.js'

type Check = 'ok' | 'missing' | 'expired' | 'bad-signature'

function check(urls: SignedUrlVerifier, name: string, query: string, method: string): Check {
  const params = new URLSearchParams(query)
  const expires = params.getAll('expires')
  const signature = params.getAll('signature')
  if (expires.length === 0 && signature.length === 0) return 'missing'
  if (expires.length !== 1 || signature.length !== 1 || !/^\d{1,15}$/.test(expires[0]!)) return 'bad-signature'
  const grant = { name, expires: Number(expires[0]) }
  const asGet = urls.verify({ ...grant, method: 'GET' }, signature[0]!)
  // A HEAD may use a URL signed for GET, or one signed for HEAD (`url(name, { httpMethod: 'HEAD' })`).
  if (asGet !== 'bad-signature' || method !== 'HEAD') return asGet
  return urls.verify({ ...grant, method: 'HEAD' }, signature[0]!)
}

/**
 * The 403 a GET or HEAD of `name` gets when its signature is missing, bad or expired; undefined
 * when it may go on. Checked before the file is looked up, so a 403 says nothing about existence.
 */
export function refuseUnsigned(urls: SignedUrlVerifier, name: string, query: string, method: string): HttpAnswer | undefined {
  const result = check(urls, name, query, method)
  if (result === 'ok') return undefined
  if (result === 'missing') return textAnswer(403, 'Forbidden: this file needs a signed URL.', method)
  if (result === 'expired') return textAnswer(403, 'Forbidden: the signed URL has expired.', method)
  return textAnswer(403, 'Forbidden: bad signature.', method)
}
