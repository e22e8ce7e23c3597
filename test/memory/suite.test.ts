import { describe, expect, it } from 'vitest'
import { describeStorage } from '../../src/testing/index.js'
import { InMemoryStorage } from '../../src/index.js'

describeStorage('InMemoryStorage', ({ fileOverwrite }) => new InMemoryStorage({ fileOverwrite, secret: 'suite-secret' }), {
  capabilities: { directories: true, times: true, signedUploads: true },
})

describe('InMemoryStorage specifics', () => {
  it('read() returns a copy: changing it does not change the stored file', async () => {
    const storage = new InMemoryStorage()
    await storage.save('a.txt', 'abc')
    const bytes = await storage.read('a.txt')
    bytes[0] = 0x7a
    expect((await storage.read('a.txt')).toString()).toBe('abc')
  })
})
