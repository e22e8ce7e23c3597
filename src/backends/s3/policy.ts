/**
 * The least-privilege IAM policy of an S3Storage (`S3Storage.iamPolicy()`, printed by
 * `node-storages policy`), built from the action lists of iam.ts and what the storage's options
 * make its writes carry (an ACL, tags, SSE-KMS).
 */
import type { IamPolicyOptions } from '../../core/capabilities.js'
import { DOCTOR_ACTIONS, type IamAction, KMS_ACTIONS, objectActions } from './iam.js'
import type { ResolvedS3Options } from './options.js'

/** What the policy needs to know of the storage. */
export interface PolicyScope {
  bucketName: string
  /** The key prefix (`''`: the bucket root), with or without a trailing `/`. */
  location: string
  /** Whether writes carry an ACL (`defaultAcl` or `objectParameters.ACL`): adds `s3:PutObjectAcl`. */
  acl: boolean
  /** Whether writes carry tags (`objectParameters.Tagging`): adds `s3:PutObjectTagging`. */
  tagging?: boolean
  /** Writes are encrypted with SSE-KMS (`ServerSideEncryption: 'aws:kms'`): the key (`SSEKMSKeyId`, when set) and the region. */
  kms?: { keyId?: string; region?: string }
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
  Action: IamAction[]
  Resource: string
  Condition?: Record<string, Record<string, string | string[]>>
}

/** The policy scope of a storage's resolved options. */
export function policyScope(
  o: Pick<ResolvedS3Options, 'bucketName' | 'location' | 'defaultAcl' | 'objectParameters' | 'regionName'>,
): PolicyScope {
  const p = o.objectParameters
  const scope: PolicyScope = { bucketName: o.bucketName, location: o.location, acl: Boolean(p.ACL ?? o.defaultAcl) }
  if (p.Tagging) scope.tagging = true
  if (p.ServerSideEncryption === 'aws:kms' || p.ServerSideEncryption === 'aws:kms:dsse') {
    scope.kms = {
      ...(typeof p.SSEKMSKeyId === 'string' && p.SSEKMSKeyId ? { keyId: p.SSEKMSKeyId } : {}),
      ...(o.regionName ? { region: o.regionName } : {}),
    }
  }
  return scope
}

/**
 * The KMS statement of SSE-KMS writes: on the key when `SSEKMSKeyId` names one (an ARN, a key id,
 * or an alias, matched through `kms:ResourceAliases`), else on the region's keys; always only
 * through S3 (`kms:ViaService`).
 */
function kmsStatement(kms: NonNullable<PolicyScope['kms']>): IamStatement {
  const region = kms.region ?? '*'
  const via = { 'kms:ViaService': `s3.${region}.amazonaws.com` }
  const id = kms.keyId
  const statement: IamStatement = { Sid: 'KmsKeyOfEncryptedObjects', Effect: 'Allow', Action: [...KMS_ACTIONS], Resource: '' }
  if (id && /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:key\//.test(id)) return { ...statement, Resource: id, Condition: { StringEquals: via } }
  const alias = id && (/^arn:aws[a-z-]*:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(id)?.[1] ?? (id.startsWith('alias/') ? id : undefined))
  if (alias) {
    return {
      ...statement,
      Resource: `arn:aws:kms:${region}:*:key/*`,
      Condition: { StringEquals: via, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [alias] } },
    }
  }
  return { ...statement, Resource: `arn:aws:kms:${region}:*:key/${id ?? '*'}`, Condition: { StringEquals: via } }
}

/**
 * An IAM policy granting what the storage's operations need and nothing more: listing under the
 * location, object reads, writes, deletes and multipart clean-up of keys under it,
 * `s3:PutObjectAcl` only when writes carry an ACL, `s3:PutObjectTagging` only when they carry
 * tags, and `kms:GenerateDataKey`/`kms:Decrypt` on the key of SSE-KMS. `doctor: true` adds the
 * bucket-setting reads of `node-storages doctor`.
 */
export function buildIamPolicy(scope: PolicyScope, options: IamPolicyOptions = {}): IamPolicy {
  const bucketArn = `arn:aws:s3:::${scope.bucketName}`
  const prefix = scope.location ? `${scope.location.replace(/\/+$/, '')}/` : ''
  const actions: IamAction[] = objectActions()
  if (scope.acl) actions.push('s3:PutObjectAcl')
  if (scope.tagging) actions.push('s3:PutObjectTagging')
  const list: IamStatement = { Sid: 'ListUnderLocation', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn }
  if (prefix) list.Condition = { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } }
  const statements: IamStatement[] = [
    list,
    { Sid: 'ObjectsUnderLocation', Effect: 'Allow', Action: actions, Resource: `${bucketArn}/${prefix}*` },
  ]
  if (scope.kms) statements.push(kmsStatement(scope.kms))
  if (options.doctor) {
    statements.push({ Sid: 'DoctorReadsBucketSettings', Effect: 'Allow', Action: Object.values(DOCTOR_ACTIONS), Resource: bucketArn })
  }
  return { Version: '2012-10-17', Statement: statements }
}
