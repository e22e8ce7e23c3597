import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    cli: 'src/cli/index.ts',
    multer: 'src/adapters/multer/index.ts',
    http: 'src/adapters/http/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  // The AWS SDK and vitest stay external: the SDK is imported lazily at run time, vitest is the
  // user's own test runner (node-storages/testing). multer and express belong to the user's app:
  // the adapters never import them, and these entries keep them out of the bundle if one ever does.
  external: [/^@aws-sdk\//, 'mime-types', 'vitest', 'multer', 'express'],
})
