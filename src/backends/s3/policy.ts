/**
 * The least-privilege IAM policy of an S3Storage (`S3Storage.iamPolicy()`, printed by
 * `node-storages policy`), built from the action lists of iam.ts.
 */
import type { IamPolicyOptions } from '../../core/capabilities.js'
import { DOCTOR_ACTIONS, objectActions, type S3Action } from './iam.js'

/** What the policy needs to know of the storage. */
export interface PolicyScope {
  bucketName: string
  /** The key prefix (`''`: the bucket root), with or without a trailing `/`. */
  location: string
  /** Whether writes carry an ACL (`defaultAcl` or `objectParameters.ACL`): adds `s3:PutObjectAcl`. */
  acl: boolean
}

/** An IAM policy document, ready for `JSON.stringify`. */
export interface IamPolicy {
  Version: '2012-10-17'
  Statement: IamStatement[]
}

/** One statement of an IAM policy. */
export interface IamStatement {
  Sid: string
  Effect: 'Allow'
  Action: S3Action[]
  Resource: string
  Condition?: Record<string, Record<string, string[]>>
}

/**
 * An IAM policy granting what the storage's operations need and nothing more: listing under the
 * location, object reads, writes, deletes and multipart clean-up of keys under it, and
 * `s3:PutObjectAcl` only when writes carry an ACL. `doctor: true` adds the bucket-setting reads
 * of `node-storages doctor` (Object Ownership, public access block, CORS).
 */
export function buildIamPolicy(scope: PolicyScope, options: IamPolicyOptions = {}): IamPolicy {
  const bucketArn = `arn:aws:s3:::${scope.bucketName}`
  const prefix = scope.location ? `${scope.location.replace(/\/+$/, '')}/` : ''
  const actions = objectActions()
  if (scope.acl) actions.push('s3:PutObjectAcl')
  const list: IamStatement = { Sid: 'ListUnderLocation', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn }
  if (prefix) list.Condition = { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } }
  const statements: IamStatement[] = [
    list,
    { Sid: 'ObjectsUnderLocation', Effect: 'Allow', Action: actions, Resource: `${bucketArn}/${prefix}*` },
  ]
  if (options.doctor) {
    statements.push({ Sid: 'DoctorReadsBucketSettings', Effect: 'Allow', Action: Object.values(DOCTOR_ACTIONS), Resource: bucketArn })
  }
  return { Version: '2012-10-17', Statement: statements }
}
