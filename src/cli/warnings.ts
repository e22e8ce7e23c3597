/**
 * Keeps the AWS SDK's NodeVersionSupportWarning (a 7-line notice that its future releases drop
 * Node 20, printed on first S3 use) out of the CLI's output, `doctor`'s included. Every other
 * process warning is printed as usual.
 */

/** The code (and message prefix: the SDK emits it without a code) of the one warning dropped. */
export const DROPPED_WARNING = 'NodeVersionSupportWarning'

/** Whether `process.emitWarning(warning, ...rest)` is the SDK's Node-version notice. */
export function isDroppedWarning(warning: unknown, rest: unknown[]): boolean {
  const message = typeof warning === 'string' ? warning : warning instanceof Error ? warning.message : ''
  const [typeOrOptions, code] = rest
  const options = typeof typeOrOptions === 'object' && typeOrOptions !== null ? (typeOrOptions as { type?: unknown; code?: unknown }) : {}
  const name = warning instanceof Error ? warning.name : undefined
  return (
    message.startsWith(`${DROPPED_WARNING}:`) ||
    name === DROPPED_WARNING ||
    typeOrOptions === DROPPED_WARNING ||
    options.type === DROPPED_WARNING ||
    code === DROPPED_WARNING ||
    options.code === DROPPED_WARNING
  )
}

/** Wraps `process.emitWarning` (once) so that the SDK's Node-version notice is not emitted. */
export function filterWarnings(target: NodeJS.Process = process): void {
  const original = target.emitWarning as (...args: unknown[]) => void
  if ((original as { filtered?: boolean }).filtered) return
  const filtered = function (this: unknown, warning: unknown, ...rest: unknown[]) {
    if (isDroppedWarning(warning, rest)) return
    original.call(target, warning, ...rest)
  }
  Object.defineProperty(filtered, 'filtered', { value: true })
  target.emitWarning = filtered as NodeJS.Process['emitWarning']
}
