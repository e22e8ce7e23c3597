/**
 * `node-storages collectstatic DIR... [--alias NAME] [--manifest] [--delete] [--dry-run]
 * [--concurrency N] [--no-cache]`: `collectStatic()` into the storage the environment configures, with a
 * progress bar on a terminal (cli-progress), a summary line, and a non-zero exit when a file failed.
 */
import { parseArgs } from 'node:util'
import { createStorage, createStorages } from '../create.js'
import type { Env } from '../core/env.js'
import type { Storage } from '../core/storage.js'
import { collectStatic, type CollectProgress } from '../static/collect.js'
import { defaultCacheFile } from '../static/hash-cache.js'
import { staticfilesConfigFromEnv } from '../static/config.js'

/** The usage text of the command. */
export const COLLECTSTATIC_USAGE = `Usage: node-storages collectstatic DIR... [options]

Copies every file under the DIRs into the static files storage, skipping files already stored
with the same content (Django's collectstatic).

Options:
  --alias NAME       staticfiles (default: STATIC_ROOT/STATIC_URL, or S3 under AWS_STATIC_LOCATION,
                     default 'static') or default (the storage of the other commands)
  --manifest         also store hashed names (name.<hash>.ext) and staticfiles.json
  --delete           delete stored files that no DIR has
  --dry-run          store and delete nothing; report what would be done
  --concurrency N    files in flight at a time (default 16)
  --no-cache         read every file (no local hash cache; the cache lives under
                     $CACHE_DIR or node_modules/.cache/node-storages)
`

/** Where the command writes. */
export interface CollectstaticIo {
  /** The summary line (default `process.stdout`). */
  out?: NodeJS.WritableStream
  /** The progress bar (on a terminal only), warnings and failures (default `process.stderr`). */
  err?: NodeJS.WritableStream
}

/** The storage an alias names, from the environment. */
function storageOf(alias: string, env: Env): Storage | undefined {
  // As a named storage: settings that widen access apply to `default` only (docs/configuration.md).
  if (alias === 'staticfiles') return createStorages({ staticfiles: staticfilesConfigFromEnv(env) }, env).get('staticfiles')
  if (alias === 'default') return createStorage(undefined, env)
  return undefined
}

function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = n
  let unit = -1
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

/** A progress bar on `stream` when it is a terminal; else nothing. */
async function progressBar(stream: NodeJS.WritableStream): Promise<((p: CollectProgress) => void) & { stop(): void }> {
  const none = Object.assign(() => {}, { stop() {} })
  if ((stream as { isTTY?: boolean }).isTTY !== true) return none
  const { default: cliProgress } = await import('cli-progress')
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: 'collectstatic [{bar}] {value}/{total} {name}',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return Object.assign(
    (p: CollectProgress) => {
      if (!started) {
        bar.start(p.total, 0, { name: '' })
        started = true
      }
      if (p.total !== bar.getTotal()) bar.setTotal(p.total)
      bar.update(p.done, { name: p.name.length > 40 ? '…' + p.name.slice(-39) : p.name })
    },
    {
      stop() {
        if (started) bar.stop()
      },
    },
  )
}

/**
 * Runs `collectstatic` with `args` (after the command name); resolves to the exit code: 0, 1
 * when a file failed, 2 for a usage error. Configuration and source errors reject (StorageError).
 */
export async function collectstaticCommand(args: string[], env: Env = process.env, io: CollectstaticIo = {}): Promise<number> {
  const out = io.out ?? process.stdout
  const err = io.err ?? process.stderr
  const usage = (message: string) => {
    err.write(`node-storages collectstatic: ${message}\n\n${COLLECTSTATIC_USAGE}`)
    return 2
  }
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        alias: { type: 'string', default: 'staticfiles' },
        manifest: { type: 'boolean', default: false },
        delete: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '16' },
        'no-cache': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (error) {
    return usage((error as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) {
    out.write(COLLECTSTATIC_USAGE)
    return 0
  }
  if (positionals.length === 0) return usage('give at least one DIR to collect.')
  const concurrency = Number(values.concurrency)
  if (!/^\d+$/.test(values.concurrency) || concurrency < 1 || concurrency > 1000) {
    return usage(`--concurrency must be a whole number from 1 to 1000, not '${values.concurrency}'.`)
  }
  const storage = storageOf(values.alias, env)
  if (!storage) return usage(`unknown --alias '${values.alias}': use staticfiles or default.`)

  const dryRun = values['dry-run']
  const warnings: string[] = []
  const bar = await progressBar(err)
  const started = performance.now()
  let result
  try {
    result = await collectStatic(positionals, storage, {
      manifest: values.manifest,
      delete: values.delete,
      dryRun,
      concurrency,
      cache: values['no-cache'] ? false : ((await defaultCacheFile(positionals, process.cwd(), env)) ?? false),
      onProgress: bar,
      onWarning: (message) => warnings.push(message),
    })
  } finally {
    bar.stop()
    ;(storage as { destroy?: () => void }).destroy?.()
  }
  for (const warning of warnings) err.write(`warning: ${warning}\n`)
  for (const { name, error } of result.failed) err.write(`failed: ${name}: ${(error as Error)?.message ?? String(error)}\n`)
  const seconds = ((performance.now() - started) / 1000).toFixed(2)
  const verb = dryRun ? 'would be ' : ''
  let line =
    `${result.uploaded} ${verb}uploaded, ${result.unchanged} unchanged, ${result.deleted} ${verb}deleted` +
    `, ${formatBytes(result.bytes)} ${dryRun ? 'to send' : 'sent'} in ${seconds} s`
  if (result.failed.length > 0) line += `, ${result.failed.length} failed`
  if (result.manifest) {
    const state = result.manifest.published ? 'written' : dryRun ? 'not written (dry run)' : 'not written (a file failed)'
    line += `; manifest ${result.manifest.name} ${state}`
  }
  out.write(`${line}\n`)
  return result.failed.length > 0 ? 1 : 0
}
