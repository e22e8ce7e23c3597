// Starts s3rver (a local S3-protocol server) in a child process for the tests.
// docs/s3-compatible.md (s3rver) says what s3rver does and does not check.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const CHILD_SCRIPT = fileURLToPath(new URL('./s3rver-process.mjs', import.meta.url))

/** The credentials s3rver accepts (it only checks the access key id), and the verifying proxy's. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const

/** Default bucket names, preloaded by the global setup. */
export const TEST_BUCKETS = ['node-storages-test', 'node-storages-test-2'] as const

export interface StartS3rverOptions {
  /** Buckets to create before the server listens. Default: {@link TEST_BUCKETS}. */
  buckets?: readonly string[]
  /** Preload each bucket with the permissive CORS rules (GET/PUT/POST/HEAD, any origin). Default true. */
  cors?: boolean
  /** Where to make the data directory. Default: `/dev/shm` when writable (about twice as fast), else the OS temp dir. */
  tmpRoot?: string
  /** How long to wait for the child to listen. Default 15 s. */
  timeoutMs?: number
}

export interface S3rverHandle {
  /** `http://127.0.0.1:PORT` */
  endpoint: string
  port: number
  buckets: string[]
  /** The temp directory s3rver stores its data in (removed by `stop()`). */
  dir: string
  /** Kills the child (SIGTERM, then SIGKILL after 2 s) and removes the temp directory. */
  stop(): Promise<void>
}

/**
 * Spawns s3rver as a child process (`node --openssl-legacy-provider`) on 127.0.0.1 with a fresh
 * temp directory, and resolves once it listens. The child exits on its own when this process
 * dies (its stdin closes), so a crashed test run does not leave it behind.
 */
export async function startS3rver(options: StartS3rverOptions = {}): Promise<S3rverHandle> {
  const buckets = [...(options.buckets ?? TEST_BUCKETS)]
  const timeoutMs = options.timeoutMs ?? 15_000
  const dir = await mkdtemp(join(options.tmpRoot ?? defaultTmpRoot(), 'node-storages-s3rver-'))
  const args = ['--openssl-legacy-provider', CHILD_SCRIPT, '--dir', dir, '--remove-dir']
  for (const b of buckets) args.push('--bucket', b)
  if (options.cors ?? true) args.push('--cors')

  // NODE_OPTIONS (e.g. --inspect from an IDE) is meant for the test process, not for s3rver.
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  let child: ChildProcess
  try {
    child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  // Never let the pipes keep the test process alive on their own.
  unrefChild(child)

  let stderr = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8_000)
  })

  const stop = makeStop(child, dir)
  try {
    const port = await waitForPort(child, timeoutMs, () => stderr)
    return { endpoint: `http://127.0.0.1:${port}`, port, buckets, dir, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Reads the child's stdout until the `{"port":N}` line, or fails with its stderr. */
function waitForPort(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let out = ''
    const fail = (why: string) => {
      cleanup()
      const err = stderr().trim()
      reject(new Error(`s3rver child ${why}${err ? `; its stderr:\n${err}` : ' (no stderr)'}`))
    }
    const onData = (chunk: string) => {
      out += chunk
      const nl = out.indexOf('\n')
      if (nl === -1) return
      try {
        const { port } = JSON.parse(out.slice(0, nl)) as { port: unknown }
        if (typeof port !== 'number') throw new Error('no port')
        cleanup()
        child.stdout!.resume() // keep draining anything else it prints
        resolve(port)
      } catch {
        fail(`printed an unexpected first line: ${JSON.stringify(out.slice(0, nl))}`)
      }
    }
    const onExit = (code: number | null, signal: string | null) =>
      // give stderr a moment to arrive before reporting
      setTimeout(() => fail(`exited before listening (code ${code}, signal ${signal})`), 50)
    const onError = (e: Error) => fail(`could not be spawned: ${e.message}`)
    const timer = setTimeout(() => fail(`did not report a port within ${timeoutMs} ms`), timeoutMs)
    function cleanup() {
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      child.off('exit', onExit)
      child.off('error', onError)
    }
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', onData)
    child.once('exit', onExit)
    child.once('error', onError)
  })
}

function makeStop(child: ChildProcess, dir: string): () => Promise<void> {
  let stopping: Promise<void> | undefined
  return () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000)
        await exited
        clearTimeout(timer)
      }
      child.stdin?.destroy()
      await rm(dir, { recursive: true, force: true })
    })())
}

/** `/dev/shm` (RAM) if it is a writable directory, else the OS temp directory. */
function defaultTmpRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK | constants.X_OK)
    return '/dev/shm'
  } catch {
    return tmpdir()
  }
}

function unrefChild(child: ChildProcess): void {
  child.unref()
  for (const s of [child.stdin, child.stdout, child.stderr]) {
    ;(s as unknown as { unref?: () => void } | null)?.unref?.()
  }
}

/**
 * S3Client settings for s3rver or the verifying proxy in front of it: path-style addressing,
 * checksums only when required (else stream bodies go `aws-chunked` and s3rver stores the
 * framing), and the credentials both accept.
 */
export function s3ClientConfig(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string } = S3RVER_CREDENTIALS) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { ...credentials },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
  }
}
