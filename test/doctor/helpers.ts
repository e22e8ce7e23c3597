// What the doctor tests share: made-up keys (built at run time, so key scanners are not set off),
// an AWS stand-in per test with the app's key (the policy `node-storages policy` prints) and an
// admin key, the environment that points the app at it, and runners for the app and for doctor.
import { randomUUID } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { inspect } from 'node:util'
import { afterEach, expect } from 'vitest'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { main } from '../../src/cli/main.js'
import { createStorage } from '../../src/create.js'
import type { Check } from '../../src/core/diagnostics.js'
import type { Storage } from '../../src/core/storage.js'
import { ADMIN_POLICY, type PolicyDocument } from './standin/iam.js'
import { type AwsStandin, startAwsStandin } from './standin/server.js'
import type { BucketState, StandinKey, StandinOptions } from './standin/types.js'

export const APP_KEY = ['AKIA', 'APPKEY', 'STANDIN', 'WXYZ'].join('')
export const APP_SECRET = ['app', 'secret', randomUUID()].join('-')
export const ADMIN_KEY = ['AKIA', 'ADMINKEY', 'STANDIN', 'QRST'].join('')
export const ADMIN_SECRET = ['admin', 'secret', randomUUID()].join('-')
export const BUCKET = 'acme-media'
export const REGION = 'eu-west-3'

/** The S3 options of the app under test (what its environment below says). */
export const APP_OPTIONS: S3StorageOptions = { bucketName: BUCKET, location: 'media', regionName: REGION }

/** The IAM policy `node-storages policy` prints for a storage with these options (plus `doctor` reads when asked). */
export function printedPolicy(options: S3StorageOptions = {}, doctor = false): PolicyDocument {
  const storage = new S3Storage({ ...APP_OPTIONS, accessKey: 'k', secretKey: 's', ...options })
  return storage.iamPolicy({ doctor }) as PolicyDocument
}

const running: AwsStandin[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()))
})

/** Starts a stand-in with `acme-media` in eu-west-3 (settings from `bucket`) and the app's and admin's keys. */
export async function standin(
  bucket: Partial<BucketState> = {},
  options: Partial<StandinOptions> & { appPolicy?: PolicyDocument; appKey?: Partial<StandinKey> } = {},
): Promise<AwsStandin> {
  const { appPolicy, appKey, ...rest } = options
  const s = await startAwsStandin({
    keys: [
      { accessKeyId: APP_KEY, secretAccessKey: APP_SECRET, policy: appPolicy ?? printedPolicy(), ...appKey },
      { accessKeyId: ADMIN_KEY, secretAccessKey: ADMIN_SECRET, policy: ADMIN_POLICY, user: 'admin' },
    ],
    buckets: [{ name: BUCKET, region: REGION, ownership: 'BucketOwnerEnforced', ...bucket }],
    ...rest,
  })
  running.push(s)
  return s
}

/** The environment of the app: S3 at the stand-in, the app's keys, location `media`; `extra` overrides (undefined removes). */
export function envFor(s: AwsStandin, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    USE_S3_STORAGE: 'true',
    AWS_STORAGE_BUCKET_NAME: BUCKET,
    AWS_S3_REGION_NAME: REGION,
    AWS_S3_ENDPOINT_URL: s.endpoint,
    AWS_ACCESS_KEY_ID: APP_KEY,
    AWS_SECRET_ACCESS_KEY: APP_SECRET,
    AWS_LOCATION: 'media',
    ...extra,
  }
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>
}

/** The admin's environment: the same, with the admin key. */
export const adminEnv = (s: AwsStandin, extra: Record<string, string | undefined> = {}) =>
  envFor(s, { AWS_ACCESS_KEY_ID: ADMIN_KEY, AWS_SECRET_ACCESS_KEY: ADMIN_SECRET, ...extra })

/** What `node-storages doctor` printed: the text, the exit code, and the lines by name (the last of a name wins). */
export interface DoctorRun {
  code: number
  text: string
  lines: Record<string, Check>
}

/** Runs `node-storages <args>` with `env`, capturing standard output. */
export async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; text: string }> {
  const [out, chunks] = [new PassThrough(), [] as Buffer[]]
  out.on('data', (c: Buffer) => chunks.push(c))
  const err = new PassThrough()
  err.resume()
  const code = await main(args, env, out, err)
  return { code, text: Buffer.concat(chunks).toString() }
}

/** Runs `node-storages doctor <args>` with `env`. */
export async function doctor(env: Record<string, string>, ...args: string[]): Promise<DoctorRun> {
  const { code, text } = await cli(['doctor', ...args], env)
  const lines: Record<string, Check> = {}
  for (const m of text.matchAll(/^(OK|FAIL|SKIP|NOTE) +([^:]+): (.*)$/gm)) {
    lines[m[2]!] = { status: m[1]!.toLowerCase() as Check['status'], name: m[2]!, detail: m[3]! }
  }
  return { code, text, lines }
}

/** The error `fn` rejects with (fails the test when it resolves). */
export async function failure(fn: () => Promise<unknown>): Promise<Error & { code?: string; action?: string }> {
  const result = await fn().then(
    () => undefined,
    (error: unknown) => error as Error,
  )
  expect(result, 'expected a rejection').toBeInstanceOf(Error)
  return result!
}

/** The storage the app builds from `env`. */
export const appStorage = (env: Record<string, string>): Storage => createStorage(undefined, env)

/** Asserts that no secret of the stand-in's keys (nor `more`) appears in `texts` or in the full inspection of errors. */
export function expectNoSecret(texts: unknown[], ...more: string[]): void {
  const secrets = [APP_SECRET, ADMIN_SECRET, ...more]
  for (const t of texts) {
    const text = typeof t === 'string' ? t : inspect(t, { depth: Number.POSITIVE_INFINITY, showHidden: true })
    for (const secret of secrets) expect(text).not.toContain(secret.trim())
  }
}

/** Asserts the app's error never uses the internal word "check" for the operation. */
export function expectPlainWords(message: string): void {
  expect(message).not.toMatch(/during check|Unable to check\b|UnknownError/)
}
