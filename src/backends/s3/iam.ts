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
  | 's3:DeleteObject'
  | 's3:ListBucket'
  | 's3:AbortMultipartUpload'
  | 's3:ListMultipartUploadParts'
  | 's3:GetBucketOwnershipControls'
  | 's3:GetBucketPublicAccessBlock'
  | 's3:GetBucketCORS'

/**
 * The actions each storage operation needs on its object (on the bucket, for `list`).
 * `signedUploadUrl` makes only HEAD requests (picking a free name) but hands out a PUT.
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
  cleanup: ['s3:DeleteObject'],
  list: ['s3:ListBucket'],
  copy: ['s3:GetObject', 's3:PutObject'],
  move: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
}

/** The operations whose writes carry the storage's ACL, and so also need `s3:PutObjectAcl`. */
const WRITES_ACL: ReadonlySet<StorageOperation> = new Set<StorageOperation>(['save', 'write', 'signedUploadUrl', 'upload', 'copy', 'move'])

/** Object actions beyond the operations': multipart uploads (large saves and copies) clean up after themselves. */
export const MULTIPART_ACTIONS: readonly S3Action[] = ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts']

/** The bucket settings `node-storages doctor` reads (Object Ownership, the public access block, CORS). */
export const DOCTOR_ACTIONS = {
  ownership: 's3:GetBucketOwnershipControls',
  publicAccessBlock: 's3:GetBucketPublicAccessBlock',
  cors: 's3:GetBucketCORS',
} as const satisfies Record<string, S3Action>

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
