/**
 * examples/otel.ts, run as a user runs it (with tsx): it prints the spans of a traced call, a failing
 * call and a notification as one tree, each server span under the client span it answered.
 */
import { execFile } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')

describe('examples/otel.ts', () => {
  it('prints one trace: the caller, each client span, and its server span under it', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [tsx, join('examples', 'otel.ts')], { cwd: root, timeout: 30_000 })
    expect(stdout).toBe(
      [
        'checkout (internal)',
        '  divide (client)',
        '    divide (server)',
        '  divide (client) error 1',
        '    divide (server) error 1',
        '  log (client)',
        '    log (server)',
        'one trace: true',
        '',
      ].join('\n'),
    )
  }, 40_000)
})
