import { describeStorage } from '../../src/testing/index.js'
import { InMemoryStorage } from '../../src/index.js'

describeStorage('InMemoryStorage', ({ fileOverwrite }) => new InMemoryStorage({ fileOverwrite, secret: 'suite-secret' }), {
  capabilities: { directories: true, times: true, signedUploads: true },
})
