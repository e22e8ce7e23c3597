// The verifying proxy's ledger of multipart uploads. s3rver implements CreateMultipartUpload,
// UploadPart and CompleteMultipartUpload, but answers AbortMultipartUpload with 405 and
// ListMultipartUploads with 501, so the proxy notes every upload it sees created and completed,
// and answers those two calls itself, as S3 does. Only uploads created through the same proxy
// are known to it: a part, completion or abort for any other upload id is a 404 NoSuchUpload.
import http from 'node:http'

export type MultipartUploadState = 'open' | 'completed' | 'aborted'

export interface MultipartUpload {
  bucket: string
  key: string
  uploadId: string
  initiated: Date
  storageClass: string
  state: MultipartUploadState
}

/** A request that concerns multipart uploads, as the ledger sees it. */
export type MultipartCall =
  | { op: 'create'; bucket: string; key: string }
  | { op: 'list'; bucket: string; query: Record<string, string> }
  | { op: 'abort' | 'part' | 'complete' | 'listParts'; bucket: string; key: string; uploadId: string }

/** What the proxy answers by itself: a success (`xml` body, or none for 204) or an S3 error. */
export type LedgerAnswer =
  | { status: 200 | 204; xml?: string }
  | { status: number; code: string; message: string; extra?: Record<string, string> }

