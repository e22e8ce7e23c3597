// vitest globalSetup: CACHE_DIR points at a temporary directory for the whole run, so that
// collectStatic's hash cache (and any other CACHE_DIR-aware tool) never writes into the
// repository's node_modules; removed at the end.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Sets CACHE_DIR (inherited by the test processes) and returns the teardown. */
export default async function setup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'ns-test-cache-'))
  process.env.CACHE_DIR = dir
  return () => rm(dir, { recursive: true, force: true })
}
