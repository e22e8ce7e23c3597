import { describe, expect, it } from 'vitest'
import { cleanName, InMemoryStorage, safeJoin, SuspiciousFileOperation, type NameLimits } from '../../src/index.js'

class Exposed extends InMemoryStorage {
  resolve(name: string): string {
    return this.resolveName(name)
  }
}

const BYTE_LIMIT: NameLimits = { prefix: '', maxKeyBytes: 24, limitName: 'the 24-byte limit' }

class ByteLimited extends InMemoryStorage {
  protected override get nameLimits(): NameLimits {
    return BYTE_LIMIT
  }
}

/** Holds names as if other writes were in flight, through the base class's reservation hook. */
class Reserving extends InMemoryStorage {
  readonly reserved = new Set<string>()
  protected override isNameReserved(resolved: string): boolean {
    return this.reserved.has(resolved)
  }
}

describe('the Storage base class', () => {
  it('the fast path of name resolution agrees with cleanName + safeJoin on every name it accepts', () => {
    const storage = new Exposed()
    const parts = ['a', 'b.txt', '.', '..', '', '...', '.x', 'x.', 'ü', ' ', '\\', 'c d']
    let checked = 0
    for (const p1 of parts)
      for (const p2 of parts)
        for (const p3 of parts)
          for (const sep of ['/', '//', '\\']) {
            const name = [p1, p2, p3].join(sep)
            let slow: string | Error
            try {
              const cleaned = cleanName(name)
              slow = cleaned.startsWith('/') ? new Error('absolute') : safeJoin('', cleaned)
            } catch (e) {
              slow = e as Error
            }
            let fast: string | Error
            try {
              fast = storage.resolve(name)
            } catch (e) {
              fast = e as Error
            }
            if (slow instanceof Error) expect(fast, JSON.stringify(name)).toBeInstanceOf(SuspiciousFileOperation)
            else expect(fast, JSON.stringify(name)).toBe(slow)
            checked++
          }
    expect(checked).toBe(parts.length ** 3 * 3)
  })

  it('the available-name loop shortens the root to fit a backend byte limit', async () => {
    const storage = new ByteLimited()
    const first = await storage.save('dir/ééééé.txt', 'one') // 18 bytes
    expect(first).toBe('dir/ééééé.txt')
    const second = await storage.save('dir/ééééé.txt', 'two')
    expect(Buffer.byteLength(second)).toBeLessThanOrEqual(24)
    expect(second).toMatch(/^dir\/é*_[A-Za-z0-9]{7}\.txt$/)
    await expect(storage.save('dir/a-name-that-is-far-too-long.txt', 'x')).rejects.toThrow(/24-byte limit/)
  })

  it('a save refused for its name reads nothing from the content stream', async () => {
    let pulled = 0
    async function* body() {
      pulled++
      yield Buffer.from('x')
    }
    await expect(new InMemoryStorage().save('../x', body())).rejects.toBeInstanceOf(SuspiciousFileOperation)
    expect(pulled).toBe(0)
  })

  it('the available-name loop skips a name the backend reserves, though nothing is stored under it', async () => {
    const storage = new Reserving()
    storage.reserved.add('dir/held.txt')
    const name = await storage.save('dir/held.txt', 'x')
    expect(name).toMatch(/^dir\/held_[A-Za-z0-9]{7}\.txt$/)
    expect(await storage.exists('dir/held.txt')).toBe(false)
  })

  it('a key over the backend byte limit is refused before any I/O, naming the limit', async () => {
    const storage = new ByteLimited()
    await expect(storage.exists('x'.repeat(25))).rejects.toThrow(/over the 24-byte limit/)
    await expect(storage.url('x'.repeat(25))).rejects.toBeInstanceOf(SuspiciousFileOperation)
  })
})
