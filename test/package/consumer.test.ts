// The package as a user gets it: `npm pack`, then the tarball installed (alone: no AWS SDK) into
// a fresh directory, shared by one ESM, one CommonJS and four TypeScript projects (nodenext in
// ESM and CommonJS packages, bundler, node10). In each, the README's "Use" snippet runs and
// typechecks, and every entry point resolves with its types. Needs the npm registry (the
// package's own dependencies); one install serves every project.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asCommonJs, cleanEnv, entryPoints, inMain, pack, pkg, root, run, useSnippet } from './pack.js'

const INSTALL_LINE = 'npm i @aws-sdk/client-s3 @aws-sdk/s3-presigned-post'
const LIMIT_KB = 3 * 1024

/** What the README snippet prints in an empty directory. */
const SNIPPET_OUTPUT = ['/media/notes/hello.txt', 'Hello', 'notes/hello.txt 5']

/**
 * What to check of each entry point's declarations beyond resolving (`m` is its namespace): types
 * that come from the shared declaration chunks, so that an unresolved chunk (which TypeScript
 * turns into `any` under skipLibCheck) fails.
 */
const DEEP_CHECKS: Record<string, string[]> = {
  '.': [
    'ReturnType<typeof m.createStorage>',
    'InstanceType<typeof m.FileSystemStorage>',
    "InstanceType<typeof m.ImproperlyConfigured>['code']",
  ],
  './multer': ['Parameters<typeof m.multerStorage>[0]'],
  './http': ['Parameters<typeof m.serveStorage>[0]'],
  './fetch': ['Parameters<typeof m.storageHandler>[0]', 'Parameters<typeof m.saveUploads>[1]'],
  './fastify': ["m.FastifyStorageOptions['storage']"],
  './static': ['Parameters<typeof m.collectStatic>[1]', 'ReturnType<typeof m.manifestStorage>'],
  './testing': ['Awaited<ReturnType<Parameters<typeof m.describeStorage>[1]>>'],
}

/** A module that typechecks only when every entry point of the exports map resolves to real declarations. */
function entriesTs(): string {
  const entries = entryPoints()
  const imports = entries.map((e, i) => `import type * as e${i} from '${e === '.' ? pkg.name : `${pkg.name}/${e.slice(2)}`}'`)
  const checks = entries.flatMap((e, i) => [`typeof e${i}`, ...(DEEP_CHECKS[e] ?? []).map((t) => t.replaceAll('m.', `e${i}.`))])
  return `${imports.join('\n')}

// never when T is a real type; 'resolved to any' for any, and any itself when a declaration failed to resolve
type Typed<T> = 0 extends 1 & T ? 'resolved to any' : never
type Checks = [
${checks.map((c) => `  Typed<${c}>,`).join('\n')}
]
export const typed: never[] = [] as unknown as Checks
`
}

/** The TypeScript projects: module settings, package type, and whether the snippet may use top-level await. */
const TS_PROJECTS = [
  { name: 'ts-nodenext-esm', type: 'module', module: 'nodenext', moduleResolution: 'nodenext', topLevelAwait: true },
  { name: 'ts-nodenext-cjs', type: 'commonjs', module: 'nodenext', moduleResolution: 'nodenext', topLevelAwait: false },
  { name: 'ts-bundler', type: 'module', module: 'esnext', moduleResolution: 'bundler', topLevelAwait: true },
  { name: 'ts-node10', type: 'commonjs', module: 'commonjs', moduleResolution: 'node10', topLevelAwait: false },
] as const

/**
 * Runs node with `args` in `cwd`; resolves with stdout, stderr and the exit code, which is
 * 'did not exit' when the process was still running after `timeout` ms (a handle left open).
 */
async function node(cwd: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv(), timeout = 20_000) {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd, env, timeout })
    return { code: 0 as number | string, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; killed?: boolean; stdout?: string; stderr?: string }
    return { code: e.killed ? `did not exit within ${timeout} ms` : (e.code ?? 1), stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** Writes `files` (name → content) into the directory `dir`, created. */
function project(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true })
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return dir
}

/** Disk usage of `dir` in KiB, as `du -sk` counts it, and of each package in it. */
async function diskUsage(dir: string): Promise<{ total: number; packages: string }> {
  const { stdout } = await run('du', ['-sk', dir])
  const names = readdirSync(dir).flatMap((n) => (n.startsWith('@') ? readdirSync(join(dir, n)).map((m) => `${n}/${m}`) : [n]))
  const sizes = await Promise.all(
    names.filter((n) => !n.startsWith('.')).map(async (n) => `${n} ${(await run('du', ['-sk', join(dir, n)])).stdout.split('\t')[0]} KiB`),
  )
  return { total: Number(stdout.split('\t')[0]), packages: sizes.join(', ') }
}

