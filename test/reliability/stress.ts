// `npm run test:stress`: the full reliability matrix (every fault scenario, every hostile name on
// both local backends and as HTTP paths, 20,000 cases a name property, 32 cuts of a download),
// then its figures, summed from the lines each test file appends to a report file.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'ns-stress-'))
const reportFile = join(dir, 'report.jsonl')
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')
const started = Date.now()
const run = spawnSync(process.execPath, [vitest, 'run', 'test/reliability', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, NODE_STORAGES_STRESS: '1', NODE_STORAGES_STRESS_REPORT: reportFile },
})
const seconds = ((Date.now() - started) / 1000).toFixed(1)

let lines: Record<string, number | string>[] = []
try {
  lines = readFileSync(reportFile, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
} catch {
  // no test reported (e.g. a filter matched none)
}
rmSync(dir, { recursive: true, force: true })

const totals: Record<string, number> = {}
const byArea = new Map<string, Record<string, number>>()
for (const { area, ...figures } of lines) {
  const sums = byArea.get(String(area)) ?? {}
  for (const [k, v] of Object.entries(figures)) {
    if (typeof v !== 'number') continue
    sums[k] = (sums[k] ?? 0) + v
    totals[k] = (totals[k] ?? 0) + v
  }
  byArea.set(String(area), sums)
}
const fmt = (figures: Record<string, number>) =>
  Object.entries(figures)
    .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
    .join(', ')
console.log('\nnode-storages stress run')
for (const [area, figures] of [...byArea].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${area.padEnd(20)} ${fmt(figures)}`)
console.log(`  ${'total'.padEnd(20)} ${fmt(totals)}`)
console.log(
  `  ${'duration'.padEnd(20)} ${seconds} s; ${run.status === 0 ? 'every test passed: nothing lost' : `FAILED (exit ${run.status})`}`,
)
process.exit(run.status ?? 1)
