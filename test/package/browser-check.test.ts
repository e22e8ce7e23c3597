// The decision of test/support/browser.ts: skip the browser test loudly on a machine without
// Chromium, fail under CI=true.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { browserOrSkip, isCi } from '../support/browser.js'

describe('browserOrSkip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-browser-'))
  const fake = join(dir, 'chromium')
  writeFileSync(fake, '#!/bin/sh\n')
  chmodSync(fake, 0o755)
  const notExecutable = join(dir, 'chromium.txt')
  writeFileSync(notExecutable, '')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('returns the first executable candidate', () => {
    expect(browserOrSkip({}, [join(dir, 'missing'), notExecutable, fake])).toEqual({ executablePath: fake })
  })

  it('prefers CHROMIUM_PATH, and skips when it is not an executable', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      expect(browserOrSkip({ CHROMIUM_PATH: fake }, [])).toEqual({ executablePath: fake })
      const check = browserOrSkip({ CHROMIUM_PATH: notExecutable }, [fake])
      expect(check.skip).toContain(`CHROMIUM_PATH=${notExecutable} is not an executable`)
    } finally {
      write.mockRestore()
    }
  })

  it('outside CI, skips with a loud notice that says how to enable the test', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const check = browserOrSkip({ CI: 'false' }, [join(dir, 'missing')])
      expect(check.executablePath).toBeUndefined()
      expect(check.skip).toMatch(/^SKIPPED the browser end-to-end test: no Chromium at .*apt-get install -y chromium.*CHROMIUM_PATH/)
      expect(String(write.mock.calls[0]?.[0])).toContain(check.skip!)
    } finally {
      write.mockRestore()
    }
  })

  it('under CI=true, throws instead of skipping', () => {
    expect(() => browserOrSkip({ CI: 'true' }, [join(dir, 'missing')])).toThrow(/mandatory under CI=true.*no Chromium at/)
    expect(browserOrSkip({ CI: 'true' }, [fake])).toEqual({ executablePath: fake })
  })

  it('reads CI the way CI services set it', () => {
    expect([isCi({ CI: 'true' }), isCi({ CI: '1' }), isCi({ CI: 'TRUE' }), isCi({ CI: 'false' }), isCi({ CI: '' }), isCi({})]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ])
  })
})
