/**
 * Whether the browser end-to-end test can run. Outside CI a machine without Chromium skips it,
 * loudly, so that `npm test` passes on a fresh machine; under `CI=true` the browser is
 * mandatory and a missing one fails the run.
 */
import { accessSync, constants } from 'node:fs'

/** Where Chromium is looked for when `CHROMIUM_PATH` is unset (Debian, Ubuntu, Alpine, Fedora). */
export const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
  '/usr/bin/google-chrome',
]

/** How to get a browser, for the skip notice and the CI failure. */
export const HOW_TO_ENABLE =
  'install Chromium (Debian/Ubuntu: apt-get update && apt-get install -y chromium; .ci/run installs it) ' +
  'or point CHROMIUM_PATH at a Chromium or Chrome executable'

/** The outcome: a browser to launch, or why the test is skipped. */
export type BrowserCheck = { executablePath: string; skip?: undefined } | { executablePath?: undefined; skip: string }

/** Whether `env.CI` is set to a true value (`true`, `1`, `yes`, any case), as CI services do. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(true|1|yes)$/i.test(env.CI ?? '')
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The Chromium to drive: `CHROMIUM_PATH` when set (it must exist), else the first of
 * `CHROMIUM_CANDIDATES` that is executable. Without one it returns `{ skip }` with the reason
 * and prints a notice to stderr, or under CI throws.
 */
export function browserOrSkip(env: NodeJS.ProcessEnv = process.env, candidates: string[] = CHROMIUM_CANDIDATES): BrowserCheck {
  const wanted = env.CHROMIUM_PATH ? [env.CHROMIUM_PATH] : candidates
  const found = wanted.find(executable)
  if (found) return { executablePath: found }
  const reason = env.CHROMIUM_PATH ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable` : `no Chromium at ${candidates.join(', ')}`
  if (isCi(env)) throw new Error(`The browser end-to-end test is mandatory under CI=true, and ${reason}: ${HOW_TO_ENABLE}.`)
  const skip = `SKIPPED the browser end-to-end test: ${reason}. To run it, ${HOW_TO_ENABLE}.`
  process.stderr.write(`\n${'!'.repeat(100)}\n${skip}\n${'!'.repeat(100)}\n\n`)
  return { skip }
}
