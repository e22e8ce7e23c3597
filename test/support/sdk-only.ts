/**
 * `clientConfig` for an S3Storage whose S3Client is mocked (aws-sdk-client-mock): the direct GET,
 * PUT and listing send their own requests, past the mocked client, so a handler instance (which
 * turns them off, src/backends/s3/direct.ts) keeps every request on the mock. The handler itself is
 * never called: the mock answers `send()`.
 */
export const SDK_ONLY = {
  requestHandler: { handle: () => Promise.reject(new Error('the S3Client of this test is mocked; nothing is sent')) },
}
