/** The lines `node-storages doctor` prints; a backend adds its own by being `Diagnosable` (capabilities.ts). */

/** One line of the doctor's report: what was checked, and what is wrong and how to fix it. */
export interface Check {
  status: 'ok' | 'fail' | 'skip'
  name: string
  detail: string
}
