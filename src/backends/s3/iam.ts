/**
 * The IAM actions S3Storage needs, listed once: the error mapping names them in access-denied
 * messages (errors.ts), `iamPolicy()` grants them (policy.ts), and `doctor` names the bucket
 * reads it makes (diagnose/).
 */
import type { StorageOperation } from '../../core/errors.js'

/** An IAM action of S3 that S3Storage or `node-storages doctor` calls. */
export type S3Action =
  | 's3:GetObject'
  | 's3:PutObject'
  | 's3:PutObjectAcl'
  | 's3:PutObjectTagging'
  | 's3:DeleteObject'
  | 's3:ListBucket'
  | 's3:AbortMultipartUpload'
  | 's3:GetBucketOwnershipControls'
  | 's3:GetBucketPublicAccessBlock'
  | 's3:GetBucketPolicyStatus'
  | 's3:GetBucketCORS'
  | 's3:GetLifecycleConfiguration'
  | 's3:GetEncryptionConfiguration'
  | 's3:GetBucketVersioning'

/** The KMS actions of SSE-KMS: encrypting a new object (and completing a multipart upload) and reading one. */
export type KmsAction = 'kms:GenerateDataKey' | 'kms:Decrypt'

/** Any action S3Storage may need. */
export type IamAction = S3Action | KmsAction

/**
 * The actions each storage operation needs on its object (on the bucket, for `list`).
 * `signedUploadUrl` looks the name up with a HEAD (see NAME_LOOKUP_ACTIONS) and hands out a PUT.
 */
export const OPERATION_ACTIONS: Partial<Record<StorageOperation, readonly S3Action[]>> = {
  open: ['s3:GetObject'],
  read: ['s3:GetObject'],
  stat: ['s3:GetObject'],
  exists: ['s3:GetObject'],
  url: ['s3:GetObject'],
  serve: ['s3:GetObject'],
  save: ['s3:PutObject'],
  write: ['s3:PutObject'],
  signedUploadUrl: ['s3:GetObject', 's3:PutObject'],
  upload: ['s3:PutObject'],
  delete: ['s3:DeleteObject'],
  cleanup: ['s3:ListBucket', 's3:DeleteObject', 's3:AbortMultipartUpload'],
  list: ['s3:ListBucket'],
  copy: ['s3:GetObject', 's3:PutObject'],
  move: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
}

/**
 * What looking a name up takes (the HEAD of `exists()`, and of `save()` and `signedUploadUrl()`
 * before they pick a free name): `s3:GetObject` on the object, and `s3:ListBucket` on the bucket,
 * without which S3 answers 403 instead of 404 for a name that is free.
 */
export const NAME_LOOKUP_ACTIONS: readonly S3Action[] = ['s3:GetObject', 's3:ListBucket']

/** The operations whose writes carry the storage's ACL, and so also need `s3:PutObjectAcl`. */
const WRITES_ACL: ReadonlySet<StorageOperation> = new Set<StorageOperation>(['save', 'write', 'signedUploadUrl', 'upload', 'copy', 'move'])

/** Object actions beyond the operations': a failed multipart upload (large saves and copies) is aborted. */
export const MULTIPART_ACTIONS: readonly S3Action[] = ['s3:AbortMultipartUpload']

/** The bucket settings `node-storages doctor` reads; `policy --doctor` grants them. */
export const DOCTOR_ACTIONS = {
  ownership: 's3:GetBucketOwnershipControls',
  publicAccessBlock: 's3:GetBucketPublicAccessBlock',
  policyStatus: 's3:GetBucketPolicyStatus',
  cors: 's3:GetBucketCORS',
  lifecycle: 's3:GetLifecycleConfiguration',
  encryption: 's3:GetEncryptionConfiguration',
  versioning: 's3:GetBucketVersioning',
} as const satisfies Record<string, S3Action>

/** The KMS actions a storage with `ServerSideEncryption: 'aws:kms'` needs on its key. */
export const KMS_ACTIONS: readonly KmsAction[] = ['kms:GenerateDataKey', 'kms:Decrypt']

/** The actions `operation` needs (`s3:GetObject` when unknown), with `s3:PutObjectAcl` when its writes carry an ACL. */
export function actionsFor(operation: StorageOperation | undefined, acl = false): S3Action[] {
  const actions = [...((operation && OPERATION_ACTIONS[operation]) ?? ['s3:GetObject'])]
  if (acl && operation && WRITES_ACL.has(operation)) actions.push('s3:PutObjectAcl')
  return actions
}

/** `a`, `a and b`, `a, b and c`: a list of actions in a sentence. */
export function joinActions(actions: readonly string[]): string {
  return actions.length <= 1 ? (actions[0] ?? '') : `${actions.slice(0, -1).join(', ')} and ${actions.at(-1)}`
}

/** Every object action S3Storage needs (ACL excluded), in the order of the operations table, then multipart. */
export function objectActions(): S3Action[] {
  const all = Object.values(OPERATION_ACTIONS).flatMap((actions) => actions ?? [])
  return [...new Set([...all.filter((a) => a !== 's3:ListBucket'), ...MULTIPART_ACTIONS])]
}

/** The action AWS names in a detailed access-denied message (`… is not authorized to perform: s3:PutObject on resource …`). */
export function deniedActionOf(message: string | undefined): string | undefined {
  return /not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)/.exec(message ?? '')?.[1]
}
