// vitest globalSetup: one s3rver child process and one SigV4-verifying proxy in front of it,
// shared by the whole run. Tests read the addresses with `inject('s3')`.
import type {} from 'vitest' // makes the module augmentation below resolvable
import type { TestProject } from 'vitest/node'
import { S3RVER_CREDENTIALS, TEST_BUCKETS, startS3rver } from './s3rver.js'
import { startVerifyingProxy } from './sigv4-proxy.js'

/** What the global setup hands to tests through `inject('s3')`. */
export interface ProvidedS3 {
  /** s3rver itself: `http://127.0.0.1:PORT` (no signature checks). */
  endpoint: string
  /** The SigV4-verifying proxy in front of s3rver (credentials: `S3RVER_CREDENTIALS`). */
  proxyEndpoint: string
  /** s3rver's port. */
  port: number
  /** The proxy's port. */
  proxyPort: number
  /** Buckets created before the run: `node-storages-test`, `node-storages-test-2`. */
  buckets: string[]
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: ProvidedS3
  }
}

/** Starts s3rver and the verifying proxy, provides `s3`, and returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3 = await startS3rver({ buckets: [...TEST_BUCKETS] })
  let proxy
  try {
    proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }], record: false })
  } catch (err) {
    await s3.stop()
    throw err
  }
  project.provide('s3', {
    endpoint: s3.endpoint,
    proxyEndpoint: proxy.endpoint,
    port: s3.port,
    proxyPort: proxy.port,
    buckets: s3.buckets,
  })
  return async () => {
    await Promise.allSettled([proxy.stop(), s3.stop()])
  }
}
