/**
 * The doctor checks of the bucket's settings against what the storage does: Object Ownership
 * (are ACLs enabled?) against the ACL writes carry, and Block Public Access (with the bucket
 * policy's status) against public ACLs and unsigned URLs. A setting the server does not
 * implement is skipped; one the credentials may not read fails as "not verified" when this
 * configuration depends on it (see common.ts `unreadable`).
 */
import type { PublicAccessBlockConfiguration, S3Client } from '@aws-sdk/client-s3'
import type { Check } from '../../../core/diagnostics.js'
import { ACL_DISABLED_FIX, PUBLIC_ACL_BLOCKED_FIX, sentence } from '../advice.js'
import type { S3Sdk } from '../client.js'
import { s3ErrorCode } from '../errors.js'
import { DOCTOR_ACTIONS } from '../iam.js'
import { fail, ok, skip, unreadable } from './common.js'

/** Canned ACLs a public access block counts as public (grants to AllUsers or AuthenticatedUsers). */
export const PUBLIC_ACLS: ReadonlySet<string> = new Set(['public-read', 'public-read-write', 'authenticated-read'])

/** What the bucket checks need to know of the storage. */
export interface AccessIntent {
  /** The ACL writes carry (`objectParameters.ACL`, else `defaultAcl`). */
  acl?: string
  /** `url()` gives unsigned S3 URLs (no custom domain): reading needs anonymous access. */
  unsignedUrls: boolean
}

/** What doctor learnt of the bucket's public access: the block (`{}`: none) and whether its policy is public; undefined: unknown. */
export interface PublicAccess {
  block?: PublicAccessBlockConfiguration
  policyPublic?: boolean
}

/** The outcome of a settings check: its line, and whether it read the setting. */
export interface SettingCheck {
  check: Check
  verified: boolean
}

/** GetBucketOwnershipControls: fails when ACLs are disabled but writes carry an ACL. */
export async function checkOwnership(client: S3Client, sdk: S3Sdk, Bucket: string, acl: string | undefined): Promise<SettingCheck> {
  const name = 'object ownership'
  const aclNote = acl ? `new objects get the ACL '${acl}'` : 'no ACL header is sent; the bucket decides'
  let mode: string | undefined
  try {
    const out = await client.send(new sdk.GetBucketOwnershipControlsCommand({ Bucket }))
    mode = out.OwnershipControls?.Rules?.[0]?.ObjectOwnership
  } catch (error) {
    const read = {
      name,
      what: 'Object Ownership (GetBucketOwnershipControls)',
      action: DOCTOR_ACTIONS.ownership,
      missingCode: 'OwnershipControlsNotFoundError',
    }
    const matters =
      acl && acl !== 'bucket-owner-full-control'
        ? `writes carry the ACL '${acl}', which a bucket with ACLs disabled refuses (AccessControlListNotSupported)`
        : undefined
    const missing = () =>
      ok(name, `no Object Ownership setting (a bucket from before 2023, or one whose setting was deleted): ACLs are enabled; ${aclNote}`)
    const check = unreadable(read, error, missing, matters)
    return { check, verified: s3ErrorCode(error) === read.missingCode }
  }
  if (!mode) {
    const detail = 'the server answered without an Object Ownership rule (an S3-compatible store that does not implement it): not checked'
    return { check: skip(name, detail), verified: false }
  }
  if (mode === 'BucketOwnerEnforced' && acl && acl !== 'bucket-owner-full-control') {
    const detail =
      `ACLs are disabled on this bucket (Object Ownership: BucketOwnerEnforced), but writes carry the ACL '${acl}': every save() fails, ` +
      'and so does every upload to a signedUploadUrl() (the ACL is signed into it), with 400 AccessControlListNotSupported. ' +
      `${sentence(ACL_DISABLED_FIX)}; to make files public use a bucket policy or a CDN instead.`
    return { check: fail(name, detail), verified: true }
  }
  return {
    check: ok(name, `${mode}${mode === 'BucketOwnerEnforced' ? ' (ACLs disabled)' : ' (ACLs enabled)'}: ${aclNote}`),
    verified: true,
  }
}

/** GetBucketPolicyStatus: whether the bucket policy makes the bucket public (false with no policy); undefined when unknown. */
async function policyIsPublic(client: S3Client, sdk: S3Sdk, Bucket: string): Promise<boolean | undefined> {
  try {
    return (await client.send(new sdk.GetBucketPolicyStatusCommand({ Bucket }))).PolicyStatus?.IsPublic === true
  } catch (error) {
    return s3ErrorCode(error) === 'NoSuchBucketPolicy' ? false : undefined
  }
}

