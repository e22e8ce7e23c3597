/**
 * The PUT side of `serveStorage`: direct uploads to URLs made by `storage.signedUploadUrl()` on a
 * FileSystemStorage or InMemoryStorage. The grant (name, expiry, content type, size limit) is
 * checked in constant time; the body is streamed into `storage.save()` and counted as it passes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Transform, type TransformCallback } from 'node:stream'
import type { Storage } from '../../core/storage.js'
import type { SignedUrlVerifier } from '../../core/capabilities.js'
import { codeOf, header, sendJson, sendText } from './respond.js'

const TOO_LARGE = 'E_UPLOAD_TOO_LARGE'
const CLIENT_GONE = 'E_CLIENT_ABORTED'

/** Counts the body as it passes and fails once it exceeds `limit`. */
class SizeLimit extends Transform {
  bytes = 0
  constructor(private readonly limit: number) {
    super()
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.limit)
      callback(Object.assign(new Error(`The upload is larger than its limit of ${this.limit} bytes.`), { code: TOO_LARGE }))
    else callback(null, chunk)
  }
}

/** The first of `codes` found on `error` or its chain of causes (storages wrap stream errors). */
function codeInChain(error: unknown, codes: string[]): string | undefined {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e)
    if (code && codes.includes(code)) return code
  }
  return undefined
}

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

/** Stops reading the body without destroying the request, then answers. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  // Never destroy the request: stop storing, let the rest of the body drain, close afterwards.
  req.unpipe()
  req.resume()
  sendText(req, res, status, text, { Connection: 'close' })
}

/**
 * Handles a signed PUT of `name` with the query string `query`. Answers 201 with `{ name, size }`,
 * or 403 (missing, bad or expired signature), 415 (content type other than the signed one), 413
 * (larger than the signed `maxSize`: nothing is stored), 409 (the name is taken and the storage
 * does not overwrite: nothing is stored).
 */
export async function handleSignedPut(
  storage: Storage,
  urls: SignedUrlVerifier | undefined,
  name: string,
  query: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const params = new URLSearchParams(query)
  const expires = single(params, 'expires')
  const signature = single(params, 'signature')
  const contentType = single(params, 'contentType')
  const maxSizeText = single(params, 'maxSize')
  if (!urls) return refuse(req, res, 403, 'Forbidden: this storage does not accept signed uploads.')
  if (!expires || !signature || contentType === null || maxSizeText === null) {
    return refuse(req, res, 403, 'Forbidden: a signed upload URL needs one expires and one signature parameter.')
  }
  if (!/^\d{1,15}$/.test(expires) || (maxSizeText !== undefined && !/^\d{1,15}$/.test(maxSizeText))) {
    return refuse(req, res, 403, 'Forbidden: bad signature.')
  }
  const maxSize = maxSizeText === undefined ? undefined : Number(maxSizeText)
  const check = urls.verify({ method: 'PUT', name, expires: Number(expires), contentType, maxSize }, signature)
  if (check === 'expired') return refuse(req, res, 403, 'Forbidden: the upload URL has expired.')
  if (check !== 'ok') return refuse(req, res, 403, 'Forbidden: bad signature.')

  const sentType = header(req, 'content-type')
  if (contentType !== undefined && !sameMediaType(sentType, contentType)) {
    return refuse(req, res, 415, `Unsupported Media Type: this upload URL only accepts Content-Type: ${contentType}.`)
  }
  const declared = header(req, 'content-length')
  if (maxSize !== undefined && declared !== undefined && Number(declared) > maxSize) {
    return refuse(req, res, 413, `Payload Too Large: this upload URL accepts at most ${maxSize} bytes.`)
  }
  // The name was free when the URL was signed. Without fileOverwrite the first upload wins:
  // a second one (a replay, or another writer since) is refused instead of renamed or replacing it.
  if (!storage.fileOverwrite && (await storage.exists(name))) {
    return refuse(req, res, 409, 'Conflict: a file of this name exists; ask for a new upload URL.')
  }

  const counter = new SizeLimit(maxSize ?? Number.POSITIVE_INFINITY)
  const onClose = () => {
    if (!req.readableEnded) counter.destroy(Object.assign(new Error('The client closed the upload before its end.'), { code: CLIENT_GONE }))
  }
  // The storage may first check names before it reads: an early failure waits here for it.
  counter.on('error', () => {})
  req.once('close', onClose)
  req.once('error', onClose)
  req.pipe(counter)
  let stored: string
  try {
    stored = await storage.save(name, counter, { contentType: contentType ?? sentType })
  } catch (error) {
    const code = codeInChain(error, [TOO_LARGE, CLIENT_GONE])
    if (code === TOO_LARGE) return refuse(req, res, 413, `Payload Too Large: this upload URL accepts at most ${maxSize} bytes.`)
    if (code === CLIENT_GONE) return void res.destroy()
    req.unpipe(counter)
    req.resume()
    throw error
  } finally {
    req.off('close', onClose)
    req.off('error', onClose)
  }
  if (stored !== name) {
    // Taken between the check above and the commit: give the other writer the name.
    await storage.delete(stored)
    return refuse(req, res, 409, 'Conflict: a file of this name exists; ask for a new upload URL.')
  }
  let etag: string | undefined
  try {
    etag = (await storage.stat(stored)).etag
  } catch {}
  sendJson(res, 201, { name: stored, size: counter.bytes }, etag ? { ETag: etag } : {})
}
