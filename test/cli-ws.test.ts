/**
 * `fp-jsonrpc call` over `ws://`: against the package's own WebSocket server (on a path of its own
 * HTTP server) and against bare `ws` servers that misbehave (not JSON, answers to no request, a close
 * mid-call, a closing handshake never answered). Real servers on 127.0.0.1; the command run in
 * process (`run`) and as a program (`tsx src/bin.ts`), also where the `ws` package is not installed.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { Client, Dispatch, Method, Registry, RpcError } from '../src/index.js'
import { serve, type Server } from '../src/http/index.js'
import * as Ws from '../src/ws/index.js'
import { listening } from './fixtures/listening.js'
import { runCli } from './fixtures/cli.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Fail = Method.make({ name: 'fail' })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const Slow = Method.make({ name: 'slow', params: t.type({ ms: t.number }), result: t.number })
const HangUp = Method.make({ name: 'hangUp', params: t.type({ code: t.number }) })
const CutOff = Method.make({ name: 'cutOff' })
const Chatty = Method.make({ name: 'chatty', result: t.string })
const Progress = Method.make({ name: 'progress', params: t.type({ percent: t.number }) })
const Ask = Method.make({ name: 'ask', result: t.string })

const logged: Array<string> = []
const connections: Array<Ws.ServerConnection> = []

let http: Server
let ws: Ws.Server
let base: string
beforeAll(async () => {
  http = await listening(
    serve({
      dispatcher: Dispatch.make(
        pipe(
          Registry.empty,
          Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
        ),
      ),
    }),
  )
  const registry = pipe(
    Registry.empty,
    Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
    Registry.add(Fail, () => E.left(RpcError.make(7, 'no luck', { tries: 3 }))),
    Registry.add(Log, ({ line }) => void logged.push(line)),
    Registry.add(Slow, ({ ms }) => new Promise<number>((r) => setTimeout(() => r(ms), ms))),
    Registry.add(HangUp, ({ code }, connection: Ws.ServerConnection) => new Promise<void>(() => connection.socket.close(code, 'going away now'))),
    Registry.add(CutOff, (_p, connection: Ws.ServerConnection) => new Promise<void>(() => connection.socket.terminate())),
    // The server notifies the client while it works, then answers.
    Registry.add(Chatty, async (_p, connection: Ws.ServerConnection) => {
      await pipe(connection.client, Client.notify(Progress, { percent: 50 }))()
      return 'done'
    }),
    // The server calls the client, which serves no methods, then answers with what it got.
    Registry.add(Ask, async (_p, connection: Ws.ServerConnection) => {
      const answer = await pipe(connection.client, Client.call(Ask))()
      return E.isLeft(answer) && answer.left._tag === 'RpcError' ? `client said ${answer.left.error.code}` : 'unexpected'
    }),
  )
  ws = Ws.attachToHttp(http.server, Dispatch.make(registry), {
    path: '/ws',
    context: (_request, _socket, connection) => connection,
    onConnection: (connection) => void connections.push(connection),
  })
  base = `ws://127.0.0.1:${http.address.port}`
})
afterAll(async () => {
  await ws.close()
  await http.close()
})

/** A bare `ws` server on 127.0.0.1 that does what `onMessage` says with each message. */
const bareServer = async (onMessage: (socket: WebSocket, text: string) => void) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((done) => wss.once('listening', done))
  wss.on('connection', (socket) => socket.on('message', (data) => onMessage(socket, (data as Buffer).toString('utf8'))))
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((done) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => done())
      }),
  }
}

const idOf = (text: string): unknown => (JSON.parse(text) as { id: unknown }).id

const runProgram = (args: ReadonlyArray<string>, script = join(root, 'src', 'bin.ts'), cwd = root) =>
  new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((done) => {
    const started = Date.now()
    execFile(process.execPath, [tsx, script, ...args], { cwd }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : (error.code as number), stdout, stderr, ms: Date.now() - started }),
    )
  })

