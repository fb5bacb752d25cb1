/**
 * The HTTP examples, run as a user runs them (with tsx): each example server (serve, express, Hono, Koa, Fastify)
 * starts on 127.0.0.1 with a free port, examples/http-client.ts calls it, and SIGTERM stops it
 * gracefully. The same client answers the same way against all of them.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')

interface Running {
  readonly child: ChildProcess
  readonly url: Promise<string>
  readonly output: () => string
  readonly exited: Promise<number | null>
}

const started: Array<ChildProcess> = []

const start = (example: string): Running => {
  const child = spawn(process.execPath, [tsx, join('examples', example)], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  let output = ''
  const url = new Promise<string>((resolveUrl, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+\/rpc)/.exec(output)
      if (found !== null) resolveUrl(found[1])
    })
    child.on('exit', () => reject(new Error(`${example} exited before listening:\n${output}`)))
  })
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)))
  return { child, url, output: () => output, exited }
}

const runClient = (url: string): Promise<string> =>
  new Promise((resolveOut, reject) => {
    const child = spawn(process.execPath, [tsx, join('examples', 'http-client.ts'), url], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    started.push(child)
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')))
    child.on('exit', (code) => (code === 0 ? resolveOut(out) : reject(new Error(`the client exited with ${code}:\n${out}`))))
  })

const CLIENT_OUTPUT = `subtract 42 - 23 -> 19
whoami -> "ada"
divide 1 / 0 -> Division by zero (dividend 1)
log -> ok
batch: subtract 5 - 3 -> 2
batch: divide 9 / 3 -> 3
batch: log -> ok
sleep 300 ms, 50 ms allowed -> no answer within 50 ms
sleep 300 ms, aborted -> aborted: the user went away
`

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

describe('examples: a server, the client against it, a graceful stop', () => {
  const servers = ['http-server.ts', 'express.ts', 'hono.ts', 'koa.ts', 'fastify.ts'].map((example) => [example, start(example)] as const)

  it.concurrent.each(servers)('%s', async (_example, server) => {
    const url = await server.url
    expect(await runClient(url)).toBe(CLIENT_OUTPUT)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.output()).toContain('log: hello from the client\nlog: in a batch\n')
    expect(server.output()).toMatch(/SIGTERM: answering calls in flight, then closing\nclosed\n$/)
  })
})
