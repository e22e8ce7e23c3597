/**
 * The advice S3 failures carry, written once: the error mapping (errors.ts) and `node-storages
 * doctor` (diagnose/) both say what is wrong and how to fix it in these words. Each function
 * returns a sentence fragment without a capital or a final full stop, so callers can place it.
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

/** S3 answered `InvalidAccessKeyId` or `SignatureDoesNotMatch` (`code`); `during` says when, e.g. ` during save of 'a.txt'`. */
export function refusedCredentials(code: string | undefined, during = ''): string {
  return (
    `S3 refused the credentials (${code ?? 'InvalidAccessKeyId'})${during}: check the access key id and its secret key ` +
    '(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the profile) and regionName (AWS_S3_REGION_NAME).'
  )
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

/** Capitalises the first letter of an advice sentence, for an error message. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
