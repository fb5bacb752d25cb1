/**
 * A child process for test/hostile/bad-input.test.ts: serves the hostile test methods on its stdin
 * and stdout, in the framing named by its first argument (`ndjson` or `content-length`). It logs
 * nothing (stdout is the wire) and exits once stdin ends.
 */
import { Framing, serveStdio } from '../../src/stream/index.js'
import { dispatcher } from './methods.js'

const framing = process.argv[2] === 'content-length' ? Framing.contentLength : Framing.ndjson
serveStdio({ framing, dispatcher })
