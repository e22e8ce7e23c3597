/**
 * `npm run bench`: every figure of docs/performance.md in one run, ours and the baselines
 * interleaved, printed as a table (median, min–max, ratio, goal) and appended to
 * bench/RESULTS.md with the versions, the machine and the date.
 *
 *   npm run bench                        all benchmarks (a few minutes)
 *   npm run bench -- --only local-saves  some of them (ids: see --list)
 *   npm run bench -- --quick             a smoke test of the bench (figures not comparable)
 *   npm run bench -- --no-write          print only, RESULTS.md untouched
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BenchContext, formatNumber, formatStats, meetsGoal, ratio, registry, type Row } from './lib.js'
import './suites.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = join(ROOT, 'bench', 'RESULTS.md')

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

function versionOf(pkg: string): string {
  try {
    const file = pkg === '.' ? join(ROOT, 'package.json') : join(ROOT, 'node_modules', pkg, 'package.json')
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
  } catch {
    return 'not installed'
  }
}

function goalText(row: Row): string {
  return (row.goals ?? [])
    .map((goal) => {
      const met = meetsGoal(row, goal) ? 'met' : '**not met**'
      if ('absolute' in goal) return `${row.lowerIsBetter ? '≤' : '≥'} ${formatNumber(goal.absolute)} ${row.unit}: ${met}`
      return `≥ ${goal.ratio}× ${goal.against}: ${met}`
    })
    .join('; ')
}

/** The rows as a Markdown table. */
function table(rows: Row[]): string {
  const lines = ['| work | unit | node-storages | others (median, min–max; ours ÷ other) | goal |', '|---|---|---|---|---|']
  for (const row of rows) {
    const others = row.others
      .map((f) => {
        const r = f.info ? undefined : ratio(row, f.label)
        return `${f.label} ${formatStats(f.stats)}${r === undefined ? '' : ` (${r.toFixed(2)}×)`}`
      })
      .join('; ')
    const work = row.note ? `${row.work} <br><sub>${row.note}</sub>` : row.work
    lines.push(
      `| ${work} | ${row.unit}${row.lowerIsBetter ? ' (lower is better)' : ''} | ${formatStats(row.ours.stats)} | ${others} | ${goalText(row)} |`,
    )
  }
  return lines.join('\n')
}

function header(started: Date, seconds: number, quick: boolean): string {
  const cpu = cpus()
  return [
    `## ${started.toISOString().replace(/\.\d+Z$/, 'Z')}${quick ? ' (quick: not comparable)' : ''}`,
    '',
    `node-storages ${versionOf('.')}, Node ${process.version}, ${process.platform}/${process.arch}, ${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB; flydrive ${versionOf('flydrive')}, @aws-sdk/client-s3 ${versionOf('@aws-sdk/client-s3')}, ` +
      `@aws-sdk/s3-request-presigner ${versionOf('@aws-sdk/s3-request-presigner')}. Whole run: ${Math.round(seconds)} s.`,
  ].join('\n')
}

async function main(): Promise<void> {
  if (process.argv.includes('--list')) {
    for (const b of registry) console.log(`${b.id.padEnd(16)} ${b.title}`)
    return
  }
  const only = argValue('--only')?.split(',')
  const unknown = only?.filter((id) => !registry.some((b) => b.id === id)) ?? []
  if (unknown.length) throw new Error(`Unknown benchmark ${unknown.join(', ')}: see npm run bench -- --list`)
  const quick = process.argv.includes('--quick')
  const ctx: BenchContext = { quick, log: (m) => console.error(`  ${m}`) }
  const started = new Date()
  const rows: Row[] = []
  const failures: string[] = []
  for (const bench of registry) {
    if (only && !only.includes(bench.id)) continue
    console.error(`${bench.id}: ${bench.title}`)
    const t0 = performance.now()
    try {
      rows.push(...(await bench.run(ctx)))
    } catch (error) {
      failures.push(`${bench.id}: ${(error as Error)?.stack ?? String(error)}`)
      console.error(`  FAILED: ${(error as Error)?.message ?? String(error)}`)
    }
    console.error(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
  }
  const seconds = (Date.now() - started.getTime()) / 1000
  const report = [
    header(started, seconds, quick),
    '',
    table(rows),
    ...(failures.length ? ['', 'Failed:', '```', ...failures, '```'] : []),
    '',
  ].join('\n')
  console.log(`\n${report}`)
  if (!process.argv.includes('--no-write')) {
    if (!existsSync(RESULTS))
      writeFileSync(RESULTS, '# Benchmark results\n\nAppended by `npm run bench` (docs/performance.md explains each figure).\n\n')
    appendFileSync(RESULTS, `${report}\n`)
    console.error(`appended to ${RESULTS}`)
  }
  if (failures.length) process.exitCode = 1
}

await main()
