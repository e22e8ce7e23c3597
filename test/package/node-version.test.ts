// .ci/run runs the tests again on Node 22 and 24 (binaries of the npm registry's `node` package)
// and sets EXPECT_NODE_MAJOR: this proves that the test workers, and the vitest process that
// starts the s3rver child with its own executable, really run on that version.
import { existsSync, realpathSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

describe('the Node version the tests run on', () => {
  it('is the one .ci/run asked for (EXPECT_NODE_MAJOR), in the worker and in the vitest process', () => {
    console.log(`test worker: node ${process.version} (${process.execPath})`)
    const expected = process.env.EXPECT_NODE_MAJOR
    expect(process.versions.node.split('.')[0]).toBe(expected ?? process.versions.node.split('.')[0])
    // The vitest process (this worker's parent) spawns s3rver with its own process.execPath.
    const parent = `/proc/${process.ppid}/exe`
    if (existsSync(parent)) expect(realpathSync(parent)).toBe(realpathSync(process.execPath))
  })
})
