/**
 * Option kinds: each pairs the environment parser of core/env.ts that reads the option from a
 * variable with the check of a value given in code. Messages name the option (and its
 * variables); they never repeat a value that could be a secret.
 */
import { ImproperlyConfigured } from './errors.js'
import { parseBoolean, parseJson, parseList, parseNumber } from './env.js'
import type { OptionParser } from './options.js'

const bad = (message: string) => new ImproperlyConfigured(message)

/** An option kind from a check and an environment parse (default: the string as it is). */
export function optionKind<T>(
  check: (value: unknown, label: string) => T,
  fromEnv: (raw: string, variable: string, option: string) => unknown = (raw) => raw,
  isUnset?: (value: unknown) => boolean,
): OptionParser<T> {
  return isUnset ? { check, fromEnv, isUnset } : { check, fromEnv }
}

function checkString(value: unknown, label: string): string {
  if (typeof value !== 'string') throw bad(`${label} must be a string, got ${typeof value}.`)
  return value
}

/** A string. */
export const stringOption: OptionParser<string> = optionKind(checkString)

/** A string where `''` counts as not set (credentials: an empty variable or option falls through). */
export const nonEmptyStringOption: OptionParser<string> = optionKind(
  checkString,
  undefined,
  (v) => v === undefined || v === null || v === '',
)

/** `true` or `false`; in the environment `true/1/yes/on` or `false/0/no/off`, any case. */
export const booleanOption: OptionParser<boolean> = optionKind((value, label) => {
  if (typeof value !== 'boolean') throw bad(`${label} must be true or false, got ${JSON.stringify(value)}.`)
  return value
}, parseBoolean)

/** A number >= 0 (bytes, say). */
export const sizeOption: OptionParser<number> = optionKind((value, label) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw bad(`${label} must be a number of bytes >= 0, got ${String(value)}.`)
  return value
}, parseNumber)

/** A whole number of seconds >= 0 (the lifetime of signed URLs). */
export const secondsOption: OptionParser<number> = optionKind((value, label) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw bad(`${label} must be a whole number of seconds >= 0, got ${String(value)}.`)
  }
  return value
}, parseNumber)

/** A plain object; JSON in the environment. `example` ends the message, e.g. `{"CacheControl": "max-age=86400"}`. */
export function objectOption<T extends object = Record<string, unknown>>(example: string): OptionParser<T> {
  return optionKind((value, label) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${label} must be an object, e.g. ${example}.`)
    return value as T
  }, parseJson)
}

/** An array of strings; in the environment comma-separated or a JSON array. `what` names the items in messages. */
export function stringListOption(what: string, example: string): OptionParser<readonly string[]> {
  return optionKind((value, label) => {
    if (!Array.isArray(value) || !value.every((t) => typeof t === 'string'))
      throw bad(`${label} must be an array of ${what}, e.g. ${example}.`)
    return value
  }, parseList)
}

/** One of `values` (strings). */
export function oneOfOption<T extends string>(values: readonly T[]): OptionParser<T> {
  const list = values.map((v) => `'${v}'`)
  const words = list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list.at(-1)}` : list[0]
  return optionKind((value, label) => {
    if (typeof value !== 'string' || !values.includes(value as T)) throw bad(`${label} must be ${words}, got ${JSON.stringify(value)}.`)
    return value as T
  })
}

/** An option that is refused whatever its value, with `message` saying what to do instead. */
export function refusedOption(message: string): OptionParser<never> {
  return optionKind(
    () => {
      throw bad(message)
    },
    () => {
      throw bad(message)
    },
  )
}

/** Any value, unchecked (an object the option's own code checks, such as a ready client). */
export function anyOption<T>(check: (value: unknown, label: string) => T = (v) => v as T): OptionParser<T> {
  return optionKind(check, () => {
    throw bad('This option cannot be set from the environment.')
  })
}
