/**
 * The bench runner's building blocks: a registry benchmarks add themselves to, rows of figures
 * (ours and baselines measured in the same run), and interleaved measurement, so that noise from
 * other processes falls on every contender alike.
 *
 * To add figures (S3 transfers, say): write `bench/<topic>.ts` that calls `register({ id, title,
 * run })`, where `run` returns `Row`s, and import it in bench/suites.ts.
 */

/** Median, min and max of a list of measurements. */
export interface Stats {
  median: number
  min: number
  max: number
  /** How many measurements. */
  n: number
}

/** One contender's figure in a row: ours, a baseline, a peer or a limit. */
export interface Figure {
  label: string
  stats: Stats
  /** Shown for scale only: no ratio to ours. */
  info?: boolean
}

/** A goal of a row: ours / `against` at least `ratio`, or ours at least (at most, when lower is better) `absolute`. */
export type Goal = { against: string; ratio: number } | { absolute: number }

/** One line of the results table. */
export interface Row {
  /** What is measured, e.g. `2,000 × 4 KiB saves, ext4, one at a time`. */
  work: string
  /** Unit of the figures, e.g. `files/s`; higher is better unless `lowerIsBetter`. */
  unit: string
  lowerIsBetter?: boolean
  ours: Figure
  /** Baselines, peers and limits, in the order shown. */
  others: Figure[]
  /** The goals the issue sets, if any. */
  goals?: Goal[]
  /** Anything the reader needs to interpret the row. */
  note?: string
}

/** What a benchmark gets from the runner. */
export interface BenchContext {
  /** `--quick`: fewer rounds and smaller sizes (a smoke test of the bench itself; figures not comparable). */
  quick: boolean
  /** Prints a progress line. */
  log(message: string): void
}

/** A registered benchmark: a named group of rows. */
export interface Benchmark {
  /** Short id for `--only`, e.g. `local-saves`. */
  id: string
  title: string
  run(ctx: BenchContext): Promise<Row[]>
}

/** Every registered benchmark, in registration order. */
export const registry: Benchmark[] = []

/** Adds a benchmark to the run (called at import time by each bench module). */
export function register(benchmark: Benchmark): void {
  if (registry.some((b) => b.id === benchmark.id)) throw new Error(`Benchmark '${benchmark.id}' registered twice.`)
  registry.push(benchmark)
}

/** Median, min and max of `values`. */
export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length }
}

/** A contender of an interleaved measurement: `run` returns one measurement (e.g. files/s). */
export interface Contender {
  label: string
  run(round: number): Promise<number>
}

/**
 * Runs every contender once per round, the order rotated each round (so that none always runs
 * first or last), and returns each contender's measurements by label.
 */
export async function interleave(
  rounds: number,
  contenders: Contender[],
  onRound?: (round: number) => void,
): Promise<Map<string, number[]>> {
  const results = new Map<string, number[]>(contenders.map((c) => [c.label, []]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + round) % contenders.length]!
      results.get(c.label)!.push(await c.run(round))
    }
    onRound?.(round)
  }
  return results
}

/** The row of an interleaved measurement: `oursLabel` is ours, the others follow in `contenders` order. */
export function rowOf(results: Map<string, number[]>, oursLabel: string, row: Omit<Row, 'ours' | 'others'>): Row {
  const figure = (label: string): Figure => ({ label, stats: stats(results.get(label)!) })
  return { ...row, ours: figure(oursLabel), others: [...results.keys()].filter((l) => l !== oursLabel).map(figure) }
}

/** ours / baseline on medians (baseline / ours when lower is better): above 1 means ours is better. */
export function ratio(row: Row, against: string): number | undefined {
  const other = row.others.find((f) => f.label === against)
  if (!other?.stats.median || !row.ours.stats.median) return undefined
  return row.lowerIsBetter ? other.stats.median / row.ours.stats.median : row.ours.stats.median / other.stats.median
}

/** Whether the row meets `goal`. */
export function meetsGoal(row: Row, goal: Goal): boolean {
  if ('absolute' in goal) return row.lowerIsBetter ? row.ours.stats.median <= goal.absolute : row.ours.stats.median >= goal.absolute
  const r = ratio(row, goal.against)
  return r !== undefined && r >= goal.ratio
}

/** A number for a table: thousands separators, 3 significant digits below 100. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US')
  return n.toLocaleString('en-US', { maximumSignificantDigits: 3 })
}

/** `median (min–max)`. */
export function formatStats(s: Stats): string {
  return s.n > 1 ? `${formatNumber(s.median)} (${formatNumber(s.min)}–${formatNumber(s.max)})` : formatNumber(s.median)
}
