#!/usr/bin/env node
/**
 * The `fp-jsonrpc` command: see `cli.ts`.
 *
 * @since 0.1.0
 */
import { run } from './cli.js'

void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
