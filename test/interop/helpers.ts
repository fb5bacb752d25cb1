/**
 * What the interop tests share: running the Python fixtures (always with Debian's /usr/bin/python3,
 * the interpreter that sees python3-jsonrpclib-pelix and python3-pylsp-jsonrpc), starting and
 * stopping the peers' servers, and an fp-jsonrpc HTTP server that records what it received.
 */
import * as E from 'fp-ts/lib/Either.js'
import { execFile, spawn } from 'node:child_process'
import type { IncomingMessage } from 'node:http'
import { fileURLToPath } from 'node:url'
import { Dispatch, type Registry } from '../../src/index.js'
import { serve, type Server } from '../../src/http/index.js'

/** Debian's interpreter: the `python3` on PATH may be another one, which does not see the packages. */
export const PYTHON = '/usr/bin/python3'

export const root = fileURLToPath(new URL('../../', import.meta.url))

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

/** tsx's command line, to run a .ts fixture with node. */
export const tsxCli = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url))

/**
 * Runs a Python fixture to its end and gives its stdout, read as one JSON value. A non-zero exit,
 * or output that is not JSON, fails with the fixture's stderr in the message.
 */
export const runPython = (script: string, args: ReadonlyArray<string>, timeoutMs = 20_000): Promise<unknown> =>
  new Promise((resolve, reject) => {
    execFile(PYTHON, [fixture(script), ...args], { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\nstderr:\n${stderr}`))
      try {
        resolve(JSON.parse(stdout) as unknown)
      } catch {
        reject(new Error(`${script} ${args.join(' ')} printed no JSON:\n${stdout}\nstderr:\n${stderr}`))
      }
    })
  })

/** A peer's server running in a child process. */
export interface ChildServer {
  readonly url: string
  readonly port: number
  readonly stderr: () => string
  /** Ends the child's stdin (the fixtures exit when it ends), and kills it if it is still there 2 s later. */
  readonly stop: () => Promise<void>
}

/**
 * Starts a server fixture that listens on 127.0.0.1 and prints `{"port": N}` as its first line on
 * stdout, and resolves once it has.
 */
export const startChildServer = (command: string, args: ReadonlyArray<string>, path = '/'): Promise<ChildServer> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let started = false
    const exited = new Promise<void>((done) => child.once('exit', () => done()))
    const timer = setTimeout(() => {
      child.kill()
      reject(new Error(`${args.join(' ')} did not print its port within 15 s\nstderr:\n${stderr}`))
    }, 15_000)
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    child.once('error', (cause) => {
      clearTimeout(timer)
      reject(cause)
    })
    child.once('exit', (code, signal) => {
      if (started) return
      clearTimeout(timer)
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before printing its port\nstderr:\n${stderr}`))
    })
    child.stdout.on('data', (chunk: Buffer) => {
      if (started) return
      stdout += chunk.toString('utf8')
      const newline = stdout.indexOf('\n')
      if (newline === -1) return
      started = true
      clearTimeout(timer)
      const { port } = JSON.parse(stdout.slice(0, newline)) as { port: number }
      resolve({
        url: `http://127.0.0.1:${port}${path}`,
        port,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return
          child.stdin.end()
          const kill = setTimeout(() => child.kill(), 2_000)
          await exited
          clearTimeout(kill)
        },
      })
    })
  })

/** What an fp-jsonrpc HTTP server under test received, message by message. */
export interface Received {
  /** The request bodies, as sent. */
  readonly bodies: Array<string>
  /** The `Content-Type` and `User-Agent` headers of each request that reached the dispatcher. */
  readonly headers: Array<{ readonly contentType: string | undefined; readonly userAgent: string | undefined }>
}

/**
 * Serves `registry` with fp-jsonrpc's `serve` on 127.0.0.1, a free port, recording each body and
 * the headers of each request that reached the dispatcher; `version1` takes JSON-RPC 1.0 as well.
 */
export const serveRecording = async (
  registry: Registry.Registry<unknown>,
  options: { readonly notificationStatus?: 200 | 204; readonly version1?: boolean } = {},
): Promise<{ readonly server: Server; readonly received: Received }> => {
  const received: Received = { bodies: [], headers: [] }
  const { version1, ...serveOptions } = options
  const dispatcher = Dispatch.make(registry, {
    version1: version1 === true,
    deserialize: (input) => {
      received.bodies.push(input)
      return JSON.parse(input) as unknown
    },
  })
  const started = await serve({
    dispatcher,
    path: '/rpc',
    ...serveOptions,
    context: (req: IncomingMessage) => {
      received.headers.push({ contentType: req.headers['content-type'], userAgent: req.headers['user-agent'] })
      return undefined
    },
  })()
  if (E.isLeft(started)) throw new Error(`serve could not listen: ${String(started.left.cause)}`)
  return { server: started.right, received }
}

/** Waits until `check` holds, polling every 10 ms, for at most `ms`. */
export const eventually = async (check: () => boolean, ms = 5_000): Promise<void> => {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** The bodies received, parsed. */
export const parsedBodies = (received: Received): Array<unknown> => received.bodies.map((b) => JSON.parse(b) as unknown)

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/**
 * What jsonrpclib-pelix's ServerProxy raises for each call of the fixtures' `errors` script (either
 * version): a reserved code as `ProtocolError((code, message))`, any other as `AppError` with the
 * typed data; nothing of an exception.
 */
export const JSONRPCLIB_ERRORS = {
  refuse: { raised: 'ProtocolError', code: -32000, message: 'Refused' },
  divide: { raised: 'AppError', code: 1, message: 'Division by zero', data: { dividend: 1 } },
  nope: { raised: 'ProtocolError', code: -32601, message: 'Method not found' },
  invalid: { raised: 'ProtocolError', code: -32602, message: 'Invalid params' },
  missing: { raised: 'ProtocolError', code: -32602, message: 'Invalid params' },
  boom: { raised: 'ProtocolError', code: -32603, message: 'Internal error' },
} as const
