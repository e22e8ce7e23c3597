// The XML bodies of the AWS stand-in: S3's error document and the bucket-setting documents, in
// the shapes S3 sends them (and the AWS SDK parses).
import type { BucketState, CorsRule, LifecycleRule, StoredObject } from './types.js'

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const el = (name: string, value: string | number | boolean | undefined) =>
  value === undefined ? '' : `<${name}>${typeof value === 'string' ? esc(value) : String(value)}</${name}>`
const doc = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'

/** S3's error document. */
export function errorXml(code: string, message: string, extra: Record<string, string> = {}, requestId = 'STANDIN'): string {
  const fields = Object.entries(extra)
    .map(([k, v]) => el(k, v))
    .join('')
  return doc(`<Error>${el('Code', code)}${el('Message', message)}${fields}${el('RequestId', requestId)}</Error>`)
}

/** GetBucketOwnershipControls. */
export const ownershipXml = (mode: string) =>
  doc(`<OwnershipControls ${NS}><Rule>${el('ObjectOwnership', mode)}</Rule></OwnershipControls>`)

/** GetPublicAccessBlock. */
export const publicAccessBlockXml = (b: NonNullable<BucketState['publicAccessBlock']>) =>
  doc(
    `<PublicAccessBlockConfiguration ${NS}>${el('BlockPublicAcls', Boolean(b.BlockPublicAcls))}${el('IgnorePublicAcls', Boolean(b.IgnorePublicAcls))}` +
      `${el('BlockPublicPolicy', Boolean(b.BlockPublicPolicy))}${el('RestrictPublicBuckets', Boolean(b.RestrictPublicBuckets))}</PublicAccessBlockConfiguration>`,
  )

/** GetBucketCors. */
export const corsXml = (rules: CorsRule[]) =>
  doc(
    `<CORSConfiguration ${NS}>${rules
      .map(
        (r) =>
          `<CORSRule>${(r.AllowedOrigins ?? []).map((o) => el('AllowedOrigin', o)).join('')}${(r.AllowedMethods ?? []).map((m) => el('AllowedMethod', m)).join('')}` +
          `${(r.AllowedHeaders ?? []).map((h) => el('AllowedHeader', h)).join('')}${(r.ExposeHeaders ?? []).map((h) => el('ExposeHeader', h)).join('')}` +
          `${el('MaxAgeSeconds', r.MaxAgeSeconds)}</CORSRule>`,
      )
      .join('')}</CORSConfiguration>`,
  )

/** GetBucketLifecycleConfiguration. */
export const lifecycleXml = (rules: LifecycleRule[]) =>
  doc(
    `<LifecycleConfiguration ${NS}>${rules
      .map(
        (r) =>
          `<Rule>${el('ID', r.id)}<Filter>${el('Prefix', r.prefix ?? '')}</Filter>${el('Status', r.enabled === false ? 'Disabled' : 'Enabled')}` +
          (r.abortIncompleteDays !== undefined
            ? `<AbortIncompleteMultipartUpload>${el('DaysAfterInitiation', r.abortIncompleteDays)}</AbortIncompleteMultipartUpload>`
            : '') +
          (r.noncurrentDays !== undefined
            ? `<NoncurrentVersionExpiration>${el('NoncurrentDays', r.noncurrentDays)}</NoncurrentVersionExpiration>`
            : '') +
          (r.expirationDays !== undefined ? `<Expiration>${el('Days', r.expirationDays)}</Expiration>` : '') +
          '</Rule>',
      )
      .join('')}</LifecycleConfiguration>`,
  )

/** GetBucketEncryption. */
export const encryptionXml = (e: Exclude<BucketState['encryption'], 'not-implemented' | undefined>) =>
  doc(
    `<ServerSideEncryptionConfiguration ${NS}><Rule><ApplyServerSideEncryptionByDefault>${el('SSEAlgorithm', e.algorithm)}` +
      `${el('KMSMasterKeyID', e.kmsKeyId)}</ApplyServerSideEncryptionByDefault>${el('BucketKeyEnabled', false)}</Rule></ServerSideEncryptionConfiguration>`,
  )

/** GetBucketVersioning. */
export const versioningXml = (status?: string) => doc(`<VersioningConfiguration ${NS}>${el('Status', status)}</VersioningConfiguration>`)

/** GetBucketPolicyStatus. */
export const policyStatusXml = (isPublic: boolean) => doc(`<PolicyStatus ${NS}>${el('IsPublic', isPublic)}</PolicyStatus>`)

/** ListObjectsV2 of `keys` under `prefix`, grouped by `delimiter`. */
export function listXml(bucket: string, objects: Map<string, StoredObject>, q: Record<string, string>): string {
  const prefix = q.prefix ?? ''
  const delimiter = q.delimiter
  const max = q['max-keys'] !== undefined ? Number(q['max-keys']) : 1000
  const contents: [string, StoredObject][] = []
  const prefixes = new Set<string>()
  for (const [key, object] of [...objects].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!key.startsWith(prefix)) continue
    const rest = key.slice(prefix.length)
    const cut = delimiter ? rest.indexOf(delimiter) : -1
    if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter!.length))
    else contents.push([key, object])
  }
  const shown = contents.slice(0, max)
  const items = shown
    .map(
      ([key, o]) =>
        `<Contents>${el('Key', key)}${el('LastModified', o.lastModified.toISOString())}${el('ETag', o.etag)}${el('Size', o.body.length)}${el('StorageClass', 'STANDARD')}</Contents>`,
    )
    .join('')
  const common = [...prefixes].map((p) => `<CommonPrefixes>${el('Prefix', p)}</CommonPrefixes>`).join('')
  return doc(
    `<ListBucketResult ${NS}>${el('Name', bucket)}${el('Prefix', prefix)}${el('KeyCount', shown.length + prefixes.size)}${el('MaxKeys', max)}` +
      `${el('Delimiter', delimiter)}${el('IsTruncated', contents.length > max)}${items}${common}</ListBucketResult>`,
  )
}
