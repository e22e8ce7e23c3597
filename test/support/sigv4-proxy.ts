// A small HTTP proxy for tests that checks AWS Signature Version 4 the way S3 does (s3rver does
// not), records every request's method, path, query and headers (never the body), and answers
// AbortMultipartUpload and ListMultipartUploads itself from a ledger (see multipart-ledger.ts).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { MultipartLedger, multipartCall, sendAnswer, type MultipartUpload } from './multipart-ledger.js'
export type { MultipartUpload, MultipartUploadState } from './multipart-ledger.js'

export interface ProxyCredential {
  accessKeyId: string
  secretAccessKey: string
}

export interface VerifyingProxyOptions {
  /** The S3 endpoint to forward to, e.g. `http://127.0.0.1:PORT` (s3rver). */
  target: string
  /** Accepted key pairs; signatures are verified against the matching secret. */
  credentials: ProxyCredential[]
  /** Allowed distance between `X-Amz-Date` and now for header-signed requests. Default 900. */
  clockSkewSeconds?: number
  /** Refuse requests carrying no signature at all (CORS preflights always pass). Default true. */
  requireSignature?: boolean
  /** If set, the credential scope's region must be this. Default: any region. */
  region?: string
  /** Keep `requests` (turn off where nobody reads them, e.g. a long-lived global proxy). Default true. */
  record?: boolean
  /** Keep a ledger of multipart uploads and answer AbortMultipartUpload and ListMultipartUploads
   *  from it (see multipart-ledger.ts). Default true. */
  multipartLedger?: boolean
}

export interface RecordedRequest {
  method: string
  /** The path exactly as received (still percent-encoded), without the query. */
  path: string
  /** Decoded query parameters (for repeated names: the last value). */
  query: Record<string, string>
  /** Headers as Node parsed them (lower-case names). */
  headers: http.IncomingHttpHeaders
  /** How the request was signed. */
  auth: 'header' | 'query' | 'none'
  accessKeyId?: string
  /** The S3 error code when the proxy refused the request itself. */
  rejected?: string
  /** The status code sent back to the client, once known. */
  status?: number
}

export interface VerifyingProxy {
  endpoint: string
  port: number
  /** Every request received so far, oldest first (the array is cleared in place). */
  requests: RecordedRequest[]
  /** Can be flipped at run time. */
  requireSignature: boolean
  /** Multipart uploads created through the proxy and neither completed nor aborted, oldest first. */
  openUploads(): MultipartUpload[]
  /** Every multipart upload created through the proxy, with its state, oldest first. */
  multipartUploads(): MultipartUpload[]
  clear(): void
  stop(): Promise<void>
}

/** The outcome of {@link verifySigV4}: accepted, or the S3 error to answer with. */
export type Verdict =
  | { ok: true; auth: RecordedRequest['auth']; accessKeyId?: string; payloadHash?: string }
  | { ok: false; status: number; code: string; message: string; extra?: Record<string, string> }

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
])
const ALGORITHM = 'AWS4-HMAC-SHA256'
const MAX_PRESIGN_EXPIRES = 604_800

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()
/** RFC 3986 encoding, as SigV4 wants it (unreserved characters stay as they are). */
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
/** Parses `20240101T000000Z`; NaN if malformed. */
const parseAmzDate = (s: string | undefined) => {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '')
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN
}
const fail = (status: number, code: string, message: string, extra?: Record<string, string>): Verdict => ({
  ok: false,
  status,
  code,
  message,
  extra,
})

function parseQuery(raw: string): [string, string][] {
  return raw
    .split('&')
    .filter(Boolean)
    .map((part) => {
      const i = part.indexOf('=')
      return i < 0 ? [safeDecode(part), ''] : [safeDecode(part.slice(0, i)), safeDecode(part.slice(i + 1))]
    })
}

/**
 * Verifies one request's SigV4 signature (Authorization header or presigned query) against
 * `credentials`, recomputing the canonical request from what was received. Exported for tests.
 */
