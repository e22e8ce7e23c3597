/**
 * The options of `InMemoryStorage`, declared once: the constructor checks them, `fromEnv()`
 * fills them from `MEDIA_URL` and `STORAGE_SECRET`, and docs/memory.md's option table is
 * rendered from this table (test/core/option-tables.test.ts).
 */
import { BASE_URL, FILE_OVERWRITE, LOCAL_QUERYSTRING_AUTH, QUERYSTRING_EXPIRE, SECRET, type OptionTable } from '../../core/options.js'
import type { InMemoryStorageOptions } from './storage.js'

/** Every option of `InMemoryStorage`, in the order of its docs table. */
export const MEMORY_OPTIONS: OptionTable<InMemoryStorageOptions> = {
  backend: 'InMemoryStorage',
  entries: [BASE_URL, FILE_OVERWRITE, LOCAL_QUERYSTRING_AUTH, QUERYSTRING_EXPIRE, SECRET],
}
