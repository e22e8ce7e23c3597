#!/usr/bin/env node
/** The `node-storages` executable: `--version`, else the commands of ./main.ts. */
import { run } from './main.js'
import { packageVersion } from './version.js'
import { filterWarnings } from './warnings.js'

const [first] = process.argv.slice(2)
if (first === '--version' || first === '-v') {
  process.stdout.write(`${packageVersion()}\n`)
} else {
  filterWarnings()
  void run()
}
