/**
 * The environment, and the one set of parsers that turn its strings into option values
 * (booleans, numbers, JSON, lists). Every option table (core/options.ts) and `createStorage()`
 * use these; a bad value throws `ImproperlyConfigured` naming the variable (and the option).
 * This is the only module of the library core that reads `process.env`.
 */
import { ImproperlyConfigured } from './errors.js'

/** An environment: `process.env` or any map of names to strings. */
export type Env = Record<string, string | undefined>

/** The process's environment: the default of `createStorage()` and of every `fromEnv()`. */
export function processEnv(): Env {
  return process.env
}

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

/** The variable's value, or undefined when unset or empty. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

/** The first of `names` with a non-empty value. */
export function firstEnv(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = envValue(env, name)
    if (value !== undefined) return value
  }
  return undefined
}

/** `true/1/yes/on` → true, `false/0/no/off` → false (any case, spaces trimmed), anything else undefined. */
export function booleanWord(raw: string): boolean | undefined {
  const v = raw.trim().toLowerCase()
  if (TRUE.has(v)) return true
  if (FALSE.has(v)) return false
  return undefined
}

/** The end of a message: ` (it sets <option>).` when the variable feeds an option, else `.`. */
function sets(option?: string): string {
  return option ? ` (it sets ${option}).` : '.'
}

/** Parses a boolean word (see `booleanWord`); another value throws naming `variable` and `option`. */
export function parseBoolean(raw: string, variable: string, option?: string): boolean {
  const value = booleanWord(raw)
  if (value === undefined) {
    throw new ImproperlyConfigured(
      `Environment variable ${variable}=${JSON.stringify(raw)} is not a boolean: use true or false${sets(option)}`,
    )
  }
  return value
}

/** Parses a finite number; another value throws naming `variable` and `option`. */
export function parseNumber(raw: string, variable: string, option?: string): number {
  const n = Number(raw.trim())
  if (raw.trim() === '' || !Number.isFinite(n)) {
    throw new ImproperlyConfigured(`Environment variable ${variable}=${JSON.stringify(raw)} is not a number${sets(option)}`)
  }
  return n
}

/** Parses JSON; invalid JSON throws naming `variable` and `option` (the value is not repeated: it may hold secrets). */
export function parseJson(raw: string, variable: string, option?: string): unknown {
  try {
    return JSON.parse(raw)
  } catch (error) {
    // V8's message quotes the text, which may hold credentials: keep only the position.
    const at = /at position \d+/.exec((error as Error).message)
    throw new ImproperlyConfigured(`Environment variable ${variable} is not valid JSON${at ? ` (${at[0]})` : ''}${sets(option)}`)
  }
}

/** Parses a list: comma-separated (spaces allowed), or a JSON array of strings when it starts with `[`. */
export function parseList(raw: string, variable: string, option?: string): string[] {
  if (raw.trim().startsWith('[')) {
    const parsed = parseJson(raw, variable, option)
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
      throw new ImproperlyConfigured(`Environment variable ${variable} must be a JSON array of strings${sets(option)}`)
    }
    return parsed
  }
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** A boolean variable (`true/1/yes/on`, `false/0/no/off`, any case); undefined when unset or empty. */
export function envBool(env: Env, name: string): boolean | undefined {
  const value = envValue(env, name)
  return value === undefined ? undefined : parseBoolean(value, name)
}

/** A numeric variable; undefined when unset or empty. */
export function envNumber(env: Env, name: string): number | undefined {
  const value = envValue(env, name)
  return value === undefined ? undefined : parseNumber(value, name)
}

/** A JSON variable; undefined when unset or empty. */
export function envJson(env: Env, name: string): unknown {
  const value = envValue(env, name)
  return value === undefined ? undefined : parseJson(value, name)
}

/** A list variable (see `parseList`); undefined when unset or empty. */
export function envList(env: Env, name: string): string[] | undefined {
  const value = envValue(env, name)
  return value === undefined ? undefined : parseList(value, name)
}
