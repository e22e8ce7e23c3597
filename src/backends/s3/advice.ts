/**
 * The advice S3 failures carry, written once: the error mapping (errors.ts) and `node-storages
 * doctor` (diagnose/) both say what is wrong and how to fix it in these words. Each function
 * returns a sentence fragment without a capital or a final full stop, so callers can place it,
 * unless it says it returns a sentence.
 */

/** How to fix a missing bucket, naming the endpoint setting when one is configured. */
export function noSuchBucketFix(endpointUrl?: string): string {
  const endpoint = endpointUrl ? ', endpointUrl (AWS_S3_ENDPOINT_URL)' : ''
  return `check bucketName (AWS_STORAGE_BUCKET_NAME)${endpoint} and regionName (AWS_S3_REGION_NAME), or create the bucket`
}

/** How to fix requests signed for the wrong region: set `regionName` to `actual` when it is known. */
export function regionFix(actual: string | undefined): string {
  return actual
    ? `set regionName: '${actual}' (AWS_S3_REGION_NAME=${actual})`
    : "set regionName (AWS_S3_REGION_NAME) to the bucket's region (shown in the S3 console)"
}

/**
 * `bucket 'b' is in region 'x', not 'y'<detail>: set regionName: 'x' (AWS_S3_REGION_NAME=x).`,
 * for a bucket that lives in another region than the one requests are signed for.
 */
export function wrongRegion(bucket: string, actual: string | undefined, configured: string, detail = ''): string {
  const where = actual ? `in region '${actual}'` : 'in another region'
  return `bucket '${bucket}' is ${where}, not '${configured}'${detail}: ${regionFix(actual)}.`
}

/** What each refusal of the keys means. */
const REFUSED: Record<string, string> = {
  InvalidAccessKeyId: 'the access key id does not exist (a typo, a deleted key, or a key of another account or service)',
  SignatureDoesNotMatch:
    'the secret key does not belong to the access key id (a wrong secret, or one copied with a space or line break around it)',
}

/** S3 answered `InvalidAccessKeyId` or `SignatureDoesNotMatch` (`code`); `during` says when, e.g. ` when trying to save 'a.txt'`. A sentence. */
export function refusedCredentials(code: string | undefined, during = ''): string {
  const c = code ?? 'InvalidAccessKeyId'
  return (
    `S3 refused the credentials (${c})${during}: ${REFUSED[c] ?? REFUSED.InvalidAccessKeyId}. Check the access key id and its secret key ` +
    '(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the profile) and regionName (AWS_S3_REGION_NAME).'
  )
}

/** Codes S3 answers for a session token it will not take. */
export const TOKEN_CODES: ReadonlySet<string> = new Set(['ExpiredToken', 'TokenRefreshRequired', 'InvalidToken'])

/**
 * S3 refused the session token of temporary credentials (`ExpiredToken`, `InvalidToken`); `during`
 * says when. A sentence.
 */
export function refusedToken(code: string | undefined, during = ''): string {
  const expired = code !== 'InvalidToken'
  const what = expired
    ? 'the session token of these temporary credentials has expired'
    : 'the session token is malformed or was not issued with this access key'
  const fix = expired
    ? "get new temporary credentials (aws sso login, aws sts assume-role, or your CI's role) and set AWS_SESSION_TOKEN with the keys issued with it; " +
      'better, let a profile or an IAM role provide them (unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN), since the SDK refreshes those'
    : 'set AWS_SESSION_TOKEN (securityToken) to the token issued with AWS_ACCESS_KEY_ID, or unset it for long-term keys'
  return `S3 refused the request (${code ?? 'ExpiredToken'})${during}: ${what}. ${fix.charAt(0).toUpperCase()}${fix.slice(1)}. URLs signed with these credentials stop working too.`
}

/** Where credentials can come from, for a process that found none. */
export const CREDENTIALS_SOURCES =
  'set accessKey/secretKey (AWS_S3_ACCESS_KEY_ID and AWS_S3_SECRET_ACCESS_KEY, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), ' +
  'a profile (sessionProfile / AWS_S3_SESSION_PROFILE, or AWS_PROFILE), ' +
  'or run with an IAM role (EC2 instance profile, ECS task role, EKS IRSA)'

/** How to fix a clock S3 finds too far off (`RequestTimeTooSkewed`). */
export const CLOCK_FIX = 'synchronise the clock with NTP (chrony, systemd-timesyncd)'

/** How to fix writes refused because the bucket has ACLs disabled (Object Ownership: BucketOwnerEnforced). */
export const ACL_DISABLED_FIX = 'unset defaultAcl / AWS_DEFAULT_ACL (and any ACL in objectParameters / AWS_S3_OBJECT_PARAMETERS)'

/** How to fix writes carrying a public ACL that Block Public Access (BlockPublicAcls) refuses. */
export const PUBLIC_ACL_BLOCKED_FIX =
  'unset defaultAcl / AWS_DEFAULT_ACL and serve the files with signed URLs (querystringAuth) or a CDN; ' +
  'or, if they must be public, turn BlockPublicAcls off for this bucket (and for the account, if it is on there)'

/** Why the name is looked up (a HEAD) before `operation`: the words of an error message. */
export function lookupPhrase(verb: string): string {
  return `when looking the name up (a HEAD request) before trying to ${verb} it`
}

/** Capitalises the first letter of an advice sentence, for an error message. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
