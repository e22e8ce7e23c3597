/**
 * collectStatic against `aws s3 sync` on s3rver: 2,000 small files, a first run into an empty
 * prefix and a no-change re-run, wall time of each, rounds interleaved (who goes first
 * alternates); ours re-runs once more with its hash cache off, for the figure without it. Registered as `static-sync` for `npm run bench`; also runs alone:
 *
 *   npx tsx bench/static.ts            (BENCH_FILES=N to change the count, BENCH_ROUNDS=N)
 *
 * The baseline runs when an AWS CLI is found: $AWS_CLI, else Debian's /usr/bin/aws (package
 * awscli), else `aws` on PATH; otherwise the bench says why it skipped it. The AWS CLI's times
 * include its Python start-up, printed separately (`aws --version`) so it can be subtracted.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

import { S3Storage } from '../src/backends/s3/index.js'
import { collectStatic } from '../src/static/index.js'
import { S3RVER_CREDENTIALS, startS3rver } from '../test/support/s3rver.js'
import { type BenchContext, register, type Row, stats } from './lib.js'

const BUCKET = 'bench-static'
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)

/** A static tree: `files` files of 200 B to 4 kB in 40 directories, CSS, JS, SVG and binary. */
async function makeTree(files: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ns-bench-static-'))
  const exts = ['css', 'js', 'svg', 'png', 'woff2']
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `app${i % 40}`, exts[i % exts.length]!)
    await mkdir(sub, { recursive: true })
    await writeFile(join(sub, `file-${i}.${exts[i % exts.length]}`), randomBytes(100 + ((i * 37) % 1950)).toString('hex'))
  }
  return dir
}

/** The AWS CLI to compare with, or why there is none. */
function findAws(): { bin: string } | { skip: string } {
  const candidates = [process.env.AWS_CLI, '/usr/bin/aws', ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'aws'))]
  for (const bin of candidates) {
    if (!bin) continue
    try {
      accessSync(bin, constants.X_OK)
      return { bin }
    } catch {
      // next
    }
  }
  return { skip: 'no AWS CLI found ($AWS_CLI, /usr/bin/aws or `aws` on PATH); install Debian package awscli' }
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined
  }
}

/** The pid of the s3rver child serving `dir` (its command line names the directory), when /proc tells. */
function serverPid(dir: string): number | undefined {
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return undefined // not Linux
  }
  for (const entry of entries) {
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if (cmdline.includes(dir) && cmdline.includes('s3rver-process')) return Number(entry)
    } catch {
      // the process is gone
    }
  }
  return undefined
}

/** Runs a command; resolves to its wall time in ms (rejects on a non-zero exit). */
function timed(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - start
      if (code === 0) resolve({ ms, out })
      else reject(new Error(`${bin} ${args.join(' ')} exited ${code}: ${out.slice(-2000)}`))
    })
  })
}

/** The environment the AWS CLI runs with: s3rver's credentials, no user configuration. */
function awsEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', // else newer CLIs send aws-chunked bodies s3rver stores as is
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  }
}

/** Wall times (ms) and CPU notes of every round: `first`/`rerun` per contender. */
interface Measured {
  ours: { first: number[]; rerun: number[]; uncached: number[] }
  aws?: { first: number[]; rerun: number[] }
  skipped?: string
  notes: string[]
}

/**
 * `rounds` rounds on one s3rver; each round syncs the tree into fresh prefixes (`ours-<round>/`,
 * `aws-<round>/`): a first run, then a no-change re-run.
 */
