/**
 * The PUT side of the HTTP core: direct uploads to URLs made by `storage.signedUploadUrl()` on a
 * storage with a `SignedUrlVerifier` (FileSystemStorage, InMemoryStorage, third-party backends).
 * The grant (name, expiry, content type, size limit) is checked in constant time; the body is
 * streamed into `storage.save()` and counted as it passes.
 */
import type { SignedUrlVerifier } from '../../core/capabilities.js'
import type { Storage } from '../../core/storage.js'
import { clientErrorOf, findCode, isNameTooLong, jsonAnswer, textAnswer } from './answers.js'
import { ByteCount, declaredLength } from './byte-count.js'
import type { HttpAnswer, HttpExchange } from './exchange.js'

/** One query parameter that must appear at most once; `null` when repeated. */
function single(params: URLSearchParams, key: string): string | undefined | null {
  const all = params.getAll(key)
  if (all.length > 1) return null
  return all[0]
}

/** `type/subtype; a=b` compared without case or spaces around `;`. */
function sameMediaType(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false
  const norm = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/\s*;\s*/g, ';')
      .replace(/\s*=\s*/g, '=')
  return norm(given) === norm(expected)
}

/** A refusal that leaves the body unread: the transport drains it and closes the connection. */
function refuse(status: number, text: string): HttpAnswer {
  return { ...textAnswer(status, text, 'PUT'), bodyUnread: true }
}

const CONFLICT = 'Conflict: a file of this name exists; ask for a new upload URL.'

/**
 * Handles a signed PUT of `name` with the query string `query`. Answers 201 with `{ name, size }`,
 * or 403 (missing, bad or expired signature), 415 (content type other than the signed one), 413
 * (larger than the signed `maxSize`: nothing is stored), 409 (the name is taken and the storage
 * does not overwrite: nothing is stored), 400 (a body shorter than its `Content-Length`: nothing
 * is stored).
 */
export async function signedPut(
  storage: Storage,
  urls: SignedUrlVerifier | undefined,
  name: string,
  query: string,
  exchange: HttpExchange,
): Promise<HttpAnswer> {
  const params = new URLSearchParams(query)
  const expires = single(params, 'expires')
  const signature = single(params, 'signature')
  const contentType = single(params, 'contentType')
  const maxSizeText = single(params, 'maxSize')
  if (!urls) return refuse(403, 'Forbidden: this storage does not accept signed uploads.')
  if (!expires || !signature || contentType === null || maxSizeText === null) {
    return refuse(403, 'Forbidden: a signed upload URL needs one expires and one signature parameter.')
  }
  if (!/^\d{1,15}$/.test(expires) || (maxSizeText !== undefined && !/^\d{1,15}$/.test(maxSizeText))) {
    return refuse(403, 'Forbidden: bad signature.')
  }
  const maxSize = maxSizeText === undefined ? undefined : Number(maxSizeText)
  const check = urls.verify({ method: 'PUT', name, expires: Number(expires), contentType, maxSize }, signature)
  if (check === 'expired') return refuse(403, 'Forbidden: the upload URL has expired.')
  if (check !== 'ok') return refuse(403, 'Forbidden: bad signature.')

  const sentType = exchange.header('content-type')
  if (contentType !== undefined && !sameMediaType(sentType, contentType)) {
    return refuse(415, `Unsupported Media Type: this upload URL only accepts Content-Type: ${contentType}.`)
  }
  const declared = declaredLength(exchange.header('content-length'))
  const tooLarge = `Payload Too Large: this upload URL accepts at most ${maxSize} bytes.`
  if (maxSize !== undefined && declared !== undefined && declared > maxSize) return refuse(413, tooLarge)
  // The name was free when the URL was signed. Without fileOverwrite the first upload wins:
  // a second one (a replay, or another writer since) is refused instead of renamed or replacing it.
  try {
    if (!storage.fileOverwrite && (await storage.exists(name, { signal: exchange.signal }))) return refuse(409, CONFLICT)
  } catch (error) {
    if (isNameTooLong(error)) return refuse(400, clientErrorOf(error).message)
    throw error
  }

  const counter = new ByteCount({ max: maxSize, expected: declared, what: 'this upload URL accepts' })
  const source = exchange.body()
  const onSourceError = (error: unknown) => counter.destroy(error as Error)
  // A body that fails after the answer (the client hangs up while it drains) must not crash the process.
  source.on('error', () => {})
  source.on('error', onSourceError)
  source.pipe(counter)
  let stored: string
  try {
    stored = await storage.save(name, counter, { contentType: contentType ?? sentType, signal: exchange.signal })
  } catch (error) {
    // Stop reading, never destroy the request: the transport lets the rest drain.
    source.unpipe(counter)
    if (findCode(error, ['E_TOO_LARGE'])) return refuse(413, tooLarge)
    const short = findCode(error, ['E_BAD_REQUEST']) as Error | undefined
    if (short) return refuse(400, `Bad Request: ${short.message}`)
    if (exchange.signal.aborted) return refuse(400, 'Bad Request: the client closed the upload before its end.')
    const { status, message } = clientErrorOf(error)
    if (status < 500) return refuse(status, message)
    throw error
  } finally {
    source.off('error', onSourceError)
  }
  if (stored !== name) {
    // Taken between the check above and the commit: give the other writer the name.
    await storage.delete(stored)
    return refuse(409, CONFLICT)
  }
  let etag: string | undefined
  try {
    etag = (await storage.stat(stored)).etag
  } catch {}
  return jsonAnswer(201, { name: stored, size: counter.bytes }, etag ? { ETag: etag } : {})
}
