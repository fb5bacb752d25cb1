/**
 * The WebSocket examples, run as a user runs them (with tsx): examples/ws-server.ts starts on
 * 127.0.0.1 with a free port, examples/ws-client.ts calls it and takes a subscription's ticks, and
 * SIGTERM stops the server after it has closed its connections.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')

const started: Array<ChildProcess> = []

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

const run = (example: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}) => {
  const child = spawn(process.execPath, [tsx, join('examples', example), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)))
  return { child, output: () => output, exited }
}

describe('examples: ws-server.ts, ws-client.ts against it, a graceful stop', () => {
  it('runs the client to the end and stops the server on SIGTERM', async () => {
    const server = run('ws-server.ts', [], { PORT: '0' })
    const url = await new Promise<string>((resolveUrl, reject) => {
      server.child.stdout?.on('data', () => {
        const found = /listening on (ws:\/\/127\.0\.0\.1:\d+\/rpc)/.exec(server.output())
        if (found !== null) resolveUrl(found[1])
      })
      server.child.on('exit', () => reject(new Error(`ws-server.ts exited before listening:\n${server.output()}`)))
    })
    const client = run('ws-client.ts', [url])
    expect(await client.exited, client.output()).toBe(0)
    const tick = (n: number) => `tick ${n} of sub-1 at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n`
    expect(client.output()).toMatch(
      new RegExp(
        '^server says hello \\(1 connected\\)\\n' +
          'subtract 42 - 23 -> 19\\n' +
          'subscribe every 1 ms -> Too fast \\(at least 10 ms\\)\\n' +
          'batch: subtract 5 - 3 -> 2\\n' +
          'batch: unsubscribe none -> false\\n' +
          'subscribe every 200 ms -> "sub-1"\\n' +
          `${tick(1)}${tick(2)}${tick(3)}` +
          'unsubscribe -> true\\n' +
          'closed \\(1000\\)\\n$',
      ),
    )
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.output()).toMatch(/127\.0\.0\.1:\d+ connected: ws-client example\n127\.0\.0\.1:\d+ closed \(1000\)\nSIGTERM: closing\nclosed\n$/)
  })
})
