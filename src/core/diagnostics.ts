/** The lines `node-storages doctor` prints; a backend adds its own by being `Diagnosable` (capabilities.ts). */

/** One line of the doctor's report: what was checked, and what is wrong and how to fix it. */
export interface Check {
  /**
   * `ok`; `fail` (doctor exits 1): what is wrong, or what could not be verified, and the fix;
   * `skip`: does not apply or the server does not implement it; `note`: advice, not a failure.
   */
  status: 'ok' | 'fail' | 'skip' | 'note'
  name: string
  detail: string
  /** The checks after this line cannot run (no credentials, no bucket): doctor stops here, its round trip included. */
  stop?: boolean
}

/** What `node-storages doctor` tells a storage's `diagnose()`. */
export interface DiagnoseOptions {
  /** The environment the storage was configured from: checks tell settings taken from it from settings written in code. */
  env?: Record<string, string | undefined>
  /** The methods browsers upload with (`signedUploadUrl({ method })`), for the CORS check; `[]`: no browser uploads. */
  uploadMethods?: readonly ('PUT' | 'POST')[]
  /** The origin of the web page that uploads, e.g. `https://app.example.com`. */
  origin?: string
}
