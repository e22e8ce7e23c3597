import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FileSystemStorage, InMemoryStorage, type Storage } from '../../src/index.js'
import { destroyAfterEnd } from '../../src/testing/context.js'

const dir = mkdtempSync(join(tmpdir(), 'ns-ws-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.each<[string, () => Storage]>([
  ['FileSystemStorage', () => new FileSystemStorage({ location: dir })],
  ['InMemoryStorage', () => new InMemoryStorage()],
])('%s write streams', (_label, make) => {
  it('destroyed at any moment after end(): the file exists exactly when the stream finished', async () => {
    const storage = make()
    for (const delay of [0, 1, 2, 5, 10]) {
      for (let i = 0; i < 5; i++) {
        const { finished, exists } = await destroyAfterEnd(storage, `late-${delay}-${i}.txt`, delay)
        expect(exists, `delay ${delay}`).toBe(finished)
      }
    }
  })
})
