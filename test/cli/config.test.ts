// `doctor` and `policy` over a config module (`--config FILE` exporting the createStorages()
// config): one alias, or all of them, with `policy --all` merging the aliases' policies into one
// that the AWS stand-in's IAM evaluator accepts for every alias.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { mergePolicies } from '../../src/cli/policy.js'
import { createStorages } from '../../src/create.js'
import { cli, doctor, envFor, expectNoSecret, printedPolicy, standin } from '../doctor/helpers.js'
import type { PolicyDocument } from '../doctor/standin/iam.js'

const dir = mkdtempSync(join(tmpdir(), 'ns-cli-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Writes a config module; `body` is its source. */
function module(name: string, body: string): string {
  const file = join(dir, name)
  writeFileSync(file, body)
  return file
}

const ALIASES = module(
  'storages.mjs',
  `export default {
  default: { backend: 's3' },
  private: { backend: 's3', location: 'private' },
  local: { backend: 'memory' },
}
`,
)

/** The public media's environment of API.md section 16. */
const PUBLIC = { AWS_DEFAULT_ACL: 'public-read', AWS_QUERYSTRING_AUTH: 'false' }

describe('policy --all', () => {
  it('merges the aliases into one policy: listings share the bucket statement, ACL rights only where an ACL is sent', async () => {
    const s = await standin({ ownership: 'ObjectWriter' })
    const { code, text } = await cli(['policy', '--config', ALIASES, '--all'], envFor(s, PUBLIC))
    expect(code).toBe(0)
    const policy = JSON.parse(text) as PolicyDocument
    expect(policy.Statement).toEqual([
      {
        Sid: 'ListUnderLocation',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::acme-media',
        Condition: { StringLike: { 's3:prefix': ['media/', 'media/*', 'private/', 'private/*'] } },
      },
      {
        Sid: 'ObjectsUnderLocation',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'],
        Resource: 'arn:aws:s3:::acme-media/media/*',
      },
      {
        Sid: 'ObjectsUnderLocation2',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        Resource: 'arn:aws:s3:::acme-media/private/*',
      },
    ])
    // The stand-in's IAM takes it for both aliases: public media with its ACL, private uploads without.
    const merged = await standin({ ownership: 'ObjectWriter' }, { appPolicy: policy })
    const storages = createStorages({ default: { backend: 's3' }, private: { backend: 's3', location: 'private' } }, envFor(merged, PUBLIC))
    await storages.get('default').save('avatars/me.txt', 'me')
    await storages.get('private').save('passport.txt', 'secret page')
    const objects = merged.buckets.get('acme-media')!.objects
    expect(objects.get('media/avatars/me.txt')!.acl).toBe('public-read')
    expect(objects.get('private/passport.txt')!.acl).toBeUndefined()
    expect(await storages.get('private').url('passport.txt')).toContain('X-Amz-Signature=')
  })

  it('a listing of the whole bucket wins over prefixes; statements with the same actions share their resources', () => {
    const a = printedPolicy({ location: '' })
    const b = printedPolicy({ location: 'private' })
    const c = printedPolicy({ bucketName: 'other-bucket', location: 'media' })
    const merged = mergePolicies([a, b, c])
    expect(merged.Statement[0]).toEqual({
      Sid: 'ListUnderLocation',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: 'arn:aws:s3:::acme-media',
    })
    expect(merged.Statement.find((s) => s.Sid === 'ObjectsUnderLocation')!.Resource).toEqual([
      'arn:aws:s3:::acme-media/*',
      'arn:aws:s3:::acme-media/private/*',
      'arn:aws:s3:::other-bucket/media/*',
    ])
  })

  it('without --config, --all and --alias are usage errors; a module exporting nothing usable is ImproperlyConfigured', async () => {
    await expect(cli(['policy', '--all'], {})).rejects.toThrow(/--all needs --config FILE/)
    await expect(cli(['doctor', '--alias', 'private'], {})).rejects.toThrow(/--alias needs --config FILE/)
    await expect(cli(['doctor', '--bogus'], {})).rejects.toThrow(/it takes --config, --alias, --all, --upload-method, --origin/)
    const empty = module('empty.mjs', 'export const other = 1\n')
    await expect(cli(['policy', '--config', empty], {})).rejects.toThrow(
      /must export the createStorages\(\) config .*default export or as `storages`/,
    )
  })
})

describe('doctor --config', () => {
  it('--all checks every alias under a header line; a named `storages` export or a registry works too', async () => {
    const s = await standin({ ownership: 'ObjectWriter' }, { appPolicy: printedPolicy({ location: '' }) })
    const env = envFor(s, { AWS_LOCATION: undefined })
    const run = await doctor(env, '--config', ALIASES, '--all', '--upload-method', 'none')
    expect(run.text).toMatch(/^== alias 'default'\nstorage: S3Storage\(bucket 'acme-media', location ''/m)
    expect(run.text).toMatch(/^== alias 'private'\nstorage: S3Storage\(bucket 'acme-media', location 'private'/m)
    expect(run.text).toMatch(/^== alias 'local'\nstorage: InMemoryStorage/m)
    expect(run.code, run.text).toBe(0)
    const named = module('named.mjs', "export const storages = { default: { backend: 's3', location: 'named' } }\n")
    expect((await doctor(env, '--config', named, '--upload-method', 'none')).text).toMatch(/location 'named'/)
    const registry = join(dir, 'registry.mjs')
    writeFileSync(
      registry,
      `import { createStorages } from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))}\nexport default createStorages({ default: { backend: 'memory' } })\n`,
    )
    expect((await doctor(env, '--config', registry)).text).toMatch(/^storage: InMemoryStorage/m)
    expectNoSecret([run.text])
  })

  it('an alias whose config does not build fails with its error; the others still run', async () => {
    const broken = module('broken.mjs', "export default { default: { backend: 'memory' }, media: { backend: 's3', bogus: 1 } }\n")
    const run = await doctor({}, '--config', broken, '--all')
    expect(run.code).toBe(1)
    expect(run.text).toMatch(/^== alias 'media'\nFAIL {2}config: ImproperlyConfigured \(E_CONFIG\): Invalid setting 'bogus' for S3Storage/m)
    expect(run.text).toMatch(/^== alias 'default'\nstorage: InMemoryStorage/m)
  })
})
