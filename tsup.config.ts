import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    cli: 'src/cli/index.ts',
    multer: 'src/adapters/multer/index.ts',
    http: 'src/adapters/http/index.ts',
    fetch: 'src/adapters/fetch/index.ts',
    fastify: 'src/adapters/fastify/index.ts',
    static: 'src/static/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // No source maps: the output is unminified and readable in a stack trace, and maps would more
  // than double the package (and point at src/, which is not shipped).
  sourcemap: false,
  // import.meta.url in the CommonJS build (the CLI's --version finds package.json through it).
  shims: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
  // The AWS SDK and vitest stay external: the SDK is imported lazily at run time, vitest is the
  // user's own test runner (node-storages/testing). multer, express, fastify and @fastify/multipart
  // belong to the user's app (optional peers; the Fastify plugin imports @fastify/multipart lazily):
  // they are never bundled.
  external: [/^@aws-sdk\//, 'mime-types', 'vitest', 'multer', 'express', 'fastify', '@fastify/multipart', '@fastify/busboy'],
})
