/**
 * The `node-storages` command: file operations on the storage the environment configures (the
 * same rules as `createStorage()`), `doctor` to check a configuration end to end, and `policy`
 * for its IAM policy; `doctor` and `policy` also take a config module (`--config FILE`, one alias
 * or `--all`). Each command is one entry of COMMANDS: adding a command is adding an entry.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { basename } from 'node:path'
import { collectstaticCommand } from './collectstatic.js'
import { cleanupCommand } from './cleanup.js'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { createStorage } from '../create.js'
import { isPolicyProvider } from '../core/capabilities.js'
import type { Env } from '../core/env.js'
import { isStorageError } from '../core/errors.js'
import type { Storage } from '../core/storage.js'
import { runDoctor } from './doctor.js'
import { mergePolicies, policyFor } from './policy.js'
import { type TargetOptions, targetsOf, UsageError } from './targets.js'

const USAGE = `Usage: node-storages <command> [arguments]

Configured from the environment like createStorage(): STORAGE_BACKEND, USE_S3_STORAGE,
MEDIA_ROOT/MEDIA_URL, AWS_STORAGE_BUCKET_NAME and the other AWS_* settings; doctor and
policy also take a config module (--config FILE exporting the createStorages() config).

Commands:
  doctor [options]     check the configuration end to end; non-zero exit on a failure
      --config FILE      a module exporting the createStorages() config (default export or \`storages\`)
      --alias NAME       the alias of it to check (default: default); --all: every alias
      --upload-method M  how browsers upload: PUT, POST, PUT,POST (default) or none, for the CORS check
      --origin URL       the web page's origin browsers upload from, e.g. https://app.example.com
  policy [options]     print the least-privilege IAM policy for the bucket and location (S3)
      --doctor           add the bucket-setting reads doctor makes
      --config FILE, --alias NAME, --all   as for doctor; --all merges the aliases' policies into one
  ls [PREFIX]          list files under PREFIX (recursive)
  url NAME             print the URL of NAME
  put FILE [NAME]      store a local FILE as NAME (default: its file name); prints the stored name
  get NAME [FILE]      write NAME to FILE (default: standard output)
  rm NAME...           delete files
  cleanup [--older-than AGE]  remove what interrupted writes left (temporary files/objects, S3 multipart
                       uploads of them) older than AGE (default 1d); needs s3:ListBucketMultipartUploads on S3
  collectstatic DIR... copy static files into the staticfiles alias (Django's collectstatic)
      --manifest, --delete, --dry-run, --concurrency N, --alias NAME   (node-storages collectstatic --help)
  --version            print the version of node-storages
`

/** What a command runs with. */
export interface CommandContext {
  env: Env
  out: NodeJS.WritableStream
  err: NodeJS.WritableStream
  /** The storage the environment configures, built on first call. */
  storage(): Storage
}

/** A command: runs with its arguments (after the command name) and resolves to the exit code. */
export type Command = (args: string[], ctx: CommandContext) => Promise<number>

const TARGET_OPTIONS = {
  config: { type: 'string' },
  alias: { type: 'string' },
  all: { type: 'boolean', default: false },
} as const

/** Runs `parseArgs` (`parse`), turning its errors into usage errors naming `command` and its options. */
function parsed<T>(command: string, options: object, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    const names = Object.keys(options).map((n) => `--${n}`)
    throw new UsageError(`${command}: ${(error as Error).message} (it takes ${names.join(', ')}).`)
  }
}

const DOCTOR_OPTIONS = { ...TARGET_OPTIONS, 'upload-method': { type: 'string', multiple: true }, origin: { type: 'string' } } as const
const POLICY_OPTIONS = { ...TARGET_OPTIONS, doctor: { type: 'boolean', default: false } } as const

