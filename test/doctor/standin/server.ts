// A stand-in for AWS S3 on 127.0.0.1 that answers as AWS does for the failures the setup guides
// list: SigV4 checked with the verifying proxy's own verifier (SignatureDoesNotMatch,
// InvalidAccessKeyId, RequestTimeTooSkewed), session tokens (InvalidToken, ExpiredToken), the
// bucket's region (301 with x-amz-bucket-region, or 400 AuthorizationHeaderMalformed), IAM
// policies evaluated per request (iam.ts), Object Ownership, Block Public Access, bucket policies,
// CORS preflights, and the bucket-setting reads doctor makes. HEAD answers carry no body, as on AWS.
// Objects live in memory; path-style addressing only (what S3Storage uses with `endpointUrl`).
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifySigV4 } from '../../support/sigv4-proxy.js'
import { type Authorization, evaluate } from './iam.js'
import { bucketRequest, objectRequest, preflight } from './ops.js'
import { ACCOUNT, type BucketState, type StandinKey, type StandinOptions, type StoredObject } from './types.js'
import { errorXml } from './xml.js'

/** A request as the stand-in saw it, and its answer. */
export interface StandinRequest {
  method: string
  bucket: string
  key: string
  query: Record<string, string>
  headers: http.IncomingHttpHeaders
  accessKeyId?: string
  status?: number
  code?: string
}

/** A bucket with its objects. */
export type StandinBucket = BucketState & { objects: Map<string, StoredObject> }

/** The running stand-in. */
export interface AwsStandin {
  /** `http://127.0.0.1:PORT`, for `endpointUrl`. */
  endpoint: string
  requests: StandinRequest[]
  buckets: Map<string, StandinBucket>
  /** The options it started with; change `clockOffsetMs`, keys or bucket settings between requests. */
  options: StandinOptions
  stop(): Promise<void>
}

/** What an operation handler gets: the parsed request and ways to answer it. */
export interface Exchange {
  method: string
  bucket: StandinBucket
  key: string
  query: Record<string, string>
  headers: http.IncomingHttpHeaders
  body: Buffer
  /** The signed-in key, or undefined for an anonymous request. */
  principal?: StandinKey
  /** False when IAM allows `request`; else true, the 403 sent (with `headers`). */
  deny(request: Authorization, headers?: Record<string, string>): boolean
  send(status: number, headers?: Record<string, string>, body?: string | Buffer): void
  fail(status: number, code: string, message: string, extra?: Record<string, string>, headers?: Record<string, string>): void
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** The access key id and region of a request's credential scope (header or presigned query). */
function scopeOf(authorization: string | undefined, query: Record<string, string>): { id?: string; region?: string } {
  const credential = query['X-Amz-Credential'] ?? /Credential=([^,\s]+)/.exec(authorization ?? '')?.[1]
  const [id, , region] = (credential ?? '').split('/')
  return { id, region }
}

/** Starts the stand-in on 127.0.0.1 (a random port). */
export async function startAwsStandin(options: StandinOptions): Promise<AwsStandin> {
  const buckets = new Map(options.buckets.map((b) => [b.name, { ...b, objects: new Map<string, StoredObject>() }]))
  const requests: StandinRequest[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, res, Buffer.concat(chunks)))
  })

  function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): unknown {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const rawPath = q < 0 ? url : url.slice(0, q)
    const query = Object.fromEntries(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)))
    const [, rawBucket = '', ...rest] = rawPath.split('/')
    const method = req.method ?? 'GET'
    const record: StandinRequest = { method, bucket: decode(rawBucket), key: decode(rest.join('/')), query, headers: { ...req.headers } }
    requests.push(record)
    const now = Date.now() + (options.clockOffsetMs ?? 0)
    const requestId = randomBytes(8).toString('hex').toUpperCase()
    const send = (status: number, headers: Record<string, string> = {}, payload?: string | Buffer) => {
      record.status = status
      const length = payload === undefined ? 0 : Buffer.byteLength(payload)
      res.writeHead(status, {
        date: new Date(now).toUTCString(),
        'x-amz-request-id': requestId,
        'content-length': String(length),
        ...headers,
      })
      res.end(method === 'HEAD' ? undefined : payload) // HEAD answers never have a body
    }
    const fail = (status: number, code: string, message: string, extra?: Record<string, string>, headers?: Record<string, string>) => {
      record.code = code
      send(status, { 'content-type': 'application/xml', ...headers }, errorXml(code, message, extra, requestId))
    }
    const bucket = buckets.get(record.bucket)
    if (method === 'OPTIONS') return preflight(bucket, req.headers, send, fail)

    let principal: StandinKey | undefined
    const authorization = req.headers.authorization
    if (authorization || query['X-Amz-Signature']) {
      const scope = scopeOf(authorization, query)
      const key = options.keys.find((k) => k.accessKeyId === scope.id)
      const token = (req.headers['x-amz-security-token'] as string | undefined) ?? query['X-Amz-Security-Token']
      if (key && (key.sessionToken !== undefined || token !== undefined)) {
        if (token !== key.sessionToken) return fail(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.')
        if (key.expired) return fail(400, 'ExpiredToken', 'The provided token has expired.')
      }
      const verdict = verifySigV4(req, { credentials: options.keys, clockSkewSeconds: 900, requireSignature: true }, now)
      if (!verdict.ok) {
        const extra: Record<string, string> =
          verdict.code === 'RequestTimeTooSkewed' ? { ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: '900000' } : {}
        return fail(verdict.status, verdict.code, verdict.message, { ...verdict.extra, ...extra })
      }
      record.accessKeyId = scope.id
      principal = key
      if (bucket && scope.region && scope.region !== bucket.region) {
        if ((options.wrongRegion ?? 'redirect') === 'redirect') {
          const endpoint = `${bucket.name}.s3.${bucket.region}.amazonaws.com`
          return fail(
            301,
            'PermanentRedirect',
            'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.',
            { Endpoint: endpoint, Bucket: bucket.name },
            { 'x-amz-bucket-region': bucket.region },
          )
        }
        return fail(
          400,
          'AuthorizationHeaderMalformed',
          `The authorization header is malformed; the region '${scope.region}' is wrong; expecting '${bucket.region}'`,
          { Region: bucket.region },
        )
      }
    }
    if (!bucket) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: record.bucket })

    const user = `arn:aws:iam::${ACCOUNT}:user/${principal?.user ?? 'app'}`
    const deny = (request: Authorization, headers?: Record<string, string>): boolean => {
      if (!principal) {
        fail(403, 'AccessDenied', 'Access Denied', {}, headers)
        return true
      }
      const verdict = evaluate(principal.policy, request)
      if (verdict === 'allow') return false
      const why =
        verdict === 'explicit-deny'
          ? 'with an explicit deny in an identity-based policy'
          : `because no identity-based policy allows the ${request.action} action`
      fail(
        403,
        'AccessDenied',
        `User: ${user} is not authorized to perform: ${request.action} on resource: "${request.resource}" ${why}`,
        {},
        headers,
      )
      return true
    }
    const exchange: Exchange = { method, bucket, key: record.key, query, headers: req.headers, body, principal, deny, send, fail }
    if (!record.key) bucketRequest(exchange)
    else objectRequest(exchange)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    buckets,
    options,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
