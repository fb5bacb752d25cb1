#!/usr/bin/env node
/**
 * The `fp-jsonrpc` command: see `cli.ts`.
 *
 * @since 0.1.0
 */
import { run } from './cli.js'

// How long the process may linger once the command is done (output written, connection closing):
// a server that never answers the WebSocket closing handshake must not hold the command for the
// 30 s `ws` would wait for it.
const LINGER_MS = 500

const exit = (code: number): void => {
  process.exitCode = code
  setTimeout(() => process.exit(code), LINGER_MS).unref()
}

// `run` settles every failure it knows as a message and an exit code; anything else still ends in
// one line, never a stack.
run(process.argv.slice(2)).then(exit, () => {
  process.stderr.write('fp-jsonrpc: an unexpected failure\n')
  exit(1)
})