/** `PUT`, `POST`, `PUT,POST` or `none` (repeatable) → the methods. */
function uploadMethods(values: string[] | undefined): ('PUT' | 'POST')[] | undefined {
  if (!values?.length) return undefined
  const methods = values.flatMap((v) => v.split(',')).map((v) => v.trim().toUpperCase())
  if (methods.includes('NONE')) return []
  const bad = methods.find((m) => m !== 'PUT' && m !== 'POST')
  if (bad) throw new UsageError(`doctor: --upload-method takes PUT, POST or none, not '${bad}'.`)
  return [...new Set(methods)] as ('PUT' | 'POST')[]
}

const need = (args: string[], n: number, what: string, command: string) => {
  if (args.length < n) throw new UsageError(`${command} needs ${what}.`)
}

/** Every command, by name. */
export const COMMANDS: Record<string, Command> = {
  async doctor(args, { env, out }) {
    const { values } = parsed('doctor', DOCTOR_OPTIONS, () => parseArgs({ args, options: DOCTOR_OPTIONS, strict: true }))
    const methods = uploadMethods(values['upload-method'])
    const targets = await targetsOf(values as TargetOptions, env)
    return runDoctor(targets, env, out, {
      ...(methods ? { uploadMethods: methods } : {}),
      ...(values.origin ? { origin: values.origin } : {}),
    })
  },
  async policy(args, { env, out, err }) {
    const { values } = parsed('policy', POLICY_OPTIONS, () => parseArgs({ args, options: POLICY_OPTIONS, strict: true }))
    const targets = await targetsOf(values as TargetOptions, env)
    const policies = []
    for (const target of targets) {
      const storage = target.build()
      if (targets.length > 1 && !isPolicyProvider(storage)) {
        err.write(`node-storages policy: alias '${target.alias}' (${String(storage)}) needs no IAM policy: left out\n`)
        continue
      }
      policies.push(policyFor(storage, { doctor: values.doctor }))
    }
    if (!policies.length) throw new UsageError('policy --all: no alias of the config module states an IAM policy (none is on S3).')
    out.write(`${JSON.stringify(policies.length === 1 ? policies[0] : mergePolicies(policies), null, 2)}\n`)
    return 0
  },
  async ls(args, { out, storage }) {
    for await (const entry of storage().list(args[0] ?? '', { recursive: true })) {
      out.write(`${String(entry.size).padStart(12)}  ${entry.lastModified.toISOString()}  ${entry.name}\n`)
    }
    return 0
  },
  async url(args, { out, storage }) {
    need(args, 1, 'a NAME', 'url')
    out.write(`${await storage().url(args[0]!)}\n`)
    return 0
  },
  async put(args, { out, storage }) {
    need(args, 1, 'a FILE', 'put')
    out.write(`${await storage().save(args[1] ?? basename(args[0]!), createReadStream(args[0]!))}\n`)
    return 0
  },
  async get(args, { out, storage }) {
    need(args, 1, 'a NAME', 'get')
    const source = await storage().open(args[0]!)
    await pipeline(source, args[1] ? createWriteStream(args[1]) : out)
    return 0
  },
  async rm(args, { storage }) {
    need(args, 1, 'at least one NAME', 'rm')
    await storage().deleteMany(args)
    return 0
  },
  async cleanup(args, { out, storage }) {
    return cleanupCommand(storage(), args, (line) => out.write(`${line}\n`))
  },
  async collectstatic(args, { env, out, err }) {
    return collectstaticCommand(args, env, { out, err })
  },
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(
  argv: string[],
  env: Env = process.env,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [name, ...args] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    out.write(USAGE)
    return name ? 0 : 2
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!command) throw new UsageError(`Unknown command '${name}'.`)
  let built: Storage | undefined
  return command(args, { env, out, err, storage: () => (built ??= createStorage(undefined, env)) })
}

/** Runs `main` for the process, printing errors without stack traces for known failures. */
export async function run(): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2))
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`node-storages: ${error.message}\n\n${USAGE}`)
      process.exitCode = 2
    } else if (isStorageError(error)) {
      process.stderr.write(`node-storages: ${error.name} (${error.code}): ${error.message}\n`)
      process.exitCode = 1
    } else {
      process.stderr.write(`node-storages: ${(error as Error)?.stack ?? String(error)}\n`)
      process.exitCode = 1
    }
  }
}
