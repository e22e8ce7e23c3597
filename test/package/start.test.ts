// `npm start` runs the example app so that `kill -TERM <npm's pid>` stops it: npm forwards the
// signal to its child, which must be the server itself (`exec`), not a shell that dies and
// leaves the server running. Run in a copy of the repository whose `build` script is a no-op
// over a copy of dist/, so the test exercises the real `start` script without a second build.
import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanEnv, pkg, root } from './pack.js'

/** Whether something accepts TCP connections on `port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Resolves with the exit code (or signal) of `child`, or 'running' after `ms`. */
function exited(child: ChildProcess, ms: number): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(String(child.exitCode ?? child.signalCode))
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('running'), ms)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve(String(code ?? signal))
    })
  })
}

/** Pids of the processes whose working directory is `dir` (Linux /proc; none elsewhere). */
function processesIn(dir: string): number[] {
  let pids: string[] = []
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p))
  } catch {
    return []
  }
  return pids.map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === dir
    } catch {
      return false
    }
  })
}

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-start-'))
  let npm: ChildProcess | undefined
  afterAll(() => {
    npm?.kill('SIGKILL')
    // A server left running by a failed run of this test (npm start's own processes only).
    for (const pid of processesIn(dir)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('stops the server when npm gets SIGTERM', async () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, scripts: { ...pkg.scripts, build: 'true' } }, null, 2))
    for (const d of ['dist', 'examples']) cpSync(join(root, d), join(dir, d), { recursive: true })
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
    const env = cleanEnv({ PORT: '0', HOST: '127.0.0.1', MEDIA_ROOT: join(dir, 'media'), STORAGE_SECRET: 'x'.repeat(64) })
    const child = spawn('npm', ['start', '--loglevel=silent'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    npm = child
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c))
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the example app did not start within 30 s:\n${out}`)), 30_000)
      child.stdout!.on('data', () => {
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)
        if (m) {
          clearTimeout(timer)
          resolve(Number(m[1]))
        }
      })
      child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before listening:\n${out}`)))
    })
    expect(await listening(port)).toBe(true)
    child.kill('SIGTERM')
    expect(await exited(child, 10_000), out).toBe('0')
    expect(await listening(port), 'the server still listens after npm got SIGTERM').toBe(false)
    expect(processesIn(dir)).toEqual([])
  }, 60_000)
})
