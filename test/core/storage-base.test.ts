import { describe, expect, it } from 'vitest'
import { cleanName, InMemoryStorage, safeJoin, SuspiciousFileOperation } from '../../src/index.js'

class Exposed extends InMemoryStorage {
  resolve(name: string): string {
    return this.resolveName(name)
  }
}

class ByteLimited extends InMemoryStorage {
  protected override maxNameBytes(): number {
    return 24
  }
  protected override checkResolvedName(resolved: string, given: string): void {
    if (Buffer.byteLength(resolved) > 24) throw new SuspiciousFileOperation(`'${given}' is over the 24-byte limit`)
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
})
