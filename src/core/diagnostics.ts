/** The checks `node-storages doctor` prints; a backend adds its own by implementing `diagnose()`. */

/** One line of the doctor's report: what was checked, and what is wrong and how to fix it. */
export interface Check {
  status: 'ok' | 'fail' | 'skip'
  name: string
  detail: string
}

/** A storage that adds its own checks to `doctor` (S3: credentials, bucket, region, ACLs, CORS). */
export interface Diagnosable {
  diagnose(): AsyncIterable<Check>
}
