// The option tables: one declaration per backend gives the allowed names, the environment
// fallback, the parsing of variables and the docs tables. `npm run docs:options` rewrites the
// docs tables from the code (UPDATE_DOCS=1); otherwise this test fails when they drift.
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { FILESYSTEM_OPTIONS } from '../../src/backends/filesystem/options.js'
import { MEMORY_OPTIONS } from '../../src/backends/memory/options.js'
import { S3_OPTIONS } from '../../src/backends/s3/option-table.js'
import { FileSystemStorage, ImproperlyConfigured, InMemoryStorage } from '../../src/index.js'
import { optionsFromEnv, renderAccessTable, renderOptionTable, resolveOptions, type OptionTable } from '../../src/core/options.js'

const DOCS: [file: string, marker: string, table: OptionTable][] = [
  ['docs/s3.md', 's3', S3_OPTIONS],
  ['docs/filesystem.md', 'filesystem', FILESYSTEM_OPTIONS],
  ['docs/memory.md', 'memory', MEMORY_OPTIONS],
]

/** Replaces (or with UPDATE_DOCS=1 rewrites) the text between `<!-- options:<marker> -->` and its end marker. */
function checkMarked(file: string, marker: string, rendered: string) {
  const text = readFileSync(file, 'utf8')
  const start = `<!-- options:${marker} -->\n`
  const end = `<!-- /options:${marker} -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  expect(from, `${file} has no ${start.trim()} marker`).toBeGreaterThan(-1)
  expect(to, `${file} has no ${end} marker`).toBeGreaterThan(from)
  if (process.env.UPDATE_DOCS === '1') writeFileSync(file, text.slice(0, from + start.length) + rendered + text.slice(to))
  else expect(text.slice(from + start.length, to), `${file} is out of date: run npm run docs:options`).toBe(rendered)
}

describe('docs tables come from the option tables', () => {
  for (const [file, marker, table] of DOCS) {
    it(`${file} shows the options of ${table.backend} as declared in the code`, () => checkMarked(file, marker, renderOptionTable(table)))
  }

  it('docs/configuration.md lists the variables that widen access as the tables mark them', () =>
    checkMarked('docs/configuration.md', 'aliases', renderAccessTable(DOCS.map(([, , table]) => table))))
})

describe('option tables', () => {
  it('declare each option and each variable once, each with a doc', () => {
    for (const [, , table] of DOCS) {
      const names = table.entries.map((e) => e.option)
      expect(new Set(names).size, table.backend).toBe(names.length)
      const variables = table.entries.flatMap((e) => e.env ?? [])
      expect(new Set(variables).size, table.backend).toBe(variables.length)
      for (const e of table.entries) expect(e.doc.length, `${table.backend}.${e.option}`).toBeGreaterThan(10)
    }
  })

  it('share fileOverwrite and querystringExpire: one declaration, one check', () => {
    const of = (table: OptionTable, option: string) => table.entries.find((e) => e.option === option)!
    for (const option of ['fileOverwrite', 'querystringExpire']) {
      expect(of(S3_OPTIONS, option).parse).toBe(of(FILESYSTEM_OPTIONS, option).parse)
      expect(of(MEMORY_OPTIONS, option)).toBe(of(FILESYSTEM_OPTIONS, option))
    }
    for (const make of [() => new FileSystemStorage({ querystringExpire: 1.5 }), () => new InMemoryStorage({ querystringExpire: -1 })]) {
      expect(make).toThrow(/option 'querystringExpire' must be a whole number of seconds >= 0/)
    }
  })

  it('give the unknown-name message with every valid name', () => {
    expect(() => resolveOptions(MEMORY_OPTIONS, { bogus: 1 })).toThrow(
      "Invalid setting 'bogus' for InMemoryStorage. Valid settings: baseUrl, fileOverwrite, querystringAuth, querystringExpire, secret.",
    )
  })

  it('read variables in priority order, skip empty ones, and never override an option given in code', () => {
    const env = { AWS_S3_ACCESS_KEY_ID: '', AWS_ACCESS_KEY_ID: 'plain', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }
    expect(optionsFromEnv(S3_OPTIONS, env, {})).toMatchObject({ accessKey: 'plain', regionName: 'eu-west-1' })
    expect(optionsFromEnv(S3_OPTIONS, env, { regionName: 'ap-south-1' }).regionName).toBe('ap-south-1')
    expect(optionsFromEnv(S3_OPTIONS, { AWS_S3_REGION_NAME: 'eu-west-3', ...env }, {}).regionName).toBe('eu-west-3')
  })

  it('parse booleans, numbers, JSON and lists with one set of parsers', () => {
    for (const [raw, value] of [
      ['TRUE', true],
      ['1', true],
      ['Yes', true],
      ['on', true],
      ['False', false],
      ['0', false],
      ['NO', false],
      [' off ', false],
    ] as const) {
      expect(optionsFromEnv(S3_OPTIONS, { AWS_IS_GZIPPED: raw }, {}).gzip, raw).toBe(value)
    }
    expect(
      optionsFromEnv(
        S3_OPTIONS,
        { AWS_QUERYSTRING_EXPIRE: '60', GZIP_CONTENT_TYPES: 'a/b, c/d', AWS_S3_CLIENT_CONFIG: '{"maxAttempts":2}' },
        {},
      ),
    ).toMatchObject({ querystringExpire: 60, gzipContentTypes: ['a/b', 'c/d'], clientConfig: { maxAttempts: 2 } })
    expect(() => optionsFromEnv(S3_OPTIONS, { AWS_S3_CLIENT_CONFIG: '{"secretAccessKey": oops}' }, {})).toThrow(
      /^Environment variable AWS_S3_CLIENT_CONFIG is not valid JSON( \(at position \d+\))? \(it sets S3Storage option 'clientConfig'\)\.$/,
    )
  })
})

describe('the local backends from the environment', () => {
  const SECRET = 'a'.repeat(64)

  it('FileSystemStorage.fromEnv() reads MEDIA_ROOT, MEDIA_URL and STORAGE_SECRET; the constructor reads nothing', async () => {
    const env = { MEDIA_ROOT: '/tmp/ns-env-root', MEDIA_URL: '/files', STORAGE_SECRET: SECRET }
    const storage = FileSystemStorage.fromEnv(env, { querystringAuth: true })
    expect(storage.location).toBe('/tmp/ns-env-root')
    expect(await storage.url('a.txt')).toMatch(/^\/files\/a\.txt\?expires=\d+&signature=/)
    expect(FileSystemStorage.fromEnv(env, { location: '/tmp/given' }).location).toBe('/tmp/given')
    expect(() => new FileSystemStorage({ querystringAuth: true })).toThrow(/or set STORAGE_SECRET/)
  })

  it('InMemoryStorage.fromEnv() reads MEDIA_URL and STORAGE_SECRET', async () => {
    const storage = InMemoryStorage.fromEnv({ MEDIA_URL: '/m/', STORAGE_SECRET: SECRET })
    expect(await storage.url('a.txt')).toBe('/m/a.txt')
    await expect(storage.signedUploadUrl('a.txt', {})).resolves.toMatchObject({ method: 'PUT' })
  })

  it('a STORAGE_SECRET shorter than 32 bytes is refused, saying how to generate one, without showing it', () => {
    const short = 'too-short-secret'
    let error: unknown
    try {
      InMemoryStorage.fromEnv({ STORAGE_SECRET: short })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ImproperlyConfigured)
    expect((error as Error).message).toContain('STORAGE_SECRET is 16 bytes long')
    expect((error as Error).message).toContain(`node -e "console.log(require('crypto').randomBytes(32).toString('hex'))"`)
    expect((error as Error).message).not.toContain(short)
    expect(InMemoryStorage.fromEnv({ STORAGE_SECRET: 'x'.repeat(32) })).toBeInstanceOf(InMemoryStorage)
  })
})
