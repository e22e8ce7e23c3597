// `node-storages collectstatic`: arguments, the summary line, the exit codes, the progress bar on
// a terminal only, and the staticfiles configuration from the environment.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { collectstaticCommand } from '../../src/cli/collectstatic.js'
import { staticfilesConfigFromEnv } from '../../src/static/index.js'
import { RACY_MS } from '../../src/static/hash-cache.js'
import { sourceDir } from './collect-suite.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

/** Runs the command; returns its exit code and what it wrote. */
async function cli(args: string[], env: Record<string, string>, tty = false) {
  const out = new PassThrough()
  const err = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 100 } : {})
  const chunks = { out: '', err: '' }
  out.on('data', (c) => (chunks.out += c))
  err.on('data', (c) => (chunks.err += c))
  const code = await collectstaticCommand(args, env, { out, err })
  return { code, ...chunks }
}

async function setup(files: Record<string, string>) {
  const src = await sourceDir(files)
  const root = await mkdtemp(join(tmpdir(), 'ns-cli-static-'))
  dirs.push(src, root)
  return { src, root, env: { STORAGE_BACKEND: 'filesystem', STATIC_ROOT: root } }
}

describe('node-storages collectstatic', () => {
  it('copies into STATIC_ROOT, prints a summary line, and a re-run sends nothing', async () => {
    const { src, env } = await setup({ 'css/a.css': 'a{}', 'b.txt': 'bb' })
    const first = await cli([src, '--manifest'], env)
    expect(first.code).toBe(0)
    expect(first.out).toMatch(/^5 uploaded, 0 unchanged, 0 deleted, .* sent in [\d.]+ s; manifest staticfiles.json written\n$/)
    expect(first.err).toBe('') // not a terminal: no progress bar
    const again = await cli([src, '--manifest', '--concurrency', '4'], env)
    expect(again.out).toMatch(/^0 uploaded, 5 unchanged, 0 deleted, 0 B sent/)
  })

  it('keeps its hash cache under CACHE_DIR, and none with --no-cache', async () => {
    const { src, env } = await setup({ 'a.txt': 'a' })
    const cacheDir = await mkdtemp(join(tmpdir(), 'ns-cli-cache-'))
    dirs.push(cacheDir)
    await new Promise((resolve) => setTimeout(resolve, RACY_MS + 100)) // a.txt is old enough to be remembered
    expect((await cli([src, '--no-cache'], { ...env, CACHE_DIR: cacheDir })).code).toBe(0)
    expect(await readdir(cacheDir)).toEqual([])
    expect((await cli([src], { ...env, CACHE_DIR: cacheDir })).code).toBe(0)
    expect(await readdir(join(cacheDir, 'node-storages'))).toEqual([expect.stringMatching(/^collectstatic-[0-9a-f]{16}\.json$/)])
  })

  it('--dry-run and --delete report what they would do and do it', async () => {
    const { src, root, env } = await setup({ 'a.txt': 'a' })
    await writeFile(join(root, 'stale.txt'), 's')
    const dry = await cli([src, '--delete', '--dry-run'], env)
    expect(dry.out).toMatch(/^1 would be uploaded, 0 unchanged, 1 would be deleted, 1 B to send/)
    const real = await cli([src, '--delete'], env)
    expect(real.out).toMatch(/^1 uploaded, 0 unchanged, 1 deleted/)
  })

  it('exits 1 naming the file that failed', async () => {
    const { src, root, env } = await setup({ 'a.txt': 'a', 'b.txt': 'b' })
    await mkdir(join(root, 'b.txt')) // a directory where a file must go
    await writeFile(join(root, 'b.txt', 'inside'), 'x')
    const run = await cli([src], env)
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/^failed: b\.txt: /m)
    expect(run.out).toMatch(/1 uploaded, .*, 1 failed\n$/)
  })

  it('draws a progress bar on a terminal', async () => {
    const { src, env } = await setup(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.txt`, `x${i}`])))
    const run = await cli([src], env, true)
    expect(run.code).toBe(0)
    expect(run.err).toContain('collectstatic [')
  })

  it('usage errors exit 2', async () => {
    const { src, env } = await setup({ 'a.txt': 'a' })
    expect((await cli([], env)).code).toBe(2)
    expect((await cli([src, '--bogus'], env)).code).toBe(2)
    expect((await cli([src, '--concurrency', '0'], env)).code).toBe(2)
    const alias = await cli([src, '--alias', 'media'], env)
    expect(alias.code).toBe(2)
    expect(alias.err).toMatch(/unknown --alias 'media'/)
  })
})

describe('staticfilesConfigFromEnv', () => {
  it('filesystem at STATIC_ROOT under STATIC_URL, with defaults', () => {
    expect(staticfilesConfigFromEnv({})).toEqual({ backend: 'filesystem', location: './static', baseUrl: '/static/' })
    expect(staticfilesConfigFromEnv({ STATIC_ROOT: '/srv/static', STATIC_URL: '/assets/' })).toEqual({
      backend: 'filesystem',
      location: '/srv/static',
      baseUrl: '/assets/',
    })
  })

  it('S3 under `static` (or AWS_STATIC_LOCATION) with unsigned URLs when S3 is selected', () => {
    const s3 = { USE_S3_STORAGE: 'true', AWS_STORAGE_BUCKET_NAME: 'b' }
    expect(staticfilesConfigFromEnv(s3)).toEqual({ backend: 's3', location: 'static', querystringAuth: false })
    expect(staticfilesConfigFromEnv({ ...s3, AWS_STATIC_LOCATION: 'assets/v2' })).toMatchObject({ location: 'assets/v2' })
    expect(staticfilesConfigFromEnv({ NODE_ENV: 'production', AWS_STORAGE_BUCKET_NAME: 'b' })).toMatchObject({ backend: 's3' })
  })
})
