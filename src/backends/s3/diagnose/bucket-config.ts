/**
 * The doctor checks of the bucket's settings against the storage's ACL (`defaultAcl` or
 * `objectParameters.ACL`): Object Ownership (are ACLs enabled?) and the public access block
 * (are public ACLs refused or ignored?). A setting the server does not implement is skipped.
 */
import type { PublicAccessBlockConfiguration, S3Client } from '@aws-sdk/client-s3'
import type { Check } from '../../../core/diagnostics.js'
import { ACL_DISABLED_FIX, sentence } from '../advice.js'
import type { S3Sdk } from '../client.js'
import { DOCTOR_ACTIONS } from '../iam.js'
import { fail, ok, skip, unreadable } from './common.js'

/** Canned ACLs a public access block counts as public (grants to AllUsers or AuthenticatedUsers). */
const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read'])

/** GetBucketOwnershipControls: fails when ACLs are disabled but writes carry an ACL. */
export async function checkOwnership(client: S3Client, sdk: S3Sdk, Bucket: string, acl: string | undefined): Promise<Check> {
  const name = 'object ownership'
  const aclNote = acl ? `new objects get the ACL '${acl}'` : 'no ACL header is sent; the bucket decides'
  let mode: string | undefined
  try {
    const out = await client.send(new sdk.GetBucketOwnershipControlsCommand({ Bucket }))
    mode = out.OwnershipControls?.Rules?.[0]?.ObjectOwnership
  } catch (error) {
    const what = 'Object Ownership (GetBucketOwnershipControls)'
    return unreadable(name, what, DOCTOR_ACTIONS.ownership, error, 'OwnershipControlsNotFoundError', () =>
      ok(
        name,
        'no Object Ownership setting (a bucket from before 2023, or one whose setting was deleted): ' +
          `ACLs are enabled and each object belongs to its uploader; ${aclNote}`,
      ),
    )
  }
  if (!mode) {
    return skip(
      name,
      'the server answered without an Object Ownership rule (an S3-compatible store that does not implement it): not checked',
    )
  }
  if (mode === 'BucketOwnerEnforced' && acl && acl !== 'bucket-owner-full-control') {
    return fail(
      name,
      'ACLs are disabled on this bucket (Object Ownership: BucketOwnerEnforced): ' +
        `every write would fail with AccessControlListNotSupported because it carries the ACL '${acl}'. ${sentence(ACL_DISABLED_FIX)}.`,
    )
  }
  return ok(name, `${mode}${mode === 'BucketOwnerEnforced' ? ' (ACLs disabled)' : ' (ACLs enabled)'}: ${aclNote}`)
}

/** GetPublicAccessBlock: fails when a public ACL would be refused (BlockPublicAcls) or ignored (IgnorePublicAcls). */
export async function checkPublicAccessBlock(client: S3Client, sdk: S3Sdk, Bucket: string, acl: string | undefined): Promise<Check> {
  const name = 'public access block'
  const isPublic = acl !== undefined && PUBLIC_ACLS.has(acl)
  let cfg: PublicAccessBlockConfiguration
  try {
    cfg = (await client.send(new sdk.GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration ?? {}
  } catch (error) {
    const what = 'the public access block (GetPublicAccessBlock)'
    return unreadable(name, what, DOCTOR_ACTIONS.publicAccessBlock, error, 'NoSuchPublicAccessBlockConfiguration', () =>
      ok(
        name,
        'none on the bucket: public ACLs and policies are allowed at bucket level (an account-level block may still apply); ' +
          (isPublic ? `new objects get the public ACL '${acl}'` : 'no public ACL is configured'),
      ),
    )
  }
  const on = (['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const).filter((k) => cfg[k])
  const summary = on.length ? `${on.join(', ')} on` : 'all four settings off'
  if (isPublic && cfg.BlockPublicAcls) {
    return fail(
      name,
      `the bucket blocks public ACLs (BlockPublicAcls on): S3 refuses every write carrying the ACL '${acl}' (AccessDenied). ` +
        'Unset defaultAcl / AWS_DEFAULT_ACL and serve files with signed URLs (querystringAuth) or a CDN; ' +
        'or, if the files must be public, turn BlockPublicAcls off for this bucket.',
    )
  }
  if (isPublic && cfg.IgnorePublicAcls) {
    return fail(
      name,
      `the bucket ignores public ACLs (IgnorePublicAcls on): the ACL '${acl}' is accepted but has no effect, so files are not public. ` +
        'Unset defaultAcl / AWS_DEFAULT_ACL and use signed URLs (querystringAuth) or a CDN; or turn IgnorePublicAcls off for this bucket.',
    )
  }
  const aclNote = isPublic ? `the public ACL '${acl}' is allowed` : acl ? `the ACL '${acl}' is not public` : 'no ACL header is sent'
  return ok(name, `${summary}; ${aclNote}`)
}
