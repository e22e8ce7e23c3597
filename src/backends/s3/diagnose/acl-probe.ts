/**
 * The doctor check that settles, by writing, what an ACL does on this bucket when the bucket's
 * settings could not be read (doctor run with the app's own key): a probe object is written with
 * the configured ACL; when S3 refuses it, the same write without an ACL, then (for a public ACL)
 * with `private`, tells a bucket with ACLs disabled, Block Public Access refusing public ACLs,
 * and a key without `s3:PutObjectAcl` apart. Every probe object is deleted.
 */
import { builtin } from '../../../core/builtins.js'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Check } from '../../../core/diagnostics.js'
import { ACL_DISABLED_FIX, PUBLIC_ACL_BLOCKED_FIX, sentence } from '../advice.js'
import type { S3Sdk } from '../client.js'
import { s3ErrorCode, s3Status } from '../errors.js'
import { deniedActionOf } from '../iam.js'
import { PUBLIC_ACLS } from './bucket-config.js'
import { describeError, fail, ok } from './common.js'

/** What the probe writes need. */
export interface AclProbeTarget {
  client: S3Client
  sdk: S3Sdk
  bucket: string
  /** The probe object's key (location included). */
  key: string
  /** The storage's write parameters (SSE, cache headers); their ACL is replaced by each probe's. */
  parameters: Record<string, unknown>
}

/** Writes the probe object with `acl` (none: no ACL header); resolves to the error, or undefined when stored. */
async function put(t: AclProbeTarget, acl: string | undefined): Promise<unknown> {
  const { ACL: _ignored, ...parameters } = t.parameters
  const input = {
    ...parameters,
    Bucket: t.bucket,
    Key: t.key,
    Body: 'node-storages doctor ACL probe',
    ContentType: 'text/plain',
    ...(acl ? { ACL: acl } : {}),
  }
  return t.client.send(new t.sdk.PutObjectCommand(input as never)).then(
    () => undefined,
    (error: unknown) => error ?? new Error('PutObject failed'),
  )
}

/** The `acl write` line for the ACL `acl`, found by writing probe objects (always deleted). */
export async function probeAclWrite(target: Omit<AclProbeTarget, 'key'> & { location: string }, acl: string): Promise<Check> {
  const name = 'acl write'
  const prefix = target.location ? `${target.location}/` : ''
  const t: AclProbeTarget = {
    ...target,
    key: `${prefix}.node-storages-doctor/${builtin('node:crypto').randomBytes(6).toString('hex')}-acl.txt`,
  }
  try {
    const withAcl = await put(t, acl)
    if (!withAcl) return ok(name, `a write carrying the ACL '${acl}' was accepted`)
    if (s3ErrorCode(withAcl) === 'AccessControlListNotSupported') {
      return fail(
        name,
        `S3 refused a write carrying the ACL '${acl}' with 400 AccessControlListNotSupported: the bucket has ACLs disabled ` +
          `(Object Ownership: BucketOwnerEnforced), so every save() and every signedUploadUrl() upload fails. ${sentence(ACL_DISABLED_FIX)}.`,
      )
    }
    if (s3Status(withAcl) !== 403) return fail(name, `a write carrying the ACL '${acl}' failed (${describeError(withAcl)})`)
    const named = deniedActionOf((withAcl as Error).message)
    if (named === 's3:PutObjectAcl') {
      return fail(
        name,
        `the credentials may not set ACLs (S3: not authorized to perform s3:PutObjectAcl): grant s3:PutObjectAcl on arn:aws:s3:::${t.bucket}/${prefix}* (\`node-storages policy\` does when defaultAcl is set), or ${ACL_DISABLED_FIX}.`,
      )
    }
    const without = await put(t, undefined)
    if (without) return fail(name, `writes fail with or without an ACL (${describeError(without)}): see the write line below`)
    const isPublic = PUBLIC_ACLS.has(acl)
    const privately = isPublic ? await put(t, 'private') : withAcl
    if (isPublic && !privately) {
      return fail(
        name,
        `S3 refused a write carrying the public ACL '${acl}' (403 AccessDenied) but took the same write with the ACL 'private': ` +
          `the bucket's Block Public Access (BlockPublicAcls) refuses public ACLs. ${sentence(PUBLIC_ACL_BLOCKED_FIX)}.`,
      )
    }
    return fail(
      name,
      `S3 refused a write carrying the ACL '${acl}' (403 AccessDenied) but took it without an ACL: the credentials lack s3:PutObjectAcl ` +
        `on arn:aws:s3:::${t.bucket}/${prefix}* (\`node-storages policy\` grants it when defaultAcl is set)` +
        (isPublic ? ', or Block Public Access (BlockPublicAcls) refuses public ACLs' : '') +
        `; or ${ACL_DISABLED_FIX}.`,
    )
  } finally {
    await t.client.send(new t.sdk.DeleteObjectCommand({ Bucket: t.bucket, Key: t.key })).catch(() => undefined)
  }
}
