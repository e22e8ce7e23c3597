/** Option checks shared by the backends' constructors. */
import { ImproperlyConfigured } from './errors.js'

/** Throws `ImproperlyConfigured("Invalid setting 'x' for <Backend>")` for an unknown option. */
export function checkOptions(options: object, allowed: readonly string[], backendName: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ImproperlyConfigured(`Invalid setting '${key}' for ${backendName}. Valid settings: ${allowed.join(', ')}.`)
    }
  }
}

/** A permission mode: a number, or an octal string such as `'0o640'` / `'640'`. */
export function parseMode(value: number | string | undefined, option: string, backendName: string): number | undefined {
  if (value === undefined || value === null) return undefined
  const n = typeof value === 'number' ? value : Number.parseInt(String(value).replace(/^0o/i, ''), 8)
  if (!Number.isInteger(n) || n < 0 || n > 0o7777) {
    throw new ImproperlyConfigured(`${backendName} option '${option}' must be a permission mode such as 0o644, got ${String(value)}.`)
  }
  return n
}
