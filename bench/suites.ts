/**
 * The benchmarks `npm run bench` runs, in this order. Each module registers its benchmarks with
 * `register()` (bench/lib.ts); to add some (S3 transfers: uploads and downloads against s3rver),
 * write a module that does, and import it here.
 */
import './local.js'
import './syscalls.js'
import './cold-start.js'
import './signers.js'
import './static.js'
import './s3-download.js'
import './s3-upload.js'
import './listing.js'
