import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // global.gc() lets the memory test start its RSS measurement from a collected heap.
    execArgv: ['--expose-gc'],
    globalSetup: ['test/support/s3-global-setup.ts', 'test/support/cache-dir-setup.ts'],
    setupFiles: ['test/support/loopback-only.ts'],
  },
})