export function verifySigV4(
  req: Pick<http.IncomingMessage, 'method' | 'url' | 'headersDistinct'>,
  opts: { credentials: ProxyCredential[]; clockSkewSeconds: number; requireSignature: boolean; region?: string },
  now = Date.now(),
): Verdict {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const rawPath = q < 0 ? url : url.slice(0, q)
  const pairs = parseQuery(q < 0 ? '' : url.slice(q + 1))
  const params = new Map(pairs)
  const header = (name: string) => req.headersDistinct[name]?.join(',')
  const authz = header('authorization')
  const isQuery = params.has('X-Amz-Algorithm') || params.has('X-Amz-Signature')

  if (req.method === 'OPTIONS') return { ok: true, auth: 'none' } // CORS preflights are never authenticated
  if (!authz && !isQuery) {
    if (!opts.requireSignature) return { ok: true, auth: 'none' }
    return fail(403, 'AccessDenied', 'Access Denied (the request is not signed)')
  }
  if (authz && isQuery) return fail(400, 'InvalidArgument', 'Only one auth mechanism allowed')

  let credential: string, signedHeaders: string, signature: string, amzDate: string, payloadHash: string
  const malformed = isQuery ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed'
  if (isQuery) {
    const missing = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'].filter(
      (p) => !params.has(p),
    )
    if (missing.length) return fail(400, malformed, `Query-string authentication is missing ${missing.join(', ')}`)
    if (params.get('X-Amz-Algorithm') !== ALGORITHM) return fail(400, malformed, `X-Amz-Algorithm only supports "${ALGORITHM}"`)
    credential = params.get('X-Amz-Credential')!
    signedHeaders = params.get('X-Amz-SignedHeaders')!
    signature = params.get('X-Amz-Signature')!
    amzDate = params.get('X-Amz-Date')!
    payloadHash = params.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD'
    const expires = Number(params.get('X-Amz-Expires'))
    const signedAt = parseAmzDate(amzDate)
    if (Number.isNaN(signedAt)) return fail(400, malformed, 'X-Amz-Date must be in the ISO8601 basic format')
    if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_EXPIRES)
      return fail(400, malformed, `X-Amz-Expires must be between 1 and ${MAX_PRESIGN_EXPIRES} seconds`)
    if (now > signedAt + expires * 1000) return fail(403, 'AccessDenied', 'Request has expired')
    if (signedAt - now > opts.clockSkewSeconds * 1000) return fail(403, 'AccessDenied', 'Request is not yet valid')
  } else {
    const [algorithm, ...rest] = authz!.trim().split(/\s+/)
    if (algorithm !== ALGORITHM) return fail(400, malformed, `Unsupported authorization type ${algorithm}`)
    const parts = new Map(
      rest
        .join('')
        .split(',')
        .filter(Boolean)
        .map((kv) => {
          const i = kv.indexOf('=')
          return [kv.slice(0, i), kv.slice(i + 1)] as [string, string]
        }),
    )
    if (!parts.get('Credential') || !parts.get('SignedHeaders') || !parts.get('Signature'))
      return fail(400, malformed, 'The authorization header requires Credential, SignedHeaders and Signature')
    credential = parts.get('Credential')!
    signedHeaders = parts.get('SignedHeaders')!
    signature = parts.get('Signature')!
    amzDate = header('x-amz-date') ?? ''
    const contentSha = header('x-amz-content-sha256')
    if (!contentSha) return fail(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256')
    if (!/^(UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]+|[0-9a-f]{64})$/.test(contentSha))
      return fail(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-*, or a SHA-256')
    payloadHash = contentSha
    const signedAt = parseAmzDate(amzDate)
    if (Number.isNaN(signedAt)) return fail(403, 'AccessDenied', 'AWS authentication requires a valid x-amz-date header')
    if (Math.abs(now - signedAt) > opts.clockSkewSeconds * 1000)
      return fail(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.')
  }

  const [accessKeyId, scopeDate, region, service, terminator, ...more] = credential.split('/')
  if (more.length || terminator !== 'aws4_request' || service !== 's3' || !region)
    return fail(400, malformed, `Malformed credential scope: ${credential}`)
  if (scopeDate !== amzDate.slice(0, 8)) return fail(400, malformed, 'Credential date is not the date of X-Amz-Date')
  if (opts.region && region !== opts.region) return fail(400, malformed, `The region '${region}' is wrong; expecting '${opts.region}'`)
  const secret = opts.credentials.find((c) => c.accessKeyId === accessKeyId)?.secretAccessKey
  if (secret === undefined)
    return fail(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: accessKeyId,
    })

  const signedList = signedHeaders.split(';')
  if (!signedList.includes('host')) return fail(403, 'AccessDenied', 'The host header must be signed')
  const unsigned = Object.keys(req.headersDistinct).filter((h) => h.startsWith('x-amz-') && !signedList.includes(h))
  if (unsigned.length)
    return fail(403, 'AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    })

  const canonicalUri =
    rawPath
      .split('/')
      .map((seg) => rfc3986(safeDecode(seg)))
      .join('/') || '/'
  const canonicalQuery = pairs
    .filter(([k]) => !(isQuery && k === 'X-Amz-Signature'))
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  const canonicalHeaders = signedList
    .map((h) => `${h}:${(req.headersDistinct[h] ?? []).map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`)
    .join('')
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n')
  const scope = `${scopeDate}/${region}/s3/aws4_request`
  const stringToSign = [ALGORITHM, amzDate, scope, sha256hex(canonicalRequest)].join('\n')
  const key = ['s3', 'aws4_request'].reduce(hmac, hmac(hmac(`AWS4${secret}`, scopeDate), region))
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex')
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected)))
    return fail(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: accessKeyId, StringToSign: stringToSign, CanonicalRequest: canonicalRequest },
    )
  return { ok: true, auth: isQuery ? 'query' : 'header', accessKeyId, payloadHash }
}

