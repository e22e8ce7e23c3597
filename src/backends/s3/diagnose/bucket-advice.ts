/**
 * Doctor's advice lines (`note`: never a failure) on bucket settings that cost money or data
 * when missing: a lifecycle rule aborting incomplete multipart uploads under the location,
 * default encryption (and the KMS permissions an SSE-KMS default needs), and versioning (with a
 * rule expiring noncurrent versions). A server that does not implement a setting (501/405) is
 * skipped; a setting the credentials may not read gets a note naming the action.
 */
import type { LifecycleRule, S3Client } from '@aws-sdk/client-s3'
import type { Check } from '../../../core/diagnostics.js'
import type { S3Sdk } from '../client.js'
import { s3ErrorCode, s3Status } from '../errors.js'
import { DOCTOR_ACTIONS } from '../iam.js'
import { describeError, note, ok, skip, unsupported } from './common.js'

/** What the advice needs of the storage. */
export interface AdviceScope {
  bucket: string
  location: string
  objectParameters: Record<string, unknown>
}

type Read<T> = { value: T } | { missing: true } | { line: Check }

/** Sends a settings read: its value, "not configured" (`missingCode`), or the line to print instead. */
async function read<T>(name: string, what: string, action: string, missingCode: string, send: () => Promise<T>): Promise<Read<T>> {
  try {
    return { value: await send() }
  } catch (error) {
    if (s3ErrorCode(error) === missingCode) return { missing: true }
    if (unsupported(error)) return { line: skip(name, `the server does not implement ${what} (${describeError(error)}): not checked`) }
    const why =
      s3Status(error) === 403
        ? `the credentials may not read ${what} (needs ${action})`
        : `could not read ${what} (${describeError(error)})`
    return { line: note(name, `${why}: not checked`) }
  }
}

/** The rule's prefix (`Filter.Prefix`, `Filter.And.Prefix` or the legacy `Prefix`). */
const prefixOf = (r: LifecycleRule) => r.Filter?.Prefix ?? r.Filter?.And?.Prefix ?? r.Prefix ?? ''

/** Whether an enabled rule applies to every key under `prefix`. */
const covers = (r: LifecycleRule, prefix: string) =>
  r.Status === 'Enabled' && prefix.startsWith(prefixOf(r)) && !r.Filter?.Tag && !r.Filter?.And?.Tags?.length

const ABORT_RULE = (prefix: string) =>
  `{"ID": "abort-incomplete-uploads", "Filter": {"Prefix": "${prefix}"}, "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}`

/** The lifecycle, encryption and versioning lines. */
export async function* bucketAdvice(client: S3Client, sdk: S3Sdk, scope: AdviceScope): AsyncGenerator<Check> {
  const Bucket = scope.bucket
  const prefix = scope.location ? `${scope.location}/` : ''
  const under = prefix ? `under '${prefix}'` : 'in the bucket'

  const lifecycle = await read(
    'lifecycle',
    'the lifecycle rules (GetBucketLifecycleConfiguration)',
    DOCTOR_ACTIONS.lifecycle,
    'NoSuchLifecycleConfiguration',
    async () => (await client.send(new sdk.GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? [],
  )
  const rules = 'value' in lifecycle ? lifecycle.value : 'missing' in lifecycle ? [] : undefined
  if ('line' in lifecycle) yield lifecycle.line
  else {
    const abort = rules!.find((r) => covers(r, prefix) && r.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined)
    yield abort
      ? ok(
          'lifecycle',
          `rule '${abort.ID ?? '(no id)'}' aborts incomplete multipart uploads ${under} after ${abort.AbortIncompleteMultipartUpload!.DaysAfterInitiation} days`,
        )
      : note(
          'lifecycle',
          `no lifecycle rule aborts incomplete multipart uploads ${under}: the parts of a large upload that was cut off stay, and are billed, ` +
            `until someone aborts it. Add a rule (Management → Lifecycle rules): ${ABORT_RULE(prefix)} (docs/s3.md).`,
        )
  }

  const encryption = await read(
    'encryption',
    'the default encryption (GetBucketEncryption)',
    DOCTOR_ACTIONS.encryption,
    'ServerSideEncryptionConfigurationNotFoundError',
    async () =>
      (await client.send(new sdk.GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0]
        ?.ApplyServerSideEncryptionByDefault,
  )
  const own = scope.objectParameters.ServerSideEncryption as string | undefined
  if ('line' in encryption) yield encryption.line
  else if ('missing' in encryption || !encryption.value?.SSEAlgorithm) {
    yield own
      ? ok('encryption', `no default encryption on the bucket; writes ask for ${own} (objectParameters.ServerSideEncryption)`)
      : note(
          'encryption',
          "no default encryption on the bucket: turn on SSE-S3 default encryption (Properties → Default encryption), or set objectParameters: { ServerSideEncryption: 'AES256' }.",
        )
  } else {
    const { SSEAlgorithm: algorithm, KMSMasterKeyID: key } = encryption.value
    const kms = algorithm.startsWith('aws:kms')
    if (kms && !String(own ?? '').startsWith('aws:kms')) {
      const k = key ? `'${key}'` : '(the AWS managed key aws/s3)'
      yield note(
        'encryption',
        `default encryption is SSE-KMS with the key ${k}: every write and read also needs kms:GenerateDataKey and kms:Decrypt on it, ` +
          `which \`node-storages policy\` grants only when objectParameters say so: set objectParameters: { ServerSideEncryption: 'aws:kms'${key ? `, SSEKMSKeyId: '${key}'` : ''} } ` +
          `(AWS_S3_OBJECT_PARAMETERS) and print the policy again.`,
      )
    } else yield ok('encryption', `default encryption ${algorithm}${key ? ` with the key '${key}'` : ''}`)
  }

  const versioning = await read(
    'versioning',
    'the versioning state (GetBucketVersioning)',
    DOCTOR_ACTIONS.versioning,
    '',
    async () => (await client.send(new sdk.GetBucketVersioningCommand({ Bucket }))).Status,
  )
  if ('line' in versioning) yield versioning.line
  else if ('value' in versioning && versioning.value === 'Enabled') {
    const expiry = rules?.find((r) => covers(r, prefix) && r.NoncurrentVersionExpiration?.NoncurrentDays !== undefined)
    yield expiry
      ? ok(
          'versioning',
          `on; rule '${expiry.ID ?? '(no id)'}' expires noncurrent versions after ${expiry.NoncurrentVersionExpiration!.NoncurrentDays} days`,
        )
      : note(
          'versioning',
          `versioning is on and no lifecycle rule expires noncurrent versions ${under}: every overwritten or deleted file stays as a noncurrent ` +
            'version, billed forever. Add NoncurrentVersionExpiration (e.g. {"NoncurrentDays": 30}) to a lifecycle rule, unless keeping them is the point.',
        )
  } else {
    const state = 'value' in versioning && versioning.value === 'Suspended' ? 'suspended' : 'off'
    yield note(
      'versioning',
      `versioning is ${state}: a file deleted or overwritten (fileOverwrite) cannot be recovered. Turn versioning on, with a lifecycle rule ` +
        'expiring noncurrent versions, if the files cannot be made again.',
    )
  }
}
