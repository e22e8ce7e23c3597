/**
 * The `node-storages` command: file operations on the storage the environment configures
 * (the same rules as `createStorage()`), and `doctor` to check that configuration end to end.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { basename } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createStorage } from '../create.js'
import { isStorageError } from '../core/errors.js'
import type { Storage } from '../core/storage.js'
import { runDoctor } from './doctor.js'
import { policyFor } from './policy.js'

const USAGE = `Usage: node-storages <command> [arguments]

Configured from the environment like createStorage(): STORAGE_BACKEND, USE_S3_STORAGE,
MEDIA_ROOT/MEDIA_URL, AWS_STORAGE_BUCKET_NAME and the other AWS_* settings.

Commands:
  doctor               check the configuration end to end; non-zero exit on a failure
  policy [--doctor]    print the least-privilege IAM policy for the bucket and location (S3);
                       --doctor adds the bucket-setting reads doctor makes
  ls [PREFIX]          list files under PREFIX (recursive)
  url NAME             print the URL of NAME
  put FILE [NAME]      store a local FILE as NAME (default: its file name); prints the stored name
  get NAME [FILE]      write NAME to FILE (default: standard output)
  rm NAME...           delete files
`

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const [command, ...args] = argv
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    out.write(USAGE)
    return command ? 0 : 2
  }
  const need = (n: number, what: string) => {
    if (args.length < n) throw new UsageError(`${command} needs ${what}.`)
  }
  const storage = (): Storage => createStorage(undefined, env)
  switch (command) {
    case 'doctor':
      return runDoctor(storage(), env, out)
    case 'policy': {
      const unknown = args.find((a) => a !== '--doctor')
      if (unknown !== undefined) throw new UsageError(`policy takes no argument but --doctor, not '${unknown}'.`)
      out.write(`${JSON.stringify(policyFor(storage(), { doctor: args.includes('--doctor') }), null, 2)}\n`)
      return 0
    }
    case 'ls': {
      for await (const entry of storage().list(args[0] ?? '', { recursive: true })) {
        out.write(`${String(entry.size).padStart(12)}  ${entry.lastModified.toISOString()}  ${entry.name}\n`)
      }
      return 0
    }
    case 'url':
      need(1, 'a NAME')
      out.write((await storage().url(args[0]!)) + '\n')
      return 0
    case 'put': {
      need(1, 'a FILE')
      const name = await storage().save(args[1] ?? basename(args[0]!), createReadStream(args[0]!))
      out.write(name + '\n')
      return 0
    }
    case 'get': {
      need(1, 'a NAME')
      const source = await storage().open(args[0]!)
      await pipeline(source, args[1] ? createWriteStream(args[1]) : out)
      return 0
    }
    case 'rm':
      need(1, 'at least one NAME')
      await storage().deleteMany(args)
      return 0
    default:
      throw new UsageError(`Unknown command '${command}'.`)
  }
}

class UsageError extends Error {}

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
