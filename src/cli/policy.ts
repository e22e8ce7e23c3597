/**
 * `node-storages policy`: prints the least-privilege IAM policy of a storage that states one
 * (the `PolicyProvider` capability; S3Storage builds it in src/backends/s3/policy.ts).
 */
import { isPolicyProvider } from '../core/capabilities.js'
import { ImproperlyConfigured } from '../core/errors.js'
import type { Storage } from '../core/storage.js'

/** Options of `policyFor`. */
export interface PolicyCommandOptions {
  /** Add the bucket-setting reads `node-storages doctor` makes (`policy --doctor`). */
  doctor?: boolean
}

/**
 * The IAM policy `storage` needs (its `iamPolicy()`); throws `ImproperlyConfigured` for a storage
 * that has none, which today means any storage but S3.
 */
export function policyFor(storage: Storage, options: PolicyCommandOptions = {}): object {
  if (!isPolicyProvider(storage)) {
    throw new ImproperlyConfigured(
      `\`policy\` is for S3 storages (and others that state an IAM policy), not ${String(storage)}: ` +
        'set USE_S3_STORAGE=true and AWS_STORAGE_BUCKET_NAME.',
    )
  }
  return storage.iamPolicy(options.doctor ? { doctor: true } : {})
}