/** What unsigned URLs need of Block Public Access, when it stands in their way; undefined when it does not. */
function unsignedUrlProblem(Bucket: string, block: PublicAccessBlockConfiguration, policyPublic: boolean | undefined): string | undefined {
  const signed = 'or set querystringAuth: true (AWS_QUERYSTRING_AUTH=true) for signed URLs, which work with every block on'
  if (block.RestrictPublicBuckets) {
    const policy = policyPublic ? ', although the bucket policy is public' : ''
    const also = block.BlockPublicPolicy ? ' (and BlockPublicPolicy, which keeps a public policy from being added or changed)' : ''
    return (
      `url() gives unsigned URLs (querystringAuth false), which need anonymous reads, but RestrictPublicBuckets is on: S3 refuses ` +
      `anonymous requests to this bucket${policy}. Turn RestrictPublicBuckets off for this bucket${also}, ${signed}.`
    )
  }
  if (block.BlockPublicPolicy && policyPublic === false) {
    return (
      `url() gives unsigned URLs (querystringAuth false), which need a bucket policy granting s3:GetObject to everyone, ` +
      `and BlockPublicPolicy is on, so S3 refuses to add one. Turn BlockPublicPolicy off and add the policy (on arn:aws:s3:::${Bucket}/…), ${signed}.`
    )
  }
  return undefined
}

/**
 * GetPublicAccessBlock (and GetBucketPolicyStatus when URLs are unsigned): fails when a public ACL
 * would be refused (BlockPublicAcls) or ignored (IgnorePublicAcls), and when unsigned URLs cannot
 * work (RestrictPublicBuckets, or BlockPublicPolicy with no public policy). Returns what it learnt
 * for the URL check.
 */
export async function checkPublicAccessBlock(
  client: S3Client,
  sdk: S3Sdk,
  Bucket: string,
  intent: AccessIntent,
): Promise<SettingCheck & { access: PublicAccess }> {
  const name = 'public access block'
  const { acl } = intent
  const isPublic = acl !== undefined && PUBLIC_ACLS.has(acl)
  const policyPublic = intent.unsignedUrls ? await policyIsPublic(client, sdk, Bucket) : undefined
  const access: PublicAccess = policyPublic === undefined ? {} : { policyPublic }
  let block: PublicAccessBlockConfiguration
  try {
    block = (await client.send(new sdk.GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration ?? {}
  } catch (error) {
    const read = {
      name,
      what: 'the public access block (GetPublicAccessBlock)',
      action: DOCTOR_ACTIONS.publicAccessBlock,
      missingCode: 'NoSuchPublicAccessBlockConfiguration',
    }
    const reasons = [
      isPublic
        ? `writes carry the public ACL '${acl}', which Block Public Access refuses (BlockPublicAcls) or ignores (IgnorePublicAcls)`
        : '',
      intent.unsignedUrls
        ? 'url() gives unsigned URLs, which Block Public Access (RestrictPublicBuckets, BlockPublicPolicy) can break'
        : '',
    ].filter(Boolean)
    const missing = () =>
      ok(
        name,
        'none on the bucket: public ACLs and policies are allowed at bucket level (an account-level block may still apply); ' +
          (isPublic ? `new objects get the public ACL '${acl}'` : 'no public ACL is configured'),
      )
    const verified = s3ErrorCode(error) === read.missingCode
    return {
      check: unreadable(read, error, missing, reasons.join('; ') || undefined),
      verified,
      access: verified ? { ...access, block: {} } : access,
    }
  }
  access.block = block
  const on = (['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const).filter((k) => block[k])
  const summary = on.length ? `${on.join(', ')} on` : 'all four settings off'
  if (isPublic && block.BlockPublicAcls) {
    const detail =
      `the bucket blocks public ACLs (BlockPublicAcls on): S3 refuses every write carrying the ACL '${acl}' with 403 AccessDenied, ` +
      `which reads like a missing permission. ${sentence(PUBLIC_ACL_BLOCKED_FIX)}.`
    return { check: fail(name, detail), verified: true, access }
  }
  if (isPublic && block.IgnorePublicAcls) {
    const detail =
      `the bucket ignores public ACLs (IgnorePublicAcls on): the ACL '${acl}' is accepted but has no effect, so files are not public. ` +
      'Unset defaultAcl / AWS_DEFAULT_ACL and use signed URLs (querystringAuth) or a CDN; or turn IgnorePublicAcls off for this bucket.'
    return { check: fail(name, detail), verified: true, access }
  }
  const problem = intent.unsignedUrls ? unsignedUrlProblem(Bucket, block, policyPublic) : undefined
  if (problem) return { check: fail(name, problem), verified: true, access }
  const aclNote = isPublic ? `the public ACL '${acl}' is allowed` : acl ? `the ACL '${acl}' is not public` : 'no ACL header is sent'
  const policyNote = policyPublic === undefined ? '' : policyPublic ? '; the bucket policy is public' : '; no public bucket policy'
  return { check: ok(name, `${summary}; ${aclNote}${policyNote}`), verified: true, access }
}