describe('fp-jsonrpc call over ws://', () => {
  it('prints the result, with params by position or by name', async () => {
    expect(await runCli('call', `${base}/ws`, 'subtract', '[42, 23]')).toEqual({ code: 0, out: '19', err: '' })
    expect(await runCli('call', `${base}/ws`, 'subtract', '{"minuend": 1, "subtrahend": 2}')).toEqual({ code: 0, out: '-1', err: '' })
  })

  it('closes the WebSocket with 1000 as soon as the answer is in', async () => {
    const before = connections.length
    expect(await runCli('call', `${base}/ws`, 'subtract', '[2, 1]')).toEqual({ code: 0, out: '1', err: '' })
    const connection = connections[before]
    // The client waited for the server's side of the closing handshake before it resolved.
    await expect(Promise.race([connection.closed, new Promise((r) => setTimeout(() => r('still open'), 200))])).resolves.toEqual({ code: 1000, reason: '' })
    expect(ws.connections()).not.toContain(connection)
  })

  it('prints an error response on stderr with exit code 1', async () => {
    expect(await runCli('call', `${base}/ws`, 'fail')).toEqual({ code: 1, out: '', err: 'error 7: no luck\n{\n  "tries": 3\n}' })
    expect(await runCli('call', `${base}/ws`, 'nope')).toEqual({ code: 1, out: '', err: 'error -32601: Method not found' })
  })

  it('sends a notification with --notify', async () => {
    expect(await runCli('call', `${base}/ws`, 'log', '{"line":"over ws"}', '--notify')).toEqual({ code: 0, out: '', err: '' })
    await expect.poll(() => logged).toContain('over ws')
  })

  it('waits on through the notifications and requests the server sends before its answer', async () => {
    expect(await runCli('call', `${base}/ws`, 'chatty')).toEqual({ code: 0, out: '"done"', err: '' })
    // The command line serves no methods: the server's call to it is answered Method not found.
    expect(await runCli('call', `${base}/ws`, 'ask')).toEqual({ code: 0, out: '"client said -32601"', err: '' })
  })

  it('says when no answer came within --timeout', async () => {
    expect(await runCli('call', `${base}/ws`, 'slow', '{"ms": 2000}', '--timeout', '150')).toEqual({ code: 1, out: '', err: 'no answer within 150 ms' })
  })

  it('says how the server closed the connection when it closes it mid-call', async () => {
    expect(await runCli('call', `${base}/ws`, 'hangUp', '{"code": 4000}')).toEqual({
      code: 1,
      out: '',
      err: 'the server closed the connection before the answer came (close code 4000: going away now)',
    })
    expect(await runCli('call', `${base}/ws`, 'cutOff')).toEqual({
      code: 1,
      out: '',
      err: 'the server closed the connection before the answer came (close code 1006)',
    })
  })

  it('says why no connection was opened: refused, unreachable, an upgrade answered with a status', async () => {
    expect(await runCli('call', 'ws://127.0.0.1:9/', 'subtract', '[1,2]')).toEqual({
      code: 1,
      out: '',
      err: 'cannot connect to ws://127.0.0.1:9/: connect ECONNREFUSED 127.0.0.1:9',
    })
    expect(await runCli('call', `${base}/elsewhere`, 'subtract', '[1,2]')).toEqual({
      code: 1,
      out: '',
      err: 'the server refused the WebSocket upgrade: HTTP 404',
    })
  })

  it('ends at once, saying what came, when the server sends something that is not an answer', async () => {
    const notJson = await bareServer((socket) => socket.send('<html>hello</html>'))
    const notResponse = await bareServer((socket) => socket.send('{"hello": "world"}'))
    const otherId = await bareServer((socket) => socket.send('{"jsonrpc":"2.0","result":1,"id":"not yours"}'))
    try {
      const started = Date.now()
      expect(await runCli('call', notJson.url, 'm', '[]')).toEqual({ code: 1, out: '', err: 'the server sent a message that is not JSON: <html>hello</html>' })
      expect(await runCli('call', notResponse.url, 'm', '[]')).toEqual({
        code: 1,
        out: '',
        err: 'the server sent a message that is not a JSON-RPC response: {"hello":"world"}',
      })
      expect(await runCli('call', otherId.url, 'm', '[]')).toEqual({
        code: 1,
        out: '',
        err: 'the server sent a response that answers no request: {"jsonrpc":"2.0","result":1,"id":"not yours"}',
      })
      // Each ended on what came, not on the 30 s timeout.
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      await Promise.all([notJson.close(), notResponse.close(), otherId.close()])
    }
  })

  it('says what a malformed answer lacks', async () => {
    const server = await bareServer((socket, text) => socket.send(JSON.stringify({ jsonrpc: '1.0', result: 1, id: idOf(text) })))
    try {
      const r = await runCli('call', server.url, 'm')
      expect(r.code).toBe(1)
      expect(r.err).toMatch(/^the answer is not a JSON-RPC response \(.+\): \{"jsonrpc":"1.0","result":1,"id":1\}$/)
    } finally {
      await server.close()
    }
  })
})

describe('fp-jsonrpc call over ws:// as a program', () => {
  it('prints the result and exits 0', async () => {
    const r = await runProgram(['call', `${base}/ws`, 'subtract', '[5,3]'])
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: '2\n', stderr: '' })
  })

  it('exits soon after the answer even when the server never answers the closing handshake', async () => {
    // The server answers, then reads no more: the client's close frame is never answered, and ws
    // would wait 30 s for it.
    const server = await bareServer((socket, text) => {
      socket.send(JSON.stringify({ jsonrpc: '2.0', result: 'bye', id: idOf(text) }))
      socket.pause()
    })
    try {
      const r = await runProgram(['call', server.url, 'm'])
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: '"bye"\n', stderr: '' })
      expect(r.ms).toBeLessThan(10_000)
    } finally {
      await server.close()
    }
  })

  it('says that ws:// needs the ws package where it is not installed, and still speaks HTTP', async () => {
    // A copy of the sources beside a node_modules that has fp-ts and io-ts but no ws.
    const dir = mkdtempSync(join(tmpdir(), 'fp-jsonrpc-cli-'))
    try {
      cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true })
      mkdirSync(join(dir, 'node_modules'))
      for (const name of ['fp-ts', 'io-ts']) symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name), 'dir')
      const script = join(dir, 'src', 'bin.ts')
      const missing = await runProgram(['call', `${base}/ws`, 'subtract', '[5,3]'], script, dir)
      expect({ code: missing.code, stdout: missing.stdout, stderr: missing.stderr }).toEqual({
        code: 1,
        stdout: '',
        stderr: 'ws:// and wss:// URLs need the ws package, which is not installed: npm install ws\n',
      })
      const overHttp = await runProgram(['call', http.url, 'subtract', '[5,3]'], script, dir)
      expect({ code: overHttp.code, stdout: overHttp.stdout, stderr: overHttp.stderr }).toEqual({ code: 0, stdout: '2\n', stderr: '' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
