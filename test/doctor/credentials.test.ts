// The setup guides' failures about keys, as AWS answers them (the stand-in, test/doctor/standin):
// no keys at all, a wrong secret, a secret with a trailing line break, keys written in code,
// an expired session token, a clock 20 minutes off. Each: the app's error and doctor's line name
// the cause and the fix, and no secret is printed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { AccessDeniedError, ClockSkewError, ImproperlyConfigured } from '../../src/core/errors.js'
import { ADMIN_POLICY } from './standin/iam.js'
import {
  APP_KEY,
  APP_SECRET,
  appStorage,
  BUCKET,
  doctor,
  envFor,
  expectNoSecret,
  expectPlainWords,
  failure,
  REGION,
  standin,
} from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'ns-doctor-keys-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('keys', () => {
  it('no keys anywhere: the app says where keys can come from; doctor fails credentials and stops', async () => {
    // The SDK's own chain must find nothing: no variables, no files, no instance metadata (never contacted).
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_WEB_IDENTITY_TOKEN_FILE',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    ]) {
      vi.stubEnv(name, '')
    }
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true')
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'none'))
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'none'))
    try {
      const s = await standin()
      const env = envFor(s, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined })
      const error = await failure(() => appStorage(env).save('avatars/me.txt', 'me'))
      expect(error).toBeInstanceOf(ImproperlyConfigured)
      expect(error.message).toMatch(
        /^No AWS credentials were found when trying to look up 'avatars\/me\.txt': set accessKey\/secretKey .*AWS_ACCESS_KEY_ID.*IAM role/,
      )
      const run = await doctor(env)
      expect(run.code).toBe(1)
      expect(run.lines.credentials).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/no AWS credentials could be loaded .*AWS_ACCESS_KEY_ID.*IAM role/),
      })
      expect(run.text).not.toMatch(/^(OK|FAIL) +(write|bucket)/m) // stopped: no contradictory write line
      expect(s.requests).toHaveLength(0)
      expectNoSecret([error, run.text])
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('a wrong secret: SignatureDoesNotMatch, naming the secret key, in the app and in doctor', async () => {
    const s = await standin()
    const wrong = ['wrong', 'secret', APP_SECRET.slice(-6)].join('-')
    const env = envFor(s, { AWS_SECRET_ACCESS_KEY: wrong })
    const error = await failure(() => appStorage(env).save('avatars/me.txt', 'me'))
    expect(error).toBeInstanceOf(AccessDeniedError)
    expect(error.message).toMatch(
      /^S3 refused the credentials \(SignatureDoesNotMatch\) when looking up 'avatars\/me\.txt' \(a HEAD request, as save\(\) and signedUploadUrl\(\) make before they write\): the secret key does not belong to the access key id .*AWS_SECRET_ACCESS_KEY/,
    )
    expectPlainWords(error.message)
    const run = await doctor(env)
    expect(run.code).toBe(1)
    expect(run.lines.bucket).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/SignatureDoesNotMatch.*secret key does not belong/),
    })
    expect(run.lines.write).toBeUndefined()
    expectNoSecret([error, error.message, run.text], wrong)
  })

  it('a secret with a trailing line break: the app says SignatureDoesNotMatch, doctor names the whitespace and the variable', async () => {
    const s = await standin()
    const env = envFor(s, { AWS_SECRET_ACCESS_KEY: `${APP_SECRET}\n` })
    const error = await failure(() => appStorage(env).save('avatars/me.txt', 'me'))
    expect(error.message).toMatch(/SignatureDoesNotMatch.*copied with a space or line break/)
    const run = await doctor(env)
    expect(run.lines.credentials).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^access key AKIA…WXYZ from the environment \(AWS_ACCESS_KEY_ID\): the secret key \(AWS_SECRET_ACCESS_KEY\) has a space or line break before or after it, so S3 refuses every request \(SignatureDoesNotMatch\)\. Remove it/,
      ),
    })
    expect(run.lines.bucket!.detail).toContain('SignatureDoesNotMatch')
    expectNoSecret([error, run.text])
  })

  it('keys written in code (a config module): doctor fails naming the move to the environment; the url line masks the key id', async () => {
    const s = await standin()
    const file = join(dir, 'keys-in-code.mjs')
    const config = {
      default: {
        backend: 's3',
        bucketName: BUCKET,
        regionName: REGION,
        endpointUrl: s.endpoint,
        location: 'media',
        accessKey: APP_KEY,
        secretKey: APP_SECRET,
      },
    }
    writeFileSync(file, `export default ${JSON.stringify(config)}\n`)
    const run = await doctor({}, '--config', file, '--upload-method', 'none')
    expect(run.code).toBe(1)
    expect(run.lines.credentials).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^access key AKIA…WXYZ written in code \(the accessKey\/secretKey options\).*Move them to the environment \(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.*rotate this key/,
      ),
    })
    expect(run.lines.write!.status).toBe('ok') // the keys work: the failure is where they live
    expect(run.text).not.toContain(APP_KEY) // masked everywhere, the url line included
    expect(run.lines.url!.detail).toMatch(/X-Amz-Credential=AKIA…WXYZ%2F/)
    // The same keys from the environment are fine, and passing them on in code (accessKey: process.env.X) is too.
    const fromEnv = await doctor(envFor(s), '--upload-method', 'none')
    expect(fromEnv.lines.credentials).toMatchObject({
      status: 'ok',
      detail: 'access key AKIA…WXYZ from the environment (AWS_ACCESS_KEY_ID)',
    })
    const passed = join(dir, 'keys-passed-on.mjs')
    writeFileSync(
      passed,
      `export const storages = { default: { backend: 's3', accessKey: process.env.MY_KEY, secretKey: process.env.MY_SECRET } }\n`,
    )
    vi.stubEnv('MY_KEY', APP_KEY)
    vi.stubEnv('MY_SECRET', APP_SECRET)
    try {
      const env = {
        ...envFor(s, { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
        MY_KEY: APP_KEY,
        MY_SECRET: APP_SECRET,
      }
      const onward = await doctor(env, '--config', passed, '--upload-method', 'none')
      expect(onward.lines.credentials).toMatchObject({
        status: 'ok',
        detail: 'access key AKIA…WXYZ from the environment variable MY_KEY, passed in code as accessKey',
      })
    } finally {
      vi.unstubAllEnvs()
    }
    expectNoSecret([run.text, fromEnv.text])
  })

  it('an expired session token: ExpiredToken, saying to get new credentials, not "the network"', async () => {
    const token = ['session', 'token', APP_SECRET.slice(0, 8)].join('-')
    const s = await standin({}, { appKey: { sessionToken: token, expired: true, policy: ADMIN_POLICY } })
    const env = envFor(s, { AWS_SESSION_TOKEN: token })
    const error = await failure(() => appStorage(env).save('avatars/me.txt', 'me'))
    expect(error).toBeInstanceOf(AccessDeniedError)
    expect(error.message).toMatch(
      /^S3 refused the request \(ExpiredToken\) when looking up 'avatars\/me\.txt' .*: the session token of these temporary credentials has expired\. Get new temporary credentials/,
    )
    expectPlainWords(error.message)
    const run = await doctor(env)
    expect(run.lines.bucket).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/ExpiredToken.*has expired.*AWS_SESSION_TOKEN/),
    })
    expect(run.lines.bucket!.detail).not.toMatch(/network|proxy/)
    expectNoSecret([error, run.text], token)
  })

  it('a clock 20 minutes ahead: signed URLs are refused, a call without retries is ClockSkewError; doctor fails the clock line with NTP', async () => {
    const s = await standin({}, { clockOffsetMs: -20 * 60_000 })
    const env = envFor(s)
    // The AWS SDK corrects its own clock from S3's Date header and retries, so save() works...
    const storage = appStorage(env)
    const name = await storage.save('avatars/me.txt', 'me')
    // ...but URLs node-storages signs carry this machine's time, and S3 refuses them.
    const answer = await fetch(await storage.url(name))
    expect(answer.status).toBe(403)
    expect(await answer.text()).toContain('Request is not yet valid')
    // Without the SDK's retry, the HEAD's refusal is named for what it is.
    const once = appStorage(envFor(s, { AWS_S3_CLIENT_CONFIG: '{"maxAttempts": 1}' }))
    const error = await failure(() => once.save('avatars/other.txt', 'me'))
    expect(error).toBeInstanceOf(ClockSkewError)
    expect(error.message).toMatch(/clock is off by more than 15 minutes.*NTP/)
    expectPlainWords(error.message)
    const run = await doctor(env, '--upload-method', 'none')
    expect(run.code).toBe(1)
    expect(run.lines.clock).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/this machine's clock is 1[12]\d\d s ahead of the server's.*NTP/),
    })
    expect(run.lines['presigned GET']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/Request is not yet valid|clock/) })
    expectNoSecret([error, run.text])
  })
})
