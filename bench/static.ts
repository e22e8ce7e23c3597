/**
 * collectStatic against `aws s3 sync` on s3rver: 2,000 small files, a first run into an empty
 * prefix and a no-change re-run, wall time of each, in one process run.
 *
 *   npx tsx bench/static.ts            (BENCH_FILES=N to change the count)
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

import { S3Storage } from '../src/backends/s3/index.js'
import { collectStatic } from '../src/static/index.js'
import { S3RVER_CREDENTIALS, startS3rver } from '../test/support/s3rver.js'

const FILES = Number(process.env.BENCH_FILES ?? 2000)
const BUCKET = 'bench-static'
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)

/** A static tree: FILES files of 200 B to 4 kB in 40 directories, CSS, JS, SVG and binary. */
async function makeTree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ns-bench-static-'))
  const exts = ['css', 'js', 'svg', 'png', 'woff2']
  for (let i = 0; i < FILES; i++) {
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

async function main(): Promise<void> {
  const server = await startS3rver({ buckets: [BUCKET], cors: false })
  const tree = await makeTree()
  try {
    console.log(`${FILES} files, s3rver at ${server.endpoint}, Node ${process.version}`)
    const storage = new S3Storage({
      bucketName: BUCKET,
      endpointUrl: server.endpoint,
      accessKey: S3RVER_CREDENTIALS.accessKeyId,
      secretKey: S3RVER_CREDENTIALS.secretAccessKey,
      location: 'ours',
      conditionalWrites: false,
      querystringAuth: false,
    })
    const pid = serverPid(server.dir)
    /** ` (CPU: ours X s, s3rver Y s)` for a run that started at `cpu` / `serverCpu`. */
    const cpuNote = (cpu: NodeJS.CpuUsage | undefined, serverCpu: number | undefined) => {
      const mine = cpu ? process.cpuUsage(cpu) : undefined
      const theirs = serverCpu === undefined ? undefined : cpuSeconds(pid)! - serverCpu
      const parts = [
        mine ? `this process ${((mine.user + mine.system) / 1e6).toFixed(1)} s` : '',
        theirs !== undefined ? `s3rver ${theirs.toFixed(1)} s` : '',
      ]
      return ` (CPU: ${parts.filter(Boolean).join(', ')})`
    }
    const ours: number[] = []
    for (const run of ['first run', 're-run']) {
      const start = performance.now()
      const cpu = process.cpuUsage()
      const serverCpu = cpuSeconds(pid)
      const result = await collectStatic(tree, storage, { concurrency: CONCURRENCY })
      ours.push(performance.now() - start)
      console.log(
        `collectStatic ${run}: ${ours.at(-1)!.toFixed(0)} ms, ${result.uploaded} uploaded, ${result.unchanged} unchanged` +
          cpuNote(cpu, serverCpu),
      )
      if (result.failed.length) throw new Error(`collectStatic failed: ${String(result.failed[0]!.error)}`)
    }
    storage.destroy()

    const aws = findAws()
    if ('skip' in aws) {
      console.log(`aws s3 sync: skipped, ${aws.skip}`)
      return
    }
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required', // else newer CLIs send aws-chunked bodies s3rver stores as is
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    }
    const version = await timed(aws.bin, ['--version'], env)
    console.log(`${aws.bin}: ${version.out.trim()} (start-up: ${version.ms.toFixed(0)} ms)`)
    const theirs: number[] = []
    for (const run of ['first run', 're-run']) {
      const args = ['--endpoint-url', server.endpoint, 's3', 'sync', tree, `s3://${BUCKET}/aws/`, '--only-show-errors', '--no-progress']
      const serverCpu = cpuSeconds(pid)
      const { ms } = await timed(aws.bin, args, env)
      theirs.push(ms)
      console.log(`aws s3 sync ${run}: ${ms.toFixed(0)} ms` + cpuNote(undefined, serverCpu))
    }
    console.log('\n| run | collectStatic | aws s3 sync | ratio |\n|---|---|---|---|')
    for (const [i, run] of ['first run', 'no-change re-run'].entries()) {
      console.log(`| ${run} | ${ours[i]!.toFixed(0)} ms | ${theirs[i]!.toFixed(0)} ms | ${(theirs[i]! / ours[i]!).toFixed(1)}x |`)
    }
  } finally {
    await rm(tree, { recursive: true, force: true })
    await server.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
