// The shared behaviour suite (src/testing) against S3Storage on s3rver, through the SigV4-verifying
// proxy. Every storage gets its own random location, so runs and tests never collide.
import { randomUUID } from 'node:crypto'
import { inject } from 'vitest'
import { describeStorage } from '../../src/testing/index.js'
import { S3Storage } from '../../src/backends/s3/index.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'

const s3 = inject('s3')

describeStorage(
  'S3Storage on s3rver',
  ({ fileOverwrite }) =>
    new S3Storage({
      bucketName: s3.buckets[0],
      endpointUrl: s3.proxyEndpoint,
      accessKey: S3RVER_CREDENTIALS.accessKeyId,
      secretKey: S3RVER_CREDENTIALS.secretAccessKey,
      location: `suite-${randomUUID()}`,
      fileOverwrite,
      conditionalWrites: false, // s3rver ignores If-None-Match: use the HEAD-after-claim fallback
    }),
  {
    capabilities: { directories: false, path: false, times: false, signedUploads: true },
    cleanup: (storage) => (storage as S3Storage).destroy(),
  },
)
