// The setup guides' failures about the bucket and the environment, as AWS answers them: a bucket
// name with a typo, a region that is wrong (301 with x-amz-bucket-region, or 400
// AuthorizationHeaderMalformed naming the region in the body only) or unset, variable names from
// other guides, and S3 settings under NODE_ENV=production while the filesystem backend is used.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { BucketNotFoundError, ImproperlyConfigured } from '../../src/core/errors.js'
import { createStorage } from '../../src/create.js'
import { appStorage, BUCKET, doctor, envFor, expectNoSecret, expectPlainWords, failure, standin } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-bucket-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
afterEach(() => vi.restoreAllMocks())

describe('the bucket and its region', () => {
  it('a bucket name with a typo: BucketNotFoundError naming the variable; doctor stops before any write', async () => {
    const s = await standin()
    const env = envFor(s, { AWS_STORAGE_BUCKET_NAME: 'acme-meida' })
    const error = await failure(() => appStorage(env).save('avatars/me.txt', 'me'))
    expect(error).toBeInstanceOf(BucketNotFoundError)
    expect(error.message).toMatch(
      /^Bucket 'acme-meida' does not exist in region 'eu-west-3' .*check bucketName \(AWS_STORAGE_BUCKET_NAME\)/,
    )
    const run = await doctor(env)
    expect(run.code).toBe(1)
    expect(run.lines.bucket).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/bucket 'acme-meida' does not exist .*AWS_STORAGE_BUCKET_NAME/),
    })
    expect(run.lines.s3).toMatchObject({ status: 'skip', detail: expect.stringContaining('fix the bucket line first') })
    expect(run.lines.write).toBeUndefined() // no contradictory write failure after it
    expectNoSecret([error, run.text])
  })

  it.each([
    ['a wrong region answered with 301 and x-amz-bucket-region', 'redirect', 'us-west-2'],
    ['a wrong region answered with 400 AuthorizationHeaderMalformed (the region in the body only)', 'malformed', 'us-west-2'],
    ['an unset region (us-east-1, the default)', 'redirect', undefined],
  ] as const)('%s: the app and doctor name the bucket’s region and AWS_S3_REGION_NAME', async (_title, wrongRegion, configured) => {
    const s = await standin({}, { wrongRegion })
    const env = envFor(s, { AWS_S3_REGION_NAME: configured })
    const error = await failure(() => appStorage(env).save('avatars/me.txt', 'me'))
    expect(error).toBeInstanceOf(ImproperlyConfigured)
    expect(error.message).toBe(
      `Bucket '${BUCKET}' is in region 'eu-west-3', not '${configured ?? 'us-east-1'}': set regionName: 'eu-west-3' (AWS_S3_REGION_NAME=eu-west-3).`,
    )
    expectPlainWords(error.message)
    const run = await doctor(env)
    expect(run.lines.bucket).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /bucket 'acme-media' is in region 'eu-west-3', not '.*' \(.*HTTP (301|400)\): set regionName: 'eu-west-3' \(AWS_S3_REGION_NAME=eu-west-3\)/,
      ),
    })
    expect(run.lines.write).toBeUndefined()
    expectNoSecret([error, run.text])
  })
})

describe('the environment', () => {
  it('variable names from other guides: the app and doctor name the variable node-storages reads', async () => {
    const s = await standin()
    const env = envFor(s, {
      AWS_STORAGE_BUCKET_NAME: undefined,
      AWS_S3_BUCKET_NAME: BUCKET,
      AWS_S3_REGION_NAME: undefined,
      AWS_S3_REGION: 'eu-west-3',
    })
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const error = await failure(async () => appStorage(env))
    expect(error).toBeInstanceOf(ImproperlyConfigured)
    expect(error.message).toMatch(
      /S3Storage needs a bucket: .*set AWS_STORAGE_BUCKET_NAME\. AWS_S3_BUCKET_NAME is set, but node-storages reads AWS_STORAGE_BUCKET_NAME: rename it.*AWS_S3_REGION is set, but node-storages reads AWS_S3_REGION_NAME: rename it/,
    )
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('AWS_S3_REGION is set, but node-storages reads AWS_S3_REGION_NAME'), {
      type: 'NodeStoragesWarning',
      code: 'NODE_STORAGES_UNREAD_VARIABLE',
    })
    const run = await doctor(env)
    expect(run.code).toBe(1)
    expect(run.lines.config).toMatchObject({ status: 'fail', detail: expect.stringContaining('S3Storage needs a bucket') })
    expect(run.text).toMatch(/^FAIL {2}environment: AWS_S3_BUCKET_NAME is set, but node-storages reads AWS_STORAGE_BUCKET_NAME: rename it/m)
    expect(run.text).toMatch(/^FAIL {2}environment: AWS_S3_REGION is set, but node-storages reads AWS_S3_REGION_NAME: rename it/m)
    expectNoSecret([error, run.text, String(warn.mock.calls)])
  })

  it('S3 settings under NODE_ENV=production with the filesystem backend: a warning once, and doctor fails', async () => {
    const s = await standin()
    const env = { ...envFor(s, { USE_S3_STORAGE: 'false' }), NODE_ENV: 'production', MEDIA_ROOT: join(dir, 'media') }
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    createStorage(undefined, env)
    createStorage(undefined, env)
    expect(warn).toHaveBeenCalledTimes(1)
    const [message, options] = warn.mock.calls[0]!
    expect(options).toEqual({ type: 'NodeStoragesWarning', code: 'NODE_STORAGES_S3_SETTINGS_IGNORED' })
    expect(message).toMatch(
      /^NODE_ENV=production and S3 settings are set \(AWS_STORAGE_BUCKET_NAME, AWS_ACCESS_KEY_ID\), but the storage is the filesystem backend: files go to this machine's disk .* because USE_S3_STORAGE=false chose it .*set USE_S3_STORAGE=true.*STORAGE_BACKEND=filesystem/,
    )
    const run = await doctor(env)
    expect(run.code).toBe(1)
    expect(run.lines.backend).toMatchObject({ status: 'fail', detail: message })
    expect(run.lines.write!.status).toBe('ok') // the disk works; the failure is that it is the disk
    // Saying so on purpose silences both; outside production there is nothing to say.
    expect((await doctor({ ...env, STORAGE_BACKEND: 'filesystem' })).code).toBe(0)
    expect((await doctor({ ...env, NODE_ENV: 'development' })).code).toBe(0)
    expectNoSecret([run.text, String(message)])
  })
})