/** The headers of a message without the hop-by-hop ones (and those `Connection` names), for forwarding. */
export function forwardHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .toLowerCase()
    .split(',')
    .map((s) => s.trim())
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k) && !named.includes(k)))
}

/**
 * Starts an HTTP server on 127.0.0.1 (random port) that verifies each request's SigV4
 * signature, answers refusals with S3-style 403/400 XML errors, records every request, and
 * forwards accepted ones verbatim to `target`, streaming bodies both ways. A hex
 * `x-amz-content-sha256` is checked against the body before anything is forwarded. With the
 * multipart ledger (default), AbortMultipartUpload and ListMultipartUploads are never forwarded.
 */
export async function startVerifyingProxy(options: VerifyingProxyOptions): Promise<VerifyingProxy> {
  const target = new URL(options.target)
  // Idle upstream sockets are dropped after 3 s, before s3rver's 5 s keep-alive timeout can
  // close one just as a request is sent on it (which would surface as a spurious 502).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 3_000 })
  const requests: RecordedRequest[] = []
  const ledger = (options.multipartLedger ?? true) ? new MultipartLedger(target, agent) : undefined
  const noLedger = (): never => {
    throw new Error('this proxy keeps no multipart ledger (multipartLedger: false)')
  }
  const server = http.createServer()
  const handle: VerifyingProxy = {
    endpoint: '',
    port: 0,
    requests,
    requireSignature: options.requireSignature ?? true,
    openUploads: () => ledger?.open() ?? noLedger(),
    multipartUploads: () => ledger?.all() ?? noLedger(),
    clear: () => void (requests.length = 0),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        agent.destroy()
      }),
  }

  server.on('request', (req, res) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: Object.fromEntries(parseQuery(q < 0 ? '' : url.slice(q + 1))),
      headers: { ...req.headers },
      auth: 'none',
    }
    if (options.record ?? true) requests.push(record)
    res.on('finish', () => (record.status = res.statusCode))
    const refuse = (status: number, code: string, message: string, extra?: Record<string, string>) => {
      record.rejected = code
      req.resume() // drain the body so the client sees the answer, not a reset
      sendAnswer(res, { status, code, message, extra })
    }

    const verdict = verifySigV4(req, {
      credentials: options.credentials,
      clockSkewSeconds: options.clockSkewSeconds ?? 900,
      requireSignature: handle.requireSignature,
      region: options.region,
    })
    if (!verdict.ok) return refuse(verdict.status, verdict.code, verdict.message, verdict.extra)
    record.auth = verdict.auth
    record.accessKeyId = verdict.accessKeyId
    const call = ledger && multipartCall(record.method, record.path, record.query)

    /** Sends the request on to the target: streams `req`, or sends `body` when given. */
    const forward = (body?: Buffer) => {
      const upstream = http.request({
        agent,
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: url,
        headers: forwardHeaders(req.headers),
      })
      upstream.on('response', (up) => {
        up.on('error', () => res.destroy())
        if (call && ledger!.relay(call, req, up, res, forwardHeaders(up.headers))) return
        res.writeHead(up.statusCode ?? 502, up.statusMessage, forwardHeaders(up.headers))
        up.pipe(res)
      })
      upstream.on('error', (err) => {
        if (res.headersSent || res.destroyed) res.destroy()
        else sendAnswer(res, { status: 502, code: 'BadGateway', message: `sigv4-proxy could not reach ${options.target}: ${err.message}` })
      })
      req.on('error', () => upstream.destroy())
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy()
      })
      if (body) upstream.end(body)
      else req.pipe(upstream)
    }

    /** Answers from the multipart ledger when it has the answer, else forwards. */
    const proceed = async (body?: Buffer) => {
      const own = call && (await ledger!.answer(call))
      if (!own) return forward(body)
      if ('code' in own) return refuse(own.status, own.code, own.message, own.extra)
      req.resume()
      sendAnswer(res, own)
    }

    const expected = verdict.payloadHash && /^[0-9a-f]{64}$/.test(verdict.payloadHash) ? verdict.payloadHash : undefined
    if (!expected) return void proceed()
    // The body's hash is signed: hold the body back until it is known to match, so a bad
    // upload never reaches s3rver (which would keep a partial object on an aborted PUT).
    const chunks: Buffer[] = []
    const hash = createHash('sha256')
    req.on('data', (c: Buffer) => (chunks.push(c), hash.update(c)))
    req.on('end', () => {
      const actual = hash.digest('hex')
      if (actual === expected) return void proceed(Buffer.concat(chunks))
      refuse(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: expected,
        S3ComputedContentSHA256: actual,
      })
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  handle.port = (server.address() as AddressInfo).port
  handle.endpoint = `http://127.0.0.1:${handle.port}`
  return handle
}
