/**
 * Cold start: importing node-storages and creating a filesystem (or memory) storage loads only
 * the Node built-ins that needs. Worker threads, zlib, https, crypto and the stream stack load
 * on first use (src/core/builtins.ts), in the S3 backend too, and the S3 diagnostics are a chunk
 * of their own; bench/cold-start.ts measures what that saves.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const dist = join(root, 'dist')

/** Built-ins that no filesystem or memory storage needs before its first save, read or signed URL. */
const LAZY = ['worker_threads', 'os', 'zlib', 'https', 'http', 'net', 'tls', 'crypto', 'stream', 'stream/promises']

/** The public built-ins of `moduleLoadList` among `names` (run in the child, printed as JSON). */
const LOADED = (names: string[]) =>
  `process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).filter((m) => ${JSON.stringify(names)}.includes(m))`

function node(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } })
}

// The names come in the environment: a CommonJS `-e` script that spells a built-in's name
// (`'crypto'`) loads it (Node 20). Read before printing: a piped process.stdout is a stream (it
// loads net and the stream stack).
const report = `const loaded = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).filter((m) => JSON.parse(process.env.NS_BUILTINS).includes(m)); process.stdout.write(JSON.stringify(loaded))`

/**
 * Which of `names` this Node version loads for the built-ins the import path does use
 * (fs/promises, path, module, url): Node 24's fs/promises loads os, for one. Not ours to defer.
 */
function floor(names: string[]): string[] {
  const needed = "require('node:fs/promises'); require('node:path'); require('node:module'); require('node:url');"
  return JSON.parse(node(['-e', `${needed} ${report}`], { NS_BUILTINS: JSON.stringify(names) })) as string[]
}

describe('the filesystem and memory backends load built-ins lazily', () => {
  let dir: string
  let bundle: string

  beforeAll(async () => {
    // Inside the repository, so the bundle resolves mime-types (external) as the package does.
    const cache = join(root, 'node_modules', '.cache')
    mkdirSync(cache, { recursive: true })
    dir = mkdtempSync(join(cache, 'ns-lazy-builtins-'))
    bundle = join(dir, 'local.mjs')
    // The local backends and the core alone, from src (the package entry also holds S3).
    await build({
      stdin: {
        contents: `export { FileSystemStorage } from './src/backends/filesystem/storage.ts'
export { InMemoryStorage } from './src/backends/memory/storage.ts'`,
        resolveDir: root,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['mime-types'],
      outfile: bundle,
      logLevel: 'silent',
    })
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** A script that creates both storages in `media`, then runs `then` (an async body). */
  const script = (then: string) => `
    const { FileSystemStorage, InMemoryStorage } = await import(${JSON.stringify(bundle)})
    const media = ${JSON.stringify(join(dir, 'media'))}
    const fs = FileSystemStorage.fromEnv({}, { location: media, baseUrl: '/media/' })
    const memory = InMemoryStorage.fromEnv({}, {})
    const atStart = ${LOADED(LAZY)}
    ${then}`

  const atLeast = floor(LAZY)

  it('importing and creating the storages loads none of them', () => {
    const out = node(['--input-type=module', '-e', script('process.stdout.write(JSON.stringify(atStart))')])
    expect(JSON.parse(out)).toEqual(atLeast)
  })

  it('the first save and read load what they use, and work', () => {
    const out = node([
      '--input-type=module',
      '-e',
      script(`
        const name = await fs.save('lazy/a.txt', 'abc')
        const back = (await fs.read(name)).toString()
        await fs.delete(name)
        await memory.save('b.txt', 'def')
        const mem = (await memory.read('b.txt')).toString()
        process.stdout.write(JSON.stringify({ atStart, back, mem, after: ${LOADED(LAZY)} }))`),
    ])
    const { atStart, back, mem, after } = JSON.parse(out)
    expect({ atStart, back, mem }).toEqual({ atStart: atLeast, back: 'abc', mem: 'def' })
    expect(after).toEqual(expect.arrayContaining(['crypto', 'stream']))
    // One save never starts the offload worker (it starts at the 16th small save).
    expect(after).not.toContain('worker_threads')
  })

  it('without process.getBuiltinModule (Node 20 before 20.16) they load through require', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `delete process.getBuiltinModule
      ${script(`
        const name = await fs.save('lazy/c.txt', 'ghi')
        const back = (await fs.read(name)).toString()
        await fs.delete(name)
        process.stdout.write(JSON.stringify({ atStart, back, after: ${LOADED(['crypto', 'stream'])}.sort() }))`)}`,
    ])
    expect(JSON.parse(out)).toEqual({ atStart: atLeast, back: 'ghi', after: ['crypto', 'stream'] })
  })
})

describe('the built package', () => {
  // The S3 backend is part of the entry: none of its modules loads these at import either
  // (timers/promises: its retries and the doctor's timeouts).
  const NOT_AT_IMPORT = [...LAZY, 'timers/promises']
  const create = `createStorage({ backend: 'filesystem', location: 'media' })`
  const names = { NS_BUILTINS: JSON.stringify(NOT_AT_IMPORT) }
  const atLeast = floor(NOT_AT_IMPORT)

  /**
   * The files of dist/ that `entry` loads at import: itself and the chunks it imports or requires,
   * transitively (an `import()` is not followed). ESM: `import … from './x'`, `export … from './x'`,
   * `import './x'`; CommonJS: `require('./x')`.
   */
  function staticClosure(entry: string): string[] {
    const pattern = entry.endsWith('.cjs')
      ? /\brequire\(['"]\.\/([^'"]+)['"]\)/g
      : /^(?:import|export)\b[^;'"]*?(?:\bfrom\s*)?['"]\.\/([^'"]+)['"]/gm
    const seen = new Set<string>()
    const queue = [entry]
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      if (seen.has(file)) continue
      seen.add(file)
      for (const m of readFileSync(join(dist, file), 'utf8').matchAll(pattern)) queue.push(m[1]!)
    }
    return [...seen]
  }

  it.each(['index.js', 'index.cjs'])('%s loads the S3 diagnostics only when diagnose() runs (a chunk of their own)', (entry) => {
    const files = staticClosure(entry)
    expect(files.length).toBeGreaterThan(2)
    const withDiagnostics = files.filter((file) => /function\*\s*diagnoseS3\b/.test(readFileSync(join(dist, file), 'utf8')))
    expect(withDiagnostics).toEqual([])
    // The chunk is there, imported by S3Storage.diagnose().
    const source = files.map((file) => readFileSync(join(dist, file), 'utf8')).join('\n')
    expect(source).toMatch(/import\(['"]\.\/diagnose-[\w-]+\.c?js['"]\)/)
  })

  it('import + createStorage() (ESM) loads none of them', () => {
    const out = node(
      ['--input-type=module', '-e', `import { createStorage } from ${JSON.stringify(join(dist, 'index.js'))}; ${create}; ${report}`],
      names,
    )
    expect(JSON.parse(out)).toEqual(atLeast)
  })

  it('require + createStorage() (CommonJS) loads none of them', () => {
    const out = node(['-e', `const { createStorage } = require(${JSON.stringify(join(dist, 'index.cjs'))}); ${create}; ${report}`], names)
    expect(JSON.parse(out)).toEqual(atLeast)
  })
})
