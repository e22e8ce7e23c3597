#!/usr/bin/env node
/** The `node-storages` executable: see ./main.ts for the commands. */
import { run } from './main.js'

void run()
