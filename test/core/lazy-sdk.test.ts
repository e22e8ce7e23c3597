import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { S3_SDK_INSTALL } from '../../src/backends/s3/sdk.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const dist = join(root, 'dist')

describe('the AWS SDK loads lazily', () => {
  it('the built package exists (npm test builds it first)', () => {
    expect(existsSync(join(dist, 'index.js')), 'run `npm run build` before the tests').toBe(true)
  })

  it('requiring node-storages and using the filesystem backend loads no @aws-sdk module', () => {
    const script = `
      const os = require('node:os'), path = require('node:path'), fs = require('node:fs');
      const ns = require(${JSON.stringify(join(dist, 'index.cjs'))});
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-lazy-'));
      const storage = ns.createStorage({ backend: 'filesystem', location: dir });
      (async () => {
        const name = await storage.save('a.txt', 'x');
        await storage.read(name); await storage.url(name); await storage.listdir('');
        fs.rmSync(dir, { recursive: true, force: true });
        const loaded = Object.keys(require.cache).filter((k) => k.includes('@aws-sdk') || k.includes('@smithy'));
        process.stdout.write(JSON.stringify(loaded));
      })().catch((e) => { console.error(e); process.exit(1) });`
    // A process that does not exit when its work is done (a handle left open) fails here, not hangs the run.
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 })
    expect(JSON.parse(out)).toEqual([])
  })

  it('the ESM entry reaches no static @aws-sdk import', () => {
    const seen = new Set<string>()
    const offenders: string[] = []
    const visit = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      const code = readFileSync(file, 'utf8')
      for (const m of code.matchAll(/^\s*import\s[^'"]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)) {
        const spec = m[1] ?? m[2]!
        if (spec.startsWith('@aws-sdk/') || spec.startsWith('@smithy/')) offenders.push(`${file}: ${spec}`)
        else if (spec.startsWith('./')) visit(join(dirname(file), spec))
      }
    }
    visit(join(dist, 'index.js'))
    expect(seen.size).toBeGreaterThan(0)
    expect(offenders).toEqual([])
  })
})

const s3 = inject('s3')
const run = promisify(execFile)

/** Runs `args` with node; resolves with the exit code and both outputs. */
async function node(args: string[], env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { env, timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

describe('an S3 install without some SDK packages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-partial-sdk-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('names the missing package and the npm i line on first use, and S3 still works for the rest', async () => {
    // Module hooks that make two of the three packages unresolvable, as a partial install does.
    const hooks = join(dir, 'hooks.mjs')
    writeFileSync(
      hooks,
      `const hidden = ['@aws-sdk/lib-storage', '@aws-sdk/s3-presigned-post']
export async function resolve(specifier, context, next) {
  if (!hidden.includes(specifier)) return next(specifier, context)
  const error = new Error(\`Cannot find package '\${specifier}' imported from \${context.parentURL}\`)
  error.code = 'ERR_MODULE_NOT_FOUND'
  throw error
}`,
    )
    const register = join(dir, 'register.mjs')
    writeFileSync(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)
    const script = `import { S3Storage } from ${JSON.stringify(pathToFileURL(join(dist, 'index.js')).href)}
const storage = new S3Storage({ bucketName: ${JSON.stringify(s3.buckets[0])}, endpointUrl: ${JSON.stringify(s3.endpoint)},
  accessKey: ${JSON.stringify(S3RVER_CREDENTIALS.accessKeyId)}, secretKey: ${JSON.stringify(S3RVER_CREDENTIALS.secretAccessKey)},
  location: 'partial-sdk-${Date.now()}', transferConfig: { multipartThreshold: 0 } })
const report = (p) => p.then(() => 'ok', (e) => \`\${e.name}: \${e.message}\`)
console.log(JSON.stringify({
  exists: await report(storage.exists('a.txt')),
  save: await report(storage.save('a.txt', 'x')),
  post: await report(storage.signedUploadUrl('b.txt', { method: 'POST' })),
  put: await report(storage.signedUploadUrl('c.txt')),
}))`
    const result = await node(['--import', pathToFileURL(register).href, '--input-type=module', '-e', script])
    expect(result.code, result.stderr).toBe(0)
    const missing = (pkg: string) =>
      `ImproperlyConfigured: S3Storage needs the AWS SDK, an optional peer dependency of node-storages, and ${pkg} is not installed. Install it with: ${S3_SDK_INSTALL}`
    expect(JSON.parse(result.stdout)).toEqual({
      exists: 'ok',
      // Multipart uploads are our own (multipart.ts): lib-storage is no longer needed.
      save: 'ok',
      post: missing('@aws-sdk/s3-presigned-post'),
      put: 'ok',
    })
    expect(S3_SDK_INSTALL).toBe('npm i @aws-sdk/client-s3 @aws-sdk/s3-presigned-post')
  })
})

describe("the CLI and the SDK's Node-version notice", () => {
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|MEDIA_|STORAGE_|USE_S3_STORAGE$|NODE_OPTIONS$)/.test(k))),
    STORAGE_BACKEND: 's3',
    AWS_STORAGE_BUCKET_NAME: s3.buckets[0]!,
    AWS_S3_ENDPOINT_URL: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_LOCATION: `cli-warning-${Date.now()}`,
  }

  it('the SDK prints it on Node 20 (the control), doctor does not', async () => {
    const major = Number(process.versions.node.split('.')[0])
    const control = await node(['-e', "new (require('@aws-sdk/client-s3').S3Client)({ region: 'us-east-1' })"], env)
    expect(control.stderr.includes('NodeVersionSupportWarning')).toBe(major < 22)
    const doctor = await node([join(dist, 'cli.js'), 'doctor'], env)
    expect(doctor.stdout).toMatch(/^OK +write: stored /m)
    expect(doctor.stdout + doctor.stderr).not.toContain('NodeVersionSupportWarning')
  })

  it('other warnings still reach stderr', async () => {
    const script = `import(${JSON.stringify(pathToFileURL(join(dist, 'cli.js')).href)}).then(() => process.emitWarning('kept', { code: 'OTHER' }))`
    const result = await node(['-e', script], { ...env, STORAGE_BACKEND: 'memory' })
    expect(result.stderr).toContain('Warning: kept')
  })
})
