// The state of the AWS stand-in: keys with their IAM policies, buckets with their settings, objects.
import type { PolicyDocument } from './iam.js'

/** A CORS rule as S3 stores it. */
export interface CorsRule {
  AllowedOrigins?: string[]
  AllowedMethods?: string[]
  AllowedHeaders?: string[]
  ExposeHeaders?: string[]
  MaxAgeSeconds?: number
}

/** A lifecycle rule, the parts doctor reads. */
export interface LifecycleRule {
  id: string
  prefix?: string
  enabled?: boolean
  abortIncompleteDays?: number
  noncurrentDays?: number
  expirationDays?: number
}

/** A bucket and its settings; a setting left undefined is "not configured" (S3's 404 for it). */
export interface BucketState {
  name: string
  region: string
  /** Object Ownership; undefined: none (ACLs enabled, a bucket from before 2023). */
  ownership?: 'BucketOwnerEnforced' | 'BucketOwnerPreferred' | 'ObjectWriter'
  publicAccessBlock?: {
    BlockPublicAcls?: boolean
    IgnorePublicAcls?: boolean
    BlockPublicPolicy?: boolean
    RestrictPublicBuckets?: boolean
  }
  cors?: CorsRule[]
  /** A bucket policy granting s3:GetObject to everyone ("Principal": "*") exists. */
  publicPolicy?: boolean
  lifecycle?: LifecycleRule[] | 'not-implemented'
  encryption?: { algorithm: 'AES256' | 'aws:kms'; kmsKeyId?: string } | 'not-implemented'
  versioning?: 'Enabled' | 'Suspended' | 'not-implemented'
}

/** An access key the stand-in knows. */
export interface StandinKey {
  accessKeyId: string
  secretAccessKey: string
  /** Temporary credentials: requests must carry this token. */
  sessionToken?: string
  /** The session token has expired: every request gets 400 ExpiredToken. */
  expired?: boolean
  /** The identity policy of the key's user. */
  policy: PolicyDocument
  /** The user's name in `arn:aws:iam::111122223333:user/<name>` (default `app`). */
  user?: string
}

/** An object in a bucket. */
export interface StoredObject {
  body: Buffer
  contentType: string
  etag: string
  lastModified: Date
  acl?: string
  sse?: string
  kmsKeyArn?: string
  tags?: string
  headers: Record<string, string>
}

/** What the stand-in starts with. */
export interface StandinOptions {
  keys: StandinKey[]
  buckets: BucketState[]
  /** The stand-in's clock minus the real one, in ms (its Date header and its skew check use it). */
  clockOffsetMs?: number
  /**
   * How a request signed for the wrong region is answered: `redirect` (301 PermanentRedirect with
   * `x-amz-bucket-region`, as the us-east-1 endpoint does) or `malformed` (400
   * AuthorizationHeaderMalformed naming the region in the body only, as the bucket's regional
   * endpoint does). Default `redirect`.
   */
  wrongRegion?: 'redirect' | 'malformed'
}

/** The account of every key and KMS key of the stand-in. */
export const ACCOUNT = '111122223333'
