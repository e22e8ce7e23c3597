/**
 * node-storages/testing: the shared behaviour suite every backend runs, for vitest. A
 * third-party backend proves itself with one call:
 *
 * ```ts
 * import { describeStorage } from 'node-storages/testing'
 * describeStorage('MyStorage', ({ fileOverwrite }) => new MyStorage({ fileOverwrite }), { capabilities: { directories: false } })
 * ```
 * Each test gets a storage from the factory; after each test every file it holds is deleted.
 */
import { afterEach, beforeEach, describe } from 'vitest'
import type { Storage } from '../core/storage.js'
import { allNames, type StorageCapabilities, type StorageFactory, type SuiteContext } from './context.js'
import { writeTests } from './write-tests.js'
import { readTests } from './read-tests.js'
import { nameTests } from './name-tests.js'
import { manageTests } from './manage-tests.js'
import { signalTests } from './signal-tests.js'

export type { StorageCapabilities, StorageFactory } from './context.js'

/** Options of `describeStorage`. */
export interface DescribeStorageOptions {
  /** What the backend supports beyond the core contract. */
  capabilities?: StorageCapabilities
  /** Called after each test, after the files were deleted (close clients, remove temp dirs). */
  cleanup?: (storage: Storage) => void | Promise<void>
}

/** Registers the shared behaviour tests for the storage `factory` builds. */
export function describeStorage(name: string, factory: StorageFactory, options: DescribeStorageOptions = {}): void {
  describe(`${name} (shared behaviour suite)`, () => {
    let current: Storage | undefined
    let overwriting: Storage | undefined
    const ctx: SuiteContext = {
      storage: () => {
        if (!current) throw new Error('describeStorage: no storage yet (the factory runs in beforeEach).')
        return current
      },
      overwriting: async () => (overwriting ??= await factory({ fileOverwrite: true })),
      capabilities: options.capabilities ?? {},
    }
    beforeEach(async () => {
      current = await factory({ fileOverwrite: false })
    })
    afterEach(async () => {
      const storages = [current, overwriting].filter((s): s is Storage => s !== undefined)
      current = undefined
      overwriting = undefined
      for (const storage of storages) {
        await storage.deleteMany(await allNames(storage))
        await options.cleanup?.(storage)
      }
    })
    describe('writing', () => writeTests(ctx))
    describe('reading', () => readTests(ctx))
    describe('names', () => nameTests(ctx))
    describe('managing files', () => manageTests(ctx))
    describe('cancellation and error status', () => signalTests(ctx))
  })
}
