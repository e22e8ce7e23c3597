/** `node-storages policy`: the least-privilege IAM policy for an S3 storage's bucket and location. */
import { StorageError } from '../core/errors.js'
import type { Storage } from '../core/storage.js'

/** What the policy needs to know of an S3 storage. */
interface S3Like {
  bucketName: string
  location: string
  defaultAcl?: string
}

function isS3Like(storage: unknown): storage is S3Like {
  return typeof (storage as S3Like).bucketName === 'string' && typeof (storage as S3Like).location === 'string'
}

/**
 * An IAM policy granting what the storage's operations need and nothing more: listing under the
 * location, object reads, writes, deletes and multipart clean-up of keys under it, and
 * `s3:PutObjectAcl` only when `defaultAcl` is set.
 */
export function policyFor(storage: Storage): object {
  if (!isS3Like(storage)) {
    throw new StorageError('`policy` is for S3 storages: set USE_S3_STORAGE=true and AWS_STORAGE_BUCKET_NAME.', { code: 'E_NOT_S3' })
  }
  const bucketArn = `arn:aws:s3:::${storage.bucketName}`
  const prefix = storage.location ? storage.location.replace(/\/+$/, '') + '/' : ''
  const objectActions = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']
  if (storage.defaultAcl) objectActions.push('s3:PutObjectAcl')
  const list: Record<string, unknown> = { Sid: 'ListUnderLocation', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucketArn }
  if (prefix) list.Condition = { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } }
  return {
    Version: '2012-10-17',
    Statement: [list, { Sid: 'ObjectsUnderLocation', Effect: 'Allow', Action: objectActions, Resource: `${bucketArn}/${prefix}*` }],
  }
}