async function measure(files: number, rounds: number, log: (line: string) => void): Promise<Measured> {
  const server = await startS3rver({ buckets: [BUCKET], cors: false })
  const tree = await makeTree(files)
  const aws = findAws()
  const out: Measured = { ours: { first: [], rerun: [], uncached: [] }, notes: [] }
  if ('skip' in aws) out.skipped = aws.skip
  else out.aws = { first: [], rerun: [] }
  const pid = serverPid(server.dir)
  try {
    log(`${files} files, s3rver at ${server.endpoint}, Node ${process.version}`)
    if (!('skip' in aws)) {
      const version = await timed(aws.bin, ['--version'], awsEnv())
      const line = `${aws.bin}: ${version.out.trim()} (start-up: ${version.ms.toFixed(0)} ms)`
      out.notes.push(line)
      log(line)
    }
    for (let round = 0; round < rounds; round++) {
      const storage = new S3Storage({
        bucketName: BUCKET,
        endpointUrl: server.endpoint,
        accessKey: S3RVER_CREDENTIALS.accessKeyId,
        secretKey: S3RVER_CREDENTIALS.secretAccessKey,
        location: `ours-${round}`,
        conditionalWrites: false,
        querystringAuth: false,
      })
      const runOurs = async () => {
        // `uncached`: the re-run again with the hash cache off (every file read and hashed).
        for (const run of ['first', 'rerun', 'uncached'] as const) {
          const start = performance.now()
          const cpu = process.cpuUsage()
          const serverCpu = cpuSeconds(pid)
          const result = await collectStatic(tree, storage, { concurrency: CONCURRENCY, ...(run === 'uncached' ? { cache: false } : {}) })
          const ms = performance.now() - start
          if (result.failed.length) throw new Error(`collectStatic failed: ${String(result.failed[0]!.error)}`)
          const expected = run === 'first' ? files : 0
          if (result.uploaded !== expected) throw new Error(`collectStatic ${run} uploaded ${result.uploaded}, expected ${expected}`)
          out.ours[run].push(ms)
          const used = process.cpuUsage(cpu)
          const onServer = serverCpu === undefined ? '' : `, s3rver ${(cpuSeconds(pid)! - serverCpu).toFixed(1)} s`
          log(
            `round ${round + 1} collectStatic ${run}: ${ms.toFixed(0)} ms (CPU: ours ${((used.user + used.system) / 1e6).toFixed(1)} s${onServer})`,
          )
        }
      }
      const runAws = async () => {
        if ('skip' in aws) return
        for (const run of ['first', 'rerun'] as const) {
          const args = [
            '--endpoint-url',
            server.endpoint,
            's3',
            'sync',
            tree,
            `s3://${BUCKET}/aws-${round}/`,
            '--only-show-errors',
            '--no-progress',
          ]
          const serverCpu = cpuSeconds(pid)
          const { ms } = await timed(aws.bin, args, awsEnv())
          out.aws![run].push(ms)
          const onServer = serverCpu === undefined ? '' : ` (CPU: s3rver ${(cpuSeconds(pid)! - serverCpu).toFixed(1)} s)`
          log(`round ${round + 1} aws s3 sync ${run}: ${ms.toFixed(0)} ms${onServer}`)
        }
      }
      // Who goes first alternates, so that neither always meets a fresher (or busier) server.
      if (round % 2 === 0) {
        await runOurs()
        await runAws()
      } else {
        await runAws()
        await runOurs()
      }
      storage.destroy()
    }
  } finally {
    await rm(tree, { recursive: true, force: true })
    await server.stop()
  }
  return out
}

/** The `static-sync` rows: first run and no-change re-run, ours against `aws s3 sync`. */
async function staticSync(ctx: BenchContext): Promise<Row[]> {
  const files = ctx.quick ? 200 : Number(process.env.BENCH_FILES ?? 2000)
  const rounds = ctx.quick ? 1 : Number(process.env.BENCH_ROUNDS ?? 3)
  const m = await measure(files, rounds, ctx.log)
  const awsLabel = 'aws s3 sync (AWS CLI)'
  const row = (run: 'first' | 'rerun' | 'uncached', work: string, goal: number | undefined): Row => ({
    work,
    unit: 'ms',
    lowerIsBetter: true,
    ours: { label: 'collectStatic', stats: stats(m.ours[run]) },
    others: m.aws ? [{ label: awsLabel, stats: stats(m.aws[run === 'first' ? 'first' : 'rerun']) }] : [],
    goals: m.aws && goal !== undefined ? [{ against: awsLabel, ratio: goal }] : [],
    note:
      `${files} files of 200 B–4 kB in 40 directories to s3rver on loopback, concurrency ${CONCURRENCY}, ${rounds} rounds; ` +
      (m.aws ? `${m.notes.join('; ')}: its Python start-up is inside its figure` : `aws s3 sync skipped: ${m.skipped}`),
  })
  const count = files.toLocaleString('en-US')
  const cacheNote = ' The hash cache is cold in round 1 (the tree was written just before), warm after.'
  return [
    row('first', `collectStatic first run, ${count} small files, s3rver`, 2),
    { ...row('rerun', `collectStatic no-change re-run, ${count} small files, s3rver`, 5), note: row('rerun', '', 5).note + cacheNote },
    row(
      'uncached',
      `collectStatic no-change re-run with cache: false (every file read and hashed), ${count} small files, s3rver`,
      undefined,
    ),
  ]
}

register({ id: 'static-sync', title: 'collectStatic against aws s3 sync', run: staticSync })

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  staticSync({ quick: false, log: (line) => console.log(line) }).then(
    (rows) => {
      for (const r of rows) {
        const other = r.others[0]
        const ratio = other ? ` (${(other.stats.median / r.ours.stats.median).toFixed(1)}x)` : ''
        console.log(
          `${r.work}: ours ${r.ours.stats.median.toFixed(0)} ms${other ? `, ${other.label} ${other.stats.median.toFixed(0)} ms` : ''}${ratio}`,
        )
      }
    },
    (error) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
