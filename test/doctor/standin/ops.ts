// The operations of the AWS stand-in (server.ts): CORS preflights, bucket requests (HeadBucket,
// ListObjectsV2, the bucket-setting reads, DeleteObjects) and object requests (HEAD, GET with
// Range, PUT with ACLs, tagging and SSE-KMS, CopyObject, DELETE), each authorized as S3 does.
import { createHash } from 'node:crypto'
import type http from 'node:http'
import type { Exchange, StandinBucket } from './server.js'
import { evaluate, wildcard } from './iam.js'
import { ACCOUNT, type StoredObject } from './types.js'
import { corsXml, encryptionXml, lifecycleXml, listXml, ownershipXml, policyStatusXml, publicAccessBlockXml, versioningXml } from './xml.js'

const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read'])
const NOT_IMPLEMENTED = 'A header you provided implies functionality that is not implemented'
type Send = Exchange['send']
type Fail = Exchange['fail']

/** A CORS preflight (OPTIONS), evaluated against the bucket's rules in order, as S3 does; never authenticated. */
export function preflight(bucket: StandinBucket | undefined, headers: http.IncomingHttpHeaders, send: Send, fail: Fail): unknown {
  const origin = headers.origin
  const method = headers['access-control-request-method'] as string | undefined
  if (!bucket) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist')
  if (!origin || !method) return fail(400, 'BadRequest', 'Insufficient information. Origin request header needed.')
  const extra = { Method: method, ResourceType: 'OBJECT' }
  if (!bucket.cors?.length) return fail(403, 'AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', extra)
  const wanted = String(headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
  const rule = bucket.cors.find(
    (r) =>
      (r.AllowedOrigins ?? []).some((o) => wildcard(o, origin)) &&
      (r.AllowedMethods ?? []).includes(method) &&
      wanted.every((h) => (r.AllowedHeaders ?? []).some((a) => wildcard(a.toLowerCase(), h))),
  )
  if (!rule) {
    const message =
      'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / ' +
      "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
    return fail(403, 'AccessForbidden', message, extra)
  }
  send(200, {
    'access-control-allow-origin': (rule.AllowedOrigins ?? []).includes('*') ? '*' : origin,
    'access-control-allow-methods': (rule.AllowedMethods ?? []).join(', '),
    ...(wanted.length ? { 'access-control-allow-headers': wanted.join(', ') } : {}),
    ...(rule.MaxAgeSeconds ? { 'access-control-max-age': String(rule.MaxAgeSeconds) } : {}),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  })
}

/** The bucket-setting reads: the IAM action each needs, and its answer (a document, or S3's error for "not configured"). */
const READS: Record<string, { action: string; answer(b: StandinBucket): string | [number, string, string] }> = {
  ownershipControls: {
    action: 's3:GetBucketOwnershipControls',
    answer: (b) =>
      b.ownership ? ownershipXml(b.ownership) : [404, 'OwnershipControlsNotFoundError', 'The bucket ownership controls were not found'],
  },
  publicAccessBlock: {
    action: 's3:GetBucketPublicAccessBlock',
    answer: (b) =>
      b.publicAccessBlock
        ? publicAccessBlockXml(b.publicAccessBlock)
        : [404, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found'],
  },
  cors: {
    action: 's3:GetBucketCORS',
    answer: (b) => (b.cors ? corsXml(b.cors) : [404, 'NoSuchCORSConfiguration', 'The CORS configuration does not exist']),
  },
  lifecycle: {
    action: 's3:GetLifecycleConfiguration',
    answer: (b) =>
      b.lifecycle === 'not-implemented'
        ? [501, 'NotImplemented', NOT_IMPLEMENTED]
        : b.lifecycle
          ? lifecycleXml(b.lifecycle)
          : [404, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist'],
  },
  encryption: {
    action: 's3:GetEncryptionConfiguration',
    answer: (b) =>
      b.encryption === 'not-implemented'
        ? [501, 'NotImplemented', NOT_IMPLEMENTED]
        : b.encryption
          ? encryptionXml(b.encryption)
          : [404, 'ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found'],
  },
  versioning: {
    action: 's3:GetBucketVersioning',
    answer: (b) => (b.versioning === 'not-implemented' ? [501, 'NotImplemented', NOT_IMPLEMENTED] : versioningXml(b.versioning)),
  },
  policyStatus: {
    action: 's3:GetBucketPolicyStatus',
    answer: (b) =>
      b.publicPolicy === undefined ? [404, 'NoSuchBucketPolicy', 'The bucket policy does not exist'] : policyStatusXml(b.publicPolicy),
  },
}

const xml = { 'content-type': 'application/xml' }

/** A request on the bucket itself (no key). */
export function bucketRequest(x: Exchange): unknown {
  const b = x.bucket
  const arn = `arn:aws:s3:::${b.name}`
  const region = { 'x-amz-bucket-region': b.region }
  if (x.method === 'HEAD') {
    if (x.deny({ action: 's3:ListBucket', resource: arn }, region)) return
    return x.send(200, region)
  }
  const read = Object.keys(READS).find((name) => name in x.query)
  if (x.method === 'GET' && read) {
    const { action, answer } = READS[read]!
    if (x.deny({ action, resource: arn })) return
    const out = answer(b)
    return typeof out === 'string' ? x.send(200, xml, out) : x.fail(...out)
  }
  if (
    x.method === 'GET' &&
    !Object.keys(x.query).some((k) => k !== 'list-type' && k !== 'prefix' && k !== 'delimiter' && k !== 'max-keys')
  ) {
    if (x.deny({ action: 's3:ListBucket', resource: arn, context: { 's3:prefix': x.query.prefix } })) return
    return x.send(200, xml, listXml(b.name, b.objects, x.query))
  }
  if (x.method === 'POST' && 'delete' in x.query) {
    const keys = [...x.body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<'))
    const results = keys.map((key) => {
      const allowed = x.principal && evaluate(x.principal.policy, { action: 's3:DeleteObject', resource: `${arn}/${key}` }) === 'allow'
      if (allowed) b.objects.delete(key)
      return allowed
        ? `<Deleted><Key>${key}</Key></Deleted>`
        : `<Error><Key>${key}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`
    })
    return x.send(200, xml, `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult>${results.join('')}</DeleteResult>`)
  }
  x.fail(501, 'NotImplemented', NOT_IMPLEMENTED)
}

/** Whether an anonymous GET of `o` is allowed: a public bucket policy or a public ACL, unless Block Public Access says otherwise. */
function publicRead(b: StandinBucket, o: StoredObject): boolean {
  const block = b.publicAccessBlock ?? {}
  const byPolicy = b.publicPolicy === true && !block.RestrictPublicBuckets
  const byAcl = o.acl !== undefined && PUBLIC_ACLS.has(o.acl) && !block.IgnorePublicAcls && b.ownership !== 'BucketOwnerEnforced'
  return byPolicy || byAcl
}

/** The body of an `aws-chunked` upload, without its chunk framing. */
function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at)
    const size = Number.parseInt(body.subarray(at, eol).toString().split(';')[0]!, 16)
    if (!size) break
    parts.push(body.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(parts)
}

const KEPT_HEADERS = ['cache-control', 'content-disposition', 'content-encoding']

/** A request on an object. */
export function objectRequest(x: Exchange): unknown {
  const b = x.bucket
  const arn = `arn:aws:s3:::${b.name}/${x.key}`
  const kmsArn = (id: string) => (id.startsWith('arn:') ? id : `arn:aws:kms:${b.region}:${ACCOUNT}:key/${id}`)
  const via = { 'kms:ViaService': `s3.${b.region}.amazonaws.com` }
  const header = (name: string) => x.headers[name] as string | undefined
  if ('uploadId' in x.query || 'uploads' in x.query) return x.fail(501, 'NotImplemented', NOT_IMPLEMENTED)
  const object = b.objects.get(x.key)

  if (x.method === 'GET' || x.method === 'HEAD') {
    if (!x.principal) {
      if (object && publicRead(b, object)) return serve(x, object)
      return x.fail(403, 'AccessDenied', 'Access Denied')
    }
    if (x.deny({ action: 's3:GetObject', resource: arn })) return
    if (!object) {
      // S3 answers 404 only to who may list the bucket; the stand-in evaluates that listing with the key as s3:prefix.
      const listing = evaluate(x.principal.policy, {
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${b.name}`,
        context: { 's3:prefix': x.key },
      })
      return listing === 'allow'
        ? x.fail(404, 'NoSuchKey', 'The specified key does not exist.', { Key: x.key })
        : x.fail(403, 'AccessDenied', 'Access Denied')
    }
    if (x.method === 'GET' && object.kmsKeyArn && x.deny({ action: 'kms:Decrypt', resource: object.kmsKeyArn, context: via })) return
    return serve(x, object)
  }

  if (x.method === 'PUT') {
    const copySource = header('x-amz-copy-source')
    if (copySource) {
      const from = decodeURIComponent(copySource.replace(/^\//, '')).split('/').slice(1).join('/')
      if (x.deny({ action: 's3:GetObject', resource: `arn:aws:s3:::${b.name}/${from}` })) return
      if (x.deny({ action: 's3:PutObject', resource: arn })) return
      const source = b.objects.get(from)
      if (!source) return x.fail(404, 'NoSuchKey', 'The specified key does not exist.', { Key: from })
      if (header('if-none-match') === '*' && object)
        return x.fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
          Condition: 'If-None-Match',
        })
      b.objects.set(x.key, { ...source, lastModified: new Date() })
      return x.send(
        200,
        xml,
        `<CopyObjectResult><ETag>${source.etag}</ETag><LastModified>${new Date().toISOString()}</LastModified></CopyObjectResult>`,
      )
    }
    const acl = header('x-amz-acl') ?? x.query['x-amz-acl']
    const tagging = header('x-amz-tagging')
    const defaults = typeof b.encryption === 'object' ? b.encryption : undefined
    const sse = header('x-amz-server-side-encryption') ?? defaults?.algorithm
    const kmsKey = header('x-amz-server-side-encryption-aws-kms-key-id') ?? (sse === 'aws:kms' ? defaults?.kmsKeyId : undefined)
    if (x.deny({ action: 's3:PutObject', resource: arn })) return
    if (acl && x.deny({ action: 's3:PutObjectAcl', resource: arn })) return
    if (tagging && x.deny({ action: 's3:PutObjectTagging', resource: arn })) return
    if (sse === 'aws:kms' && kmsKey && x.deny({ action: 'kms:GenerateDataKey', resource: kmsArn(kmsKey), context: via })) return
    if (acl && b.ownership === 'BucketOwnerEnforced' && acl !== 'bucket-owner-full-control') {
      return x.fail(400, 'AccessControlListNotSupported', 'The bucket does not allow ACLs')
    }
    if (acl && PUBLIC_ACLS.has(acl) && b.publicAccessBlock?.BlockPublicAcls) return x.fail(403, 'AccessDenied', 'Access Denied')
    if (header('if-none-match') === '*' && object) {
      return x.fail(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'If-None-Match',
      })
    }
    const body = /aws-chunked/.test(header('content-encoding') ?? '') ? unchunk(x.body) : x.body
    const etag = `"${createHash('md5').update(body).digest('hex')}"`
    const kept = Object.fromEntries(KEPT_HEADERS.filter((h) => header(h) && !/aws-chunked/.test(header(h)!)).map((h) => [h, header(h)!]))
    b.objects.set(x.key, {
      body,
      contentType: header('content-type') ?? 'binary/octet-stream',
      etag,
      lastModified: new Date(),
      headers: kept,
      ...(acl ? { acl } : {}),
      ...(sse ? { sse } : {}),
      ...(sse === 'aws:kms' && kmsKey ? { kmsKeyArn: kmsArn(kmsKey) } : {}),
      ...(tagging ? { tags: tagging } : {}),
    })
    return x.send(200, { etag, ...(sse ? { 'x-amz-server-side-encryption': sse } : {}) })
  }

  if (x.method === 'DELETE') {
    if (x.deny({ action: 's3:DeleteObject', resource: arn })) return
    b.objects.delete(x.key)
    return x.send(204)
  }
  x.fail(501, 'NotImplemented', NOT_IMPLEMENTED)
}

/** GET or HEAD of a stored object, with `Range: bytes=a-b`. */
function serve(x: Exchange, o: StoredObject): unknown {
  const headers: Record<string, string> = {
    'content-type': o.contentType,
    etag: o.etag,
    'last-modified': o.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...o.headers,
    ...(o.sse ? { 'x-amz-server-side-encryption': o.sse } : {}),
  }
  const range = /^bytes=(\d*)-(\d*)$/.exec(String(x.headers.range ?? ''))
  if (!range) return x.send(200, headers, o.body)
  const size = o.body.length
  const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]))
  const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1
  if (start >= size) {
    return x.fail(416, 'InvalidRange', 'The requested range is not satisfiable', {
      RangeRequested: String(x.headers.range),
      ActualObjectSize: String(size),
    })
  }
  x.send(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}` }, o.body.subarray(start, end + 1))
}
