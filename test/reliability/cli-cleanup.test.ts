// `node-storages cleanup`, as the function the CLI runs: exit codes, the age argument, the line it prints.
import { describe, expect, it } from 'vitest'
import { InMemoryStorage } from '../../src/backends/memory/storage.js'
import { cleanupCommand, parseAge } from '../../src/cli/cleanup.js'
import { StorageError } from '../../src/core/errors.js'

/** A memory storage whose cleanup() records its options and answers `answer`. */
function recording(answer: number | Error) {
  const calls: unknown[] = []
  const storage = new InMemoryStorage()
  storage.cleanup = async (options) => {
    calls.push(options)
    if (answer instanceof Error) throw answer
    return answer
  }
  return { storage, calls }
}

async function run(storage: InMemoryStorage, args: string[]) {
  const lines: string[] = []
  const code = await cleanupCommand(storage, args, (l) => lines.push(l))
  return { code, lines }
}

describe('node-storages cleanup', () => {
  it('removes leftovers older than a day by default and says how many', async () => {
    const { storage, calls } = recording(3)
    expect(await run(storage, [])).toEqual({
      code: 0,
      lines: ['InMemoryStorage(0 files): removed 3 leftovers of interrupted writes older than 1d.'],
    })
    expect(calls).toEqual([{ olderThan: 86_400_000 }])
  })

  it('takes --older-than in ms or with a unit', async () => {
    const { storage, calls } = recording(1)
    expect((await run(storage, ['--older-than', '2h'])).lines[0]).toMatch(/removed 1 leftover of .* older than 2h\.$/)
    await run(storage, ['--older-than=1500'])
    await run(storage, ['--older-than', '0'])
    expect(calls).toEqual([{ olderThan: 7_200_000 }, { olderThan: 1500 }, { olderThan: 0 }])
    expect([parseAge('90s'), parseAge('30m'), parseAge('2d'), parseAge('1.5h'), parseAge('-1'), parseAge('soon')]).toEqual([
      90_000,
      1_800_000,
      172_800_000,
      5_400_000,
      undefined,
      undefined,
    ])
  })

  it('exits 2 on a bad argument, 1 when the storage fails', async () => {
    const { storage } = recording(0)
    expect((await run(storage, ['--older-than', 'soon'])).code).toBe(2)
    expect((await run(storage, ['--older-than'])).code).toBe(2)
    expect((await run(storage, ['--force'])).code).toBe(2)
    const failing = recording(new StorageError('Unable to clean up: S3 failed.'))
    expect(await run(failing.storage, [])).toEqual({ code: 1, lines: ['cleanup: E_STORAGE: Unable to clean up: S3 failed.'] })
  })

  it('runs the real cleanup of a storage', async () => {
    expect((await run(new InMemoryStorage(), ['--older-than', '0'])).lines[0]).toMatch(/removed 0 leftovers/)
  })
})
