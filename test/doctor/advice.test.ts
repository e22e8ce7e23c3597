// Doctor's advice lines (NOTE, never a failure): a lifecycle rule aborting incomplete multipart
// uploads under the location, default encryption (and what an SSE-KMS default needs), versioning
// with or without a rule expiring noncurrent versions; a server without these reads is skipped.
import { describe, expect, it } from 'vitest'
import { doctor, envFor, printedPolicy, standin } from './helpers.js'

const withReads = { appPolicy: printedPolicy({}, true) }
const run = async (bucket: Parameters<typeof standin>[0], extra: Record<string, string> = {}) =>
  doctor(envFor(await standin(bucket, withReads), extra), '--upload-method', 'none')

describe('advice on the bucket', () => {
  it('nothing set: a note for each, with the rule or setting to add; the exit code stays 0', async () => {
    const result = await run({})
    expect(result.code, result.text).toBe(0)
    expect(result.lines.lifecycle).toMatchObject({
      status: 'note',
      detail: expect.stringMatching(
        /^no lifecycle rule aborts incomplete multipart uploads under 'media\/'.*"AbortIncompleteMultipartUpload": \{"DaysAfterInitiation": 7\}/,
      ),
    })
    expect(result.lines.encryption).toMatchObject({
      status: 'note',
      detail: expect.stringMatching(/^no default encryption on the bucket: turn on SSE-S3/),
    })
    expect(result.lines.versioning).toMatchObject({
      status: 'note',
      detail: expect.stringMatching(/^versioning is off: a file deleted or overwritten .* cannot be recovered/),
    })
  })

  it('set up: a rule for the location (or the whole bucket), SSE-S3, versioning with noncurrent expiry: ok lines', async () => {
    const result = await run({
      lifecycle: [
        { id: 'other', prefix: 'logs/', abortIncompleteDays: 1 },
        { id: 'media', prefix: 'media/', abortIncompleteDays: 7, noncurrentDays: 30 },
      ],
      encryption: { algorithm: 'AES256' },
      versioning: 'Enabled',
    })
    expect(result.lines.lifecycle).toMatchObject({
      status: 'ok',
      detail: "rule 'media' aborts incomplete multipart uploads under 'media/' after 7 days",
    })
    expect(result.lines.encryption).toMatchObject({ status: 'ok', detail: 'default encryption AES256' })
    expect(result.lines.versioning).toMatchObject({ status: 'ok', detail: "on; rule 'media' expires noncurrent versions after 30 days" })
  })

  it('a rule for another prefix does not count; versioning on without expiry is a note on the cost', async () => {
    const result = await run({ lifecycle: [{ id: 'logs', prefix: 'logs/', abortIncompleteDays: 1 }], versioning: 'Enabled' })
    expect(result.lines.lifecycle!.status).toBe('note')
    expect(result.lines.versioning).toMatchObject({
      status: 'note',
      detail: expect.stringMatching(/versioning is on and no lifecycle rule expires noncurrent versions .*NoncurrentVersionExpiration/),
    })
  })

  it('an SSE-KMS default encryption the objectParameters do not mention: a note naming the KMS actions and the setting', async () => {
    const key = 'arn:aws:kms:eu-west-3:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
    const result = await run({ encryption: { algorithm: 'aws:kms', kmsKeyId: key } })
    expect(result.lines.encryption).toMatchObject({
      status: 'note',
      detail: expect.stringContaining(
        `needs kms:GenerateDataKey and kms:Decrypt on it, which \`node-storages policy\` grants only when objectParameters say so: set objectParameters: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: '${key}' }`,
      ),
    })
    const said = await run(
      { encryption: { algorithm: 'aws:kms', kmsKeyId: key } },
      { AWS_S3_OBJECT_PARAMETERS: JSON.stringify({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key }) },
    )
    expect(said.lines.encryption!.status).toBe('ok')
  })

  it('a server answering 501 for these reads: skipped; credentials that may not read them: a note naming the action', async () => {
    const none = await run({ lifecycle: 'not-implemented', encryption: 'not-implemented', versioning: 'not-implemented' })
    for (const name of ['lifecycle', 'encryption', 'versioning'])
      expect(none.lines[name]).toMatchObject({ status: 'skip', detail: expect.stringContaining('does not implement') })
    const blind = await doctor(envFor(await standin({})), '--upload-method', 'none')
    expect(blind.lines.lifecycle).toMatchObject({ status: 'note', detail: expect.stringContaining('(needs s3:GetLifecycleConfiguration)') })
    expect(blind.code).toBe(0)
  })
})
