/**
 * S3 settings in the environment that node-storages would otherwise ignore in silence: variable
 * names from setup guides and other libraries (`AWS_S3_BUCKET_NAME`, `AWS_S3_REGION`,
 * `AWS_ACCESS_KEY`, …) that it does not read, and S3 settings present under `NODE_ENV=production`
 * while the filesystem backend was chosen. `createStorage()` warns about both
 * (`process.emitWarning`); `node-storages doctor` fails on them.
 */
import { envBool, envValue, type Env } from '../../core/env.js'

/** Names guides and other libraries use, with the variable node-storages reads instead. */
export const GUIDE_NAMES: Readonly<Record<string, string>> = {
  AWS_S3_BUCKET_NAME: 'AWS_STORAGE_BUCKET_NAME',
  AWS_S3_BUCKET: 'AWS_STORAGE_BUCKET_NAME',
  AWS_BUCKET_NAME: 'AWS_STORAGE_BUCKET_NAME',
  AWS_BUCKET: 'AWS_STORAGE_BUCKET_NAME',
  S3_BUCKET: 'AWS_STORAGE_BUCKET_NAME',
  S3_BUCKET_NAME: 'AWS_STORAGE_BUCKET_NAME',
  AWS_S3_REGION: 'AWS_S3_REGION_NAME',
  S3_REGION: 'AWS_S3_REGION_NAME',
  AWS_ACCESS_KEY: 'AWS_ACCESS_KEY_ID',
  S3_ACCESS_KEY_ID: 'AWS_ACCESS_KEY_ID',
  S3_ACCESS_KEY: 'AWS_ACCESS_KEY_ID',
  AWS_SECRET_KEY: 'AWS_SECRET_ACCESS_KEY',
  S3_SECRET_ACCESS_KEY: 'AWS_SECRET_ACCESS_KEY',
  S3_SECRET_KEY: 'AWS_SECRET_ACCESS_KEY',
  AWS_S3_ENDPOINT: 'AWS_S3_ENDPOINT_URL',
  S3_ENDPOINT: 'AWS_S3_ENDPOINT_URL',
  AWS_ENDPOINT_URL: 'AWS_S3_ENDPOINT_URL',
  AWS_ENDPOINT_URL_S3: 'AWS_S3_ENDPOINT_URL',
  AWS_S3_CUSTOM_DOMAIN_NAME: 'AWS_S3_CUSTOM_DOMAIN',
}

/** Variables of GUIDE_NAMES that node-storages reads under another name, with their alternatives, in node-storages' order. */
const READ_AS: Readonly<Record<string, readonly string[]>> = {
  AWS_STORAGE_BUCKET_NAME: ['AWS_STORAGE_BUCKET_NAME'],
  AWS_S3_REGION_NAME: ['AWS_S3_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION'],
  AWS_ACCESS_KEY_ID: ['AWS_S3_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID'],
  AWS_SECRET_ACCESS_KEY: ['AWS_S3_SECRET_ACCESS_KEY', 'AWS_SECRET_ACCESS_KEY'],
  AWS_S3_ENDPOINT_URL: ['AWS_S3_ENDPOINT_URL'],
  AWS_S3_CUSTOM_DOMAIN: ['AWS_S3_CUSTOM_DOMAIN'],
}

/** A variable node-storages does not read, set while the one it reads is not. */
export interface UnreadVariable {
  variable: string
  /** The variable node-storages reads for this setting. */
  use: string
}

/** The variables of `env` set under a guide's name while node-storages' own name for the setting is unset. */
export function unreadVariables(env: Env): UnreadVariable[] {
  return Object.entries(GUIDE_NAMES)
    .filter(([variable, use]) => envValue(env, variable) !== undefined && READ_AS[use]!.every((v) => envValue(env, v) === undefined))
    .map(([variable, use]) => ({ variable, use }))
}

/** `AWS_S3_BUCKET_NAME is set, but node-storages reads AWS_STORAGE_BUCKET_NAME: rename it` (one sentence per variable). */
export function describeUnread(unread: readonly UnreadVariable[]): string {
  return unread
    .map(({ variable, use }) => {
      const sdk = variable.startsWith('AWS_ENDPOINT_URL') ? ' (the AWS SDK sends requests there, but URLs would point at AWS)' : ''
      return `${variable} is set, but node-storages reads ${use}${sdk}: rename it (or set ${use} too).`
    })
    .join(' ')
}

/** The S3 bucket and keys the environment holds, under node-storages' names or a guide's. */
function s3Settings(env: Env): { bucket?: string; keys?: string } {
  const names = (use: string) => [...READ_AS[use]!, ...Object.keys(GUIDE_NAMES).filter((g) => GUIDE_NAMES[g] === use)]
  const bucket = names('AWS_STORAGE_BUCKET_NAME').find((v) => envValue(env, v) !== undefined)
  const keys = [...names('AWS_ACCESS_KEY_ID'), 'AWS_S3_SESSION_PROFILE'].find((v) => envValue(env, v) !== undefined)
  return { ...(bucket ? { bucket } : {}), ...(keys ? { keys } : {}) }
}

/**
 * Under `NODE_ENV=production`, when the filesystem backend was chosen but the environment holds an
 * S3 bucket and keys: what is wrong and the fix (else undefined). `STORAGE_BACKEND=filesystem`
 * says the filesystem is meant, and silences it.
 */
export function filesystemInProduction(env: Env, backend: string): string | undefined {
  if (backend !== 'filesystem' || envValue(env, 'NODE_ENV') !== 'production') return undefined
  if (envValue(env, 'STORAGE_BACKEND')?.trim().toLowerCase() === 'filesystem') return undefined
  const { bucket, keys } = s3Settings(env)
  if (!bucket || !keys) return undefined
  const why =
    envBool(env, 'USE_S3_STORAGE') === false
      ? 'USE_S3_STORAGE=false chose it (a leftover of a development .env?)'
      : bucket !== 'AWS_STORAGE_BUCKET_NAME'
        ? `${bucket} is not a variable node-storages reads (it reads AWS_STORAGE_BUCKET_NAME)`
        : 'the configuration chose it'
  const root = envValue(env, 'MEDIA_ROOT') ?? './media'
  return (
    `NODE_ENV=production and S3 settings are set (${bucket}, ${keys}), but the storage is the filesystem backend: files go to this ` +
    `machine's disk at ${root}, not to S3, because ${why}. To use S3 set USE_S3_STORAGE=true` +
    `${bucket !== 'AWS_STORAGE_BUCKET_NAME' ? ' and rename the bucket variable AWS_STORAGE_BUCKET_NAME' : ''}; ` +
    'to keep the filesystem on purpose, set STORAGE_BACKEND=filesystem.'
  )
}