export const xmlEscape = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!)
const xmlUnescape = (s: string) =>
  s.replace(/&(lt|gt|amp|apos|quot|#x[0-9a-f]+|#\d+);/gi, (_, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(Number(e[1].toLowerCase() === 'x' ? `0${e.slice(1)}` : e.slice(1)))
      : ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' } as Record<string, string>)[e],
  )
const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
/** S3 orders keys by their UTF-8 bytes (not by UTF-16 code units, as `<` does). */
const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

/** Listing parameters S3 has and the ledger does not implement: refused rather than ignored. */
const UNSUPPORTED_LIST_PARAMS = ['delimiter', 'key-marker', 'upload-id-marker', 'max-uploads', 'encoding-type']
const MAX_UPLOADS = 1000

const noSuchBucket = (bucket: string): LedgerAnswer => ({
  status: 404,
  code: 'NoSuchBucket',
  message: 'The specified bucket does not exist',
  extra: { BucketName: bucket },
})
const noSuchUpload = (uploadId: string): LedgerAnswer => ({
  status: 404,
  code: 'NoSuchUpload',
  extra: { UploadId: uploadId },
  message: 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
})

/** Writes an S3 answer: an `<Error>` document, or `xml` (none for a 204). */
export function sendAnswer(res: http.ServerResponse, answer: LedgerAnswer): void {
  let body = 'xml' in answer ? answer.xml : undefined
  if ('code' in answer) {
    const fields = Object.entries({ Code: answer.code, Message: answer.message, ...answer.extra, RequestId: 'sigv4-proxy' })
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields.map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('')}</Error>`
  }
  res.writeHead(answer.status, body === undefined ? {} : { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/**
 * Classifies a path-style request (`/bucket/key?…`, path still percent-encoded, query decoded);
 * undefined when it has nothing to do with multipart uploads.
 */
export function multipartCall(method: string, rawPath: string, query: Record<string, string>): MultipartCall | undefined {
  const [, rawBucket = '', ...rest] = rawPath.split('/')
  const bucket = safeDecode(rawBucket)
  const key = safeDecode(rest.join('/'))
  if (!bucket) return undefined
  if (!key) return method === 'GET' && 'uploads' in query ? { op: 'list', bucket, query } : undefined
  if ('uploads' in query) return method === 'POST' && !('uploadId' in query) ? { op: 'create', bucket, key } : undefined
  if (!('uploadId' in query)) return undefined
  const op = ({ DELETE: 'abort', PUT: 'part', POST: 'complete', GET: 'listParts' } as const)[method]
  return op && { op, bucket, key, uploadId: query.uploadId }
}

export class MultipartLedger {
  /** Every upload seen, by upload id, in the order they were created. */
  readonly #uploads = new Map<string, MultipartUpload>()

  /** `target` and `agent`: the S3 server behind the proxy, asked whether a bucket exists. */
  constructor(
    private readonly target: URL,
    private readonly agent: http.Agent,
  ) {}

  /** Every upload created through the proxy, oldest first, with its state (copies). */
  all(): MultipartUpload[] {
    return [...this.#uploads.values()].map((u) => ({ ...u, initiated: new Date(u.initiated) }))
  }

  /** The uploads neither completed nor aborted, oldest first (copies). */
  open(): MultipartUpload[] {
    return this.all().filter((u) => u.state === 'open')
  }

  /**
   * Passes the target's answer `up` to a forwarded call on to `res` (with `headers`). A 200 to
   * CreateMultipartUpload or CompleteMultipartUpload (small XML) is read whole and noted before
   * the client gets it, unchanged; false when `up` is not one of those (the caller relays it).
   */
  relay(
    call: MultipartCall,
    req: http.IncomingMessage,
    up: http.IncomingMessage,
    res: http.ServerResponse,
    headers: http.OutgoingHttpHeaders,
  ): boolean {
    if (up.statusCode !== 200 || (call.op !== 'create' && call.op !== 'complete')) return false
    const chunks: Buffer[] = []
    up.on('data', (c: Buffer) => chunks.push(c))
    up.on('end', () => {
      const body = Buffer.concat(chunks)
      this.#observe(call, body.toString('utf8'), req.headersDistinct['x-amz-storage-class']?.[0])
      res.writeHead(200, up.statusMessage, headers)
      res.end(body)
    })
    return true
  }

  /** Notes a successful CreateMultipartUpload, or a CompleteMultipartUpload (S3 may answer 200 with an `<Error>` body). */
  #observe(call: MultipartCall, body: string, storageClass = 'STANDARD'): void {
    if (call.op === 'create' && /<InitiateMultipartUploadResult[\s>]/.test(body)) {
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(body)?.[1]
      if (id === undefined) return
      const uploadId = xmlUnescape(id)
      this.#uploads.set(uploadId, { bucket: call.bucket, key: call.key, uploadId, initiated: new Date(), storageClass, state: 'open' })
    } else if (call.op === 'complete' && /<CompleteMultipartUploadResult[\s>]/.test(body)) {
      const upload = this.#find(call)
      if (upload) upload.state = 'completed'
    }
  }

  /**
   * What the proxy answers itself to `call` (NoSuchBucket rather than a listing or an error when
   * the target has no such bucket), or undefined when the request goes on to the target.
   */
  async answer(call: MultipartCall): Promise<LedgerAnswer | undefined> {
    const own = this.#answer(call)
    if (!own || own.status === 204) return own
    try {
      return (await this.#bucketExists(call.bucket)) ? own : noSuchBucket(call.bucket)
    } catch (err) {
      return { status: 502, code: 'BadGateway', message: `sigv4-proxy could not reach ${this.target.origin}: ${(err as Error).message}` }
    }
  }

  #answer(call: MultipartCall): LedgerAnswer | undefined {
    switch (call.op) {
      case 'create':
        return undefined
      case 'list':
        return this.#list(call.bucket, call.query)
      case 'abort': {
        const upload = this.#find(call)
        if (!upload) return noSuchUpload(call.uploadId)
        upload.state = 'aborted'
        return { status: 204 }
      }
      default: // UploadPart, ListParts and CompleteMultipartUpload need an open upload
        return this.#find(call) ? undefined : noSuchUpload(call.uploadId)
    }
  }

  /** Whether the target has `bucket` (s3rver answers GetBucketLocation with 404 for a missing one). */
  #bucketExists(bucket: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const path = `/${encodeURIComponent(bucket)}?location`
      http
        .request({ agent: this.agent, hostname: this.target.hostname, port: this.target.port, path }, (up) => {
          up.resume()
          resolve(up.statusCode !== 404)
        })
        .on('error', reject)
        .end()
    })
  }

  /** The open upload a call names (same bucket and key too, as S3 requires). */
  #find(call: { bucket: string; key: string; uploadId: string }): MultipartUpload | undefined {
    const upload = this.#uploads.get(call.uploadId)
    return upload?.state === 'open' && upload.bucket === call.bucket && upload.key === call.key ? upload : undefined
  }

  /** ListMultipartUploadsResult: open uploads of `bucket` under `prefix`, by key, then oldest first. */
  #list(bucket: string, query: Record<string, string>): LedgerAnswer {
    const unsupported = UNSUPPORTED_LIST_PARAMS.filter((p) => p in query)
    if (unsupported.length)
      return {
        status: 501,
        code: 'NotImplemented',
        message: `The test proxy's ListMultipartUploads does not implement ${unsupported.join(', ')}`,
      }
    const prefix = query.prefix ?? ''
    const matching = this.open()
      .filter((u) => u.bucket === bucket && u.key.startsWith(prefix))
      .sort((a, b) => byUtf8(a.key, b.key) || a.initiated.getTime() - b.initiated.getTime())
    const page = matching.slice(0, MAX_UPLOADS)
    const truncated = matching.length > page.length
    const el = (name: string, value: string) => `<${name}>${xmlEscape(value)}</${name}>`
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      el('Bucket', bucket),
      el('KeyMarker', ''),
      el('UploadIdMarker', ''),
      ...(truncated ? [el('NextKeyMarker', page.at(-1)!.key), el('NextUploadIdMarker', page.at(-1)!.uploadId)] : []),
      el('Prefix', prefix),
      el('MaxUploads', String(MAX_UPLOADS)),
      el('IsTruncated', String(truncated)),
      ...page.map(
        (u) =>
          '<Upload>' +
          el('Key', u.key) +
          el('UploadId', u.uploadId) +
          el('StorageClass', u.storageClass) +
          el('Initiated', u.initiated.toISOString()) +
          '</Upload>',
      ),
      '</ListMultipartUploadsResult>',
    ].join('')
    return { status: 200, xml }
  }
}
