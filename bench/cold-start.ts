/**
 * Cold start: a new Node process that imports node-storages and creates a filesystem storage,
 * against `node -e 0` started the same way, interleaved. The package is built first, as tsup
 * builds it for npm (ESM and CommonJS, split into chunks, no declarations), into
 * node_modules/.cache (dist/ is left alone), beside a package.json of `"type": "module"` as the
 * installed package has (without one, Node first tries index.js as CommonJS to detect its
 * format). The figure is the difference within each round, in ms. `require('mime-types')` alone
 * is shown for scale: the package loads it on the first content-type lookup, not at import.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import tsupConfig from '../tsup.config.js'
import { type BenchContext, interleave, register, type Row, stats } from './lib.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const BUILD = join(ROOT, 'node_modules', '.cache', 'node-storages-bench')
const ESM = JSON.stringify(join(BUILD, 'index.js'))
const CJS = JSON.stringify(join(BUILD, 'index.cjs'))

/** The entries of tsup.config.ts as `--entry.<name> <file>` arguments. */
function entryArgs(): string[] {
  const entry = (tsupConfig as { entry?: Record<string, string> }).entry
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new Error('tsup.config.ts: expected entry to be { name: file }')
  return Object.entries(entry).flatMap(([name, file]) => [`--entry.${name}`, file])
}

/**
 * Builds the package as it ships (tsup, every entry of tsup.config.ts, ESM + CommonJS) into
 * BUILD: the chunks index.js imports are those of dist/, shared with the other entries.
 */
function build(): void {
  const tsup = join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js')
  const args = [
    tsup,
    ...entryArgs(),
    '--no-config',
    '--format',
    'esm,cjs',
    '--target',
    'node20',
    '--treeshake',
    // As tsup.config.ts: chunks (what an entry imports lazily stays out of its chunk) and the
    // import.meta.url shim of the CommonJS build.
    '--splitting',
    '--shims',
    '--clean',
    '--out-dir',
    BUILD,
    '--silent',
  ]
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' })
  if (run.status !== 0 || !existsSync(join(BUILD, 'index.js'))) throw new Error(`tsup failed: ${run.stderr || run.stdout}`)
  writeFileSync(join(BUILD, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(join(BUILD, 'empty.js'), '')
}

// Each script ends by printing the time since the process started (performance.now()) and the
// CPU time it used, so the spawn itself (and a loaded machine's scheduling of it) stays out.
const REPORT =
  'process.stdout.write(JSON.stringify({ wall: performance.now(), cpu: (process.cpuUsage().user + process.cpuUsage().system) / 1000 }))'
const CREATE = "createStorage({ backend: 'filesystem', location: 'media' })"

const EMPTY = JSON.stringify(join(BUILD, 'empty.js'))

const SCRIPTS: Record<string, string[]> = {
  'node -e 0': ['-e', REPORT],
  'ESM import of an empty module': ['--input-type=module', '-e', `import ${EMPTY}; ${REPORT}`],
  'ESM import + createStorage()': ['--input-type=module', '-e', `import { createStorage } from ${ESM}; ${CREATE}; ${REPORT}`],
  'CommonJS require + createStorage()': ['-e', `const { createStorage } = require(${CJS}); ${CREATE}; ${REPORT}`],
  "require('mime-types') alone": ['-e', `require('mime-types'); ${REPORT}`],
}

/** Wall time (since process start) and CPU time of one `node <args>` run, in ms. */
function timeNode(args: readonly string[]): { wall: number; cpu: number } {
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr}`)
  return JSON.parse(run.stdout) as { wall: number; cpu: number }
}

async function coldStart(ctx: BenchContext): Promise<Row[]> {
  build()
  const rounds = ctx.quick ? 5 : 30
  const cpu = new Map<string, number[]>(Object.keys(SCRIPTS).map((label) => [label, []]))
  const wall = await interleave(
    rounds,
    Object.entries(SCRIPTS).map(([label, args]) => ({
      label,
      run: async () => {
        const t = timeNode(args)
        cpu.get(label)!.push(t.cpu)
        return t.wall
      },
    })),
  )
  const over = (times: Map<string, number[]>, label: string) => {
    const base = times.get('node -e 0')!
    return stats(times.get(label)!.map((ms, i) => ms - base[i]!))
  }
  ctx.log(`node -e 0: median ${stats(wall.get('node -e 0')!).median.toFixed(1)} ms to the end of its script`)
  const row = (times: Map<string, number[]>, what: string, note: string, ours = 'ESM import + createStorage()'): Row => ({
    work: `${ours === 'ESM import + createStorage()' ? 'ESM import' : 'CommonJS require'} + createStorage() (filesystem), ${what} over \`node -e 0\``,
    unit: 'ms',
    lowerIsBetter: true,
    ours: { label: ours, stats: over(times, ours) },
    others: [
      ...['ESM import + createStorage()', 'CommonJS require + createStorage()']
        .filter((label) => label !== ours)
        .map((label) => ({ label, stats: over(times, label), info: true })),
      // Node's ES module loader starting up, which any ESM app pays once, whatever it imports.
      { label: 'ESM import of an empty module', stats: over(times, 'ESM import of an empty module'), info: true },
      { label: "require('mime-types') alone", stats: over(times, "require('mime-types') alone"), info: true },
      { label: '`node -e 0` itself', stats: stats(times.get('node -e 0')!), info: true },
    ],
    goals: [{ absolute: 20 }],
    note,
  })
  return [
    row(
      wall,
      'wall time',
      `${rounds} processes each, interleaved, differences within each round; time from process start to the end of the script`,
    ),
    row(cpu, 'CPU time', 'user + system CPU of the same processes: steadier than wall time on a busy machine'),
    row(cpu, 'CPU time', 'the same processes', 'CommonJS require + createStorage()'),
  ]
}

register({ id: 'cold-start', title: 'Cold start (import + createStorage)', run: coldStart })
