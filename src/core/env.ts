/** Parsing of environment variables into option values; a bad value names the variable. */
import { ImproperlyConfigured } from './errors.js'

/** An environment: `process.env` or any map of names to strings. */
export type Env = Record<string, string | undefined>

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

/** A boolean variable (`true/1/yes/on`, `false/0/no/off`, any case). */
export function envBool(env: Env, name: string): boolean | undefined {
  const value = envValue(env, name)
  if (value === undefined) return undefined
  const v = value.trim().toLowerCase()
  if (TRUE.has(v)) return true
  if (FALSE.has(v)) return false
  throw new ImproperlyConfigured(`Environment variable ${name}=${JSON.stringify(value)} is not a boolean: use true or false.`)
}

/** A numeric variable. */
export function envNumber(env: Env, name: string): number | undefined {
  const value = envValue(env, name)
  if (value === undefined) return undefined
  const n = Number(value.trim())
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new ImproperlyConfigured(`Environment variable ${name}=${JSON.stringify(value)} is not a number.`)
  }
  return n
}

/** A JSON variable. */
export function envJson(env: Env, name: string): unknown {
  const value = envValue(env, name)
  if (value === undefined) return undefined
  try {
    return JSON.parse(value)
  } catch (error) {
    throw new ImproperlyConfigured(`Environment variable ${name} is not valid JSON: ${(error as Error).message}`, { cause: error })
  }
}

/** A list variable: comma-separated (spaces allowed), or a JSON array when it starts with `[`. */
export function envList(env: Env, name: string): string[] | undefined {
  const value = envValue(env, name)
  if (value === undefined) return undefined
  if (value.trim().startsWith('[')) {
    const parsed = envJson(env, name)
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) {
      throw new ImproperlyConfigured(`Environment variable ${name} must be a JSON array of strings.`)
    }
    return parsed
  }
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}
