import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    cli: 'src/cli/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  // The AWS SDK and vitest stay external: the SDK is imported lazily at run time, vitest is the
  // user's own test runner (node-storages/testing).
  external: [/^@aws-sdk\//, 'mime-types', 'vitest'],
})