describe('the packed package installed alone into fresh projects', { timeout: 60_000 }, () => {
  let work: string
  let consumer: string
  const snippet = useSnippet()

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ns-consumer-'))
    const { tarball } = await pack(work)
    consumer = project(join(work, 'consumer'), { 'package.json': '{ "name": "consumer", "private": true }\n' })
    await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: consumer,
      env: cleanEnv(),
      timeout: 240_000,
    })
  }, 300_000)
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it(`installs in under ${LIMIT_KB / 1024} MB, with no AWS SDK package`, async () => {
    const modules = join(consumer, 'node_modules')
    expect(existsSync(join(modules, 'node-storages', 'dist', 'index.js'))).toBe(true)
    expect(existsSync(join(modules, '@aws-sdk')), 'the SDK is an optional peer: not installed').toBe(false)
    expect(existsSync(join(modules, '@smithy'))).toBe(false)
    const { total, packages } = await diskUsage(modules)
    console.log(`filesystem-only install: ${total} KiB (${packages})`)
    expect(total, packages).toBeLessThan(LIMIT_KB)
  })

  it('runs the README snippet as ESM', async () => {
    const dir = project(join(consumer, 'esm'), { 'package.json': '{ "type": "module" }\n', 'index.mjs': snippet })
    const { code, stdout, stderr } = await node(dir, ['index.mjs'])
    expect(stderr).toBe('')
    expect({ code, lines: stdout.trim().split('\n') }).toEqual({ code: 0, lines: SNIPPET_OUTPUT })
    expect(readFileSync(join(dir, 'media/notes/hello.txt'), 'utf8')).toBe('Hello')
  })

  it('runs the README snippet as CommonJS', async () => {
    const dir = project(join(consumer, 'cjs'), { 'package.json': '{ "type": "commonjs" }\n', 'index.cjs': asCommonJs(snippet) })
    const { code, stdout, stderr } = await node(dir, ['index.cjs'])
    expect(stderr).toBe('')
    expect({ code, lines: stdout.trim().split('\n') }).toEqual({ code: 0, lines: SNIPPET_OUTPUT })
  })

  it('resolves every entry point from ESM and CommonJS, and loads those that need no optional peer', async () => {
    const subpaths = entryPoints().map((e) => (e === '.' ? 'node-storages' : `node-storages/${e.slice(2)}`))
    const standalone = subpaths.filter((s) => !s.endsWith('/testing') && !s.endsWith('/fastify'))
    const script = (kind: 'esm' | 'cjs') =>
      kind === 'esm'
        ? `const s = ${JSON.stringify(subpaths)}; console.log(s.map((p) => import.meta.resolve(p).replace(/^.*node_modules\\//, '')).join(' '))
           for (const p of ${JSON.stringify(standalone)}) await import(p)`
        : `const s = ${JSON.stringify(subpaths)}; console.log(s.map((p) => require.resolve(p).replace(/^.*node_modules\\//, '')).join(' '))
           for (const p of ${JSON.stringify(standalone)}) require(p)`
    const esm = await node(consumer, ['--input-type=module', '-e', script('esm')])
    const cjs = await node(consumer, ['-e', script('cjs')])
    const names = (ext: string) => subpaths.map((s) => `node-storages/dist/${s === 'node-storages' ? 'index' : s.split('/')[1]}.${ext}`)
    expect({ code: esm.code, out: esm.stdout.trim().split(' '), err: esm.stderr }).toEqual({ code: 0, out: names('js'), err: '' })
    expect({ code: cjs.code, out: cjs.stdout.trim().split(' '), err: cjs.stderr }).toEqual({ code: 0, out: names('cjs'), err: '' })
  })

  it(`makes S3 without the SDK throw ImproperlyConfigured naming "${INSTALL_LINE}" (ESM, CommonJS and doctor)`, async () => {
    const use = `const storage = createStorage({ backend: 's3', bucketName: 'b', endpointUrl: 'http://127.0.0.1:9', accessKey: 'k', secretKey: 's' })
      storage.exists('a.txt').then(() => console.log('loaded'), (e) => console.log(e.name, e.code, e.message))`
    const esm = await node(consumer, ['--input-type=module', '-e', `import { createStorage } from 'node-storages'\n${use}`])
    const cjs = await node(consumer, ['-e', `const { createStorage } = require('node-storages')\n${use}`])
    for (const result of [esm, cjs]) {
      expect(result.stdout).toMatch(/^ImproperlyConfigured E_CONFIG S3Storage needs the AWS SDK/)
      expect(result.stdout).toContain(`@aws-sdk/client-s3 is not installed. Install it with: ${INSTALL_LINE}\n`)
    }
    const env = cleanEnv({ STORAGE_BACKEND: 's3', AWS_STORAGE_BUCKET_NAME: 'b', AWS_S3_ENDPOINT_URL: 'http://127.0.0.1:9' })
    const doctor = await node(consumer, ['node_modules/.bin/node-storages', 'doctor'], env)
    expect(doctor.code).toBe(1)
    expect(doctor.stdout + doctor.stderr).toContain(INSTALL_LINE)
  })

  it('prints its version with node-storages --version', async () => {
    const { code, stdout } = await node(consumer, ['node_modules/.bin/node-storages', '--version'])
    expect({ code, stdout }).toEqual({ code: 0, stdout: `${pkg.version}\n` })
  })

  describe.each(TS_PROJECTS)('TypeScript, $name', ({ name, type, module, moduleResolution, topLevelAwait }) => {
    it('typechecks the README snippet and every entry point, then runs the snippet', async () => {
      const tsconfig = {
        compilerOptions: {
          target: 'es2022',
          module,
          moduleResolution,
          strict: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
          outDir: 'out',
          rootDir: '.',
        },
        include: ['index.ts', 'entries.ts'],
      }
      const dir = project(join(consumer, name), {
        'package.json': JSON.stringify({ type }),
        'tsconfig.json': JSON.stringify(tsconfig, null, 2),
        'index.ts': topLevelAwait ? snippet : inMain(snippet),
        'entries.ts': entriesTs(),
      })
      const tsc = await node(dir, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], cleanEnv(), 100_000)
      expect(tsc.stdout + tsc.stderr, `tsc in ${name}`).toBe('')
      expect(tsc.code).toBe(0)
      const { code, stdout, stderr } = await node(dir, ['out/index.js'])
      expect(stderr).toBe('')
      expect({ code, lines: stdout.trim().split('\n') }).toEqual({ code: 0, lines: SNIPPET_OUTPUT })
    }, 180_000)
  })
})
