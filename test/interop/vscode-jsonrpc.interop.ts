/**
 * fp-jsonrpc and vscode-jsonrpc 10.0.0 (npm; the JSON-RPC layer of VS Code's language clients and
 * servers) over real `Content-Length` streams, both ways round, each over TCP on 127.0.0.1 and over
 * a child process's stdio:
 * - vscode-jsonrpc's client (`createMessageConnection(new StreamMessageReader(r), new
 *   StreamMessageWriter(w))`, in this process) calls fp-jsonrpc's `listen` over a socket, and
 *   fp-jsonrpc's `serveStdio` in a child (fixtures/vscode-stdio-server.ts) over its stdio;
 * - fp-jsonrpc's client calls a vscode-jsonrpc server: one on a `net` server in this process with
 *   `connect`, and one serving its own stdio in a child (fixtures/vscode-peer.ts) with `spawn`.
 * Each side also serves the other on the same connection (the server calls its client back).
 *
 * Above all `$/cancelRequest`, LSP's cancellation, both ways (issue #8): vscode-jsonrpc's client
 * cancels its CancellationToken while our handler waits on `control.signal`, and fp-jsonrpc's
 * client aborts a call (its `signal`, its `timeoutMs`) while vscode-jsonrpc's handler awaits its
 * token. Both sides' methods are in fixtures/vscode-methods.ts.
 *
 * What vscode-jsonrpc does, read from its source (lib/common/connection.js) and pinned here:
 * requests are numbered 0, 1, 2, ...; a CancellationToken cancelled while its request runs sends
 * `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":<id>}}` and the request settles with
 * whatever the server answers; a server handler gets its token cancelled on `$/cancelRequest`, and
 * may still answer (vscode-languageserver answers `-32800`). It has no API to send a batch, and a
 * JSON array it reads is neither a request, a notification nor a response: its logger gets an error
 * and nothing is answered.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { spawn as spawnChild, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import * as net from 'node:net'
import type { Readable, Writable } from 'node:stream'
import {
  CancellationTokenSource,
  createMessageConnection,
  type MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Client, Dispatch } from '../../src/index.js'
import { connect, Framing, listen, spawn } from '../../src/stream/index.js'
import * as Methods from './fixtures/methods.js'
import {
  Cancellation,
  loggerTo,
  makeOurMethods,
  RecordingReader,
  serveVscode,
  SlowDouble,
  Unusual,
  Wait,
  type WaitRecord,
  Waits,
} from './fixtures/vscode-methods.js'
import { eventually, fixture, root, tsxCli } from './helpers.js'

// -------------------------------------------------------------------------------------
// helpers
// -------------------------------------------------------------------------------------

type Json = Record<string, unknown>

/**
 * Reads the `Content-Length` frames that go by on `readable` (beside whoever else reads it), each
 * parsed: what one side really wrote, answer by answer.
 */
const tap = (readable: Readable): Array<unknown> => {
  const messages: Array<unknown> = []
  let buffer = Buffer.alloc(0)
  readable.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n')
      if (end === -1) return
      const length = Number(/content-length:\s*(\d+)/i.exec(buffer.subarray(0, end).toString('latin1'))?.[1])
      if (!Number.isInteger(length)) throw new Error(`tap: no Content-Length in ${JSON.stringify(buffer.subarray(0, end).toString('latin1'))}`)
      if (buffer.length < end + 4 + length) return
      messages.push(JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString('utf8')))
      buffer = buffer.subarray(end + 4 + length)
    }
  })
  return messages
}

/** How a vscode-jsonrpc request settled, as plain data. */
const settled = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (value) => ({ resolved: value }),
    (e: unknown) => (e instanceof ResponseError ? { code: e.code, message: e.message, data: e.data as unknown } : { other: String(e) }),
  )

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Starts a child with node and tsx on a fixture, its stderr collected. */
const startChild = (script: string): { readonly child: ChildProcessWithoutNullStreams; readonly stderr: () => string } => {
  const child = spawnChild(process.execPath, [tsxCli, fixture(script)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  return { child, stderr: () => stderr }
}

/** Waits for a child to exit, killing it if it is still there after `ms`. */
const exitOf = async (child: ChildProcessWithoutNullStreams, ms = 3_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode }
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const kill = setTimeout(() => child.kill(), ms)
  const [code, signal] = await exited
  clearTimeout(kill)
  return { code, signal }
}

// -------------------------------------------------------------------------------------
// vscode-jsonrpc's client -> fp-jsonrpc's server
// -------------------------------------------------------------------------------------

interface TheirClient {
  /** vscode-jsonrpc's connection, listening; it serves `whoami` ("vscode-jsonrpc") to our server. */
  readonly connection: MessageConnection
  /** Every message our server wrote, parsed. */
  readonly fromUs: Array<unknown>
  /** The tags of the `started` notifications our server sent. */
  readonly started: Array<string>
  /** vscode-jsonrpc's logger output. */
  readonly logs: Array<string>
  readonly stop: () => Promise<void>
}

const theirClientOn = (readable: Readable, writable: Writable, stop: () => Promise<void>): TheirClient => {
  const fromUs = tap(readable)
  const logs: Array<string> = []
  const started: Array<string> = []
  const connection = createMessageConnection(
    new StreamMessageReader(readable),
    new StreamMessageWriter(writable),
    loggerTo((line) => logs.push(line)),
  )
  connection.onRequest('whoami', () => 'vscode-jsonrpc')
  connection.onNotification('started', ({ tag }: { tag: string }) => void started.push(tag))
  connection.listen()
  return {
    connection,
    fromUs,
    started,
    logs,
    stop: async () => {
      connection.dispose()
      await stop()
    },
  }
}

const theirClientOverTcp = async (): Promise<TheirClient> => {
  const ours = makeOurMethods()
  const server = await listen({
    framing: Framing.contentLength,
    dispatcher: Dispatch.make(ours.registry),
    context: ({ client }) => ({ client }),
    timeoutMs: 10_000,
  })()
  if (E.isLeft(server)) throw new Error(`listen failed: ${String(server.left.cause)}`)
  const socket = net.connect({ host: '127.0.0.1', port: server.right.address.port })
  await once(socket, 'connect')
  const closed = once(socket, 'close')
  return theirClientOn(socket, socket, async () => {
    socket.end()
    await server.right.close()
    await closed
  })
}

let ourServerExit: { code: number | null; signal: NodeJS.Signals | null } | undefined
let ourServerStderr = (): string => ''

const theirClientOverStdio = async (): Promise<TheirClient> => {
  const { child, stderr } = startChild('vscode-stdio-server.ts')
  ourServerStderr = stderr
  await once(child, 'spawn')
  return theirClientOn(child.stdout, child.stdin, async () => {
    child.stdin.end()
    ourServerExit = await exitOf(child)
  })
}

describe.each([
  ['a TCP socket (listen)', theirClientOverTcp],
  ["a child process's stdio (serveStdio)", theirClientOverStdio],
])("vscode-jsonrpc's client calling fp-jsonrpc over %s", (_, start) => {
  let their: TheirClient
  let request: (method: string, ...args: Array<unknown>) => Promise<unknown>

  beforeAll(async () => {
    their = await start()
    request = (method, ...args) => their.connection.sendRequest(method, ...args)
  })
  afterAll(async () => {
    await their?.stop()
  })

  describe('calls', () => {
    it('by name and by position are answered; its ids are numbers from 0, and ours echo them', async () => {
      expect(await request('subtract', { minuend: 42, subtrahend: 23 })).toBe(19)
      expect(await request('subtract', 42, 23)).toBe(19)
      expect(await request('whoami')).toBe('fp-jsonrpc')
      expect(their.fromUs.slice(0, 3)).toEqual([
        { jsonrpc: '2.0', result: 19, id: 0 },
        { jsonrpc: '2.0', result: 19, id: 1 },
        { jsonrpc: '2.0', result: 'fp-jsonrpc', id: 2 },
      ])
    })

    it('carries non-ASCII text, its Content-Length counted in bytes both ways', async () => {
      expect(await request('echo', { text: 'é€😀\n"' })).toBe('é€😀\n"')
    })

    it('200 calls in flight at once (each answered after 10 ms) are each answered, matched by id', async () => {
      const ns = Array.from({ length: 200 }, (_, i) => i)
      const before = their.fromUs.length
      expect(await Promise.all(ns.map((n) => request('slowDouble', { n, ms: 10 })))).toEqual(ns.map((n) => 2 * n))
      const ids = their.fromUs.slice(before).map((m) => (m as Json)['id'])
      expect(new Set(ids).size).toBe(200)
    })
  })

  describe('errors', () => {
    it("a typed application error reaches it as a ResponseError with the error's code, message and data", async () => {
      expect(await settled(request('divide', { dividend: 1, divisor: 0 }))).toEqual({ code: 1, message: 'Division by zero', data: { dividend: 1 } })
    })

    it('an unknown method is -32601 Method not found', async () => {
      expect(await settled(request('nope'))).toEqual({ code: -32601, message: 'Method not found', data: undefined })
    })

    it('params that fail the contract are -32602 Invalid params, each named by key or by position', async () => {
      expect(await settled(request('subtract', { minuend: 'x' }))).toEqual({
        code: -32602,
        message: 'Invalid params',
        data: ['params.minuend: expected number, got "x"', 'params.subtrahend: expected number, got nothing'],
      })
      // One argument that is not an object is sent as an array of one: ["x"].
      expect(await settled(request('subtract', 'x'))).toEqual({
        code: -32602,
        message: 'Invalid params',
        data: ['params.0: expected number, got "x"', 'params.1: expected number, got nothing'],
      })
    })
  })

  describe('notifications', () => {
    it('its notification reaches our server, and is not answered', async () => {
      const before = their.fromUs.length
      await their.connection.sendNotification('log', { line: 'from vscode-jsonrpc' })
      expect(await request('logged')).toEqual(['from vscode-jsonrpc'])
      expect(their.fromUs.slice(before)).toEqual([{ jsonrpc: '2.0', result: ['from vscode-jsonrpc'], id: expect.any(Number) }])
    })
  })

  describe('calls back', () => {
    it('our server calls its client back while answering its call, on the same connection', async () => {
      expect(await request('askBack')).toBe('fp-jsonrpc asked vscode-jsonrpc')
    })
  })

  describe('$/cancelRequest from vscode-jsonrpc', () => {
    const waitRecord = async (tag: string): Promise<WaitRecord | undefined> => ((await request('waits')) as Array<WaitRecord>).find((r) => r.tag === tag)

    it("cancelling its token aborts our handler's control.signal, and the request settles at once with -32800, answered exactly once", async () => {
      const source = new CancellationTokenSource()
      const answer = settled(their.connection.sendRequest('wait', { tag: 'a1' }, source.token))
      await eventually(() => their.started.includes('a1'))
      const cancelledAt = Date.now()
      source.cancel()
      expect(await answer).toEqual({ code: -32800, message: 'Request cancelled', data: undefined })
      expect(Date.now() - cancelledAt).toBeLessThan(1_000)
      const record = await waitRecord('a1')
      expect(record).toEqual({ tag: 'a1', id: expect.any(Number), cancelled: true, ms: expect.any(Number) })
      expect(record!.ms).toBeLessThan(4_000)
      // The handler answers as soon as its signal aborts; that answer must never be written.
      await sleep(300)
      expect(their.fromUs.filter((m) => (m as Json)['id'] === record!.id)).toEqual([
        { jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: record!.id },
      ])
    })

    it('a token cancelled before the request is sent (request, then $/cancelRequest at once): one -32800 answer', async () => {
      const source = new CancellationTokenSource()
      source.cancel()
      const answer = settled(their.connection.sendRequest('wait', { tag: 'a2' }, source.token))
      expect(await answer).toEqual({ code: -32800, message: 'Request cancelled', data: undefined })
      const record = await waitRecord('a2')
      expect(record).toMatchObject({ tag: 'a2', cancelled: true })
      await sleep(300)
      expect(their.fromUs.filter((m) => (m as Json)['id'] === record!.id)).toEqual([
        { jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: record!.id },
      ])
    })

    it('cancelling one of two running requests leaves the other running, and the connection carries on', async () => {
      const one = new CancellationTokenSource()
      const two = new CancellationTokenSource()
      const first = settled(their.connection.sendRequest('wait', { tag: 'a3' }, one.token))
      const second = settled(their.connection.sendRequest('wait', { tag: 'a4' }, two.token))
      await eventually(() => their.started.includes('a3') && their.started.includes('a4'))
      one.cancel()
      expect(await first).toEqual({ code: -32800, message: 'Request cancelled', data: undefined })
      expect(await request('waits')).not.toContainEqual(expect.objectContaining({ tag: 'a4' }))
      two.cancel()
      expect(await second).toEqual({ code: -32800, message: 'Request cancelled', data: undefined })
      expect(await request('subtract', 2, 1)).toBe(1)
    })

    it('with 64 requests running (our default maxInFlight), cancelling them all answers each -32800 at once', async () => {
      const tags = Array.from({ length: 64 }, (_, i) => `full-${i}`)
      const sources = tags.map(() => new CancellationTokenSource())
      const answers = tags.map((tag, i) => settled(their.connection.sendRequest('wait', { tag }, sources[i].token)))
      await eventually(() => tags.every((tag) => their.started.includes(tag)))
      const cancelledAt = Date.now()
      const times = answers.map((a) => a.then(() => Date.now() - cancelledAt))
      for (const source of sources) source.cancel()
      const all = await Promise.all(answers)
      const settledWithin1s = (await Promise.all(times)).filter((ms) => ms < 1_000).length
      const byAnswer = all.reduce<Record<string, number>>((counts, a) => {
        const key = JSON.stringify(a)
        return { ...counts, [key]: (counts[key] ?? 0) + 1 }
      }, {})
      expect({ byAnswer, settledWithin1s }).toEqual({
        byAnswer: { [JSON.stringify({ code: -32800, message: 'Request cancelled' })]: 64 },
        settledWithin1s: 64,
      })
    })
  })
})

describe("fp-jsonrpc's serveStdio, after vscode-jsonrpc's client closed its stdin", () => {
  it('exited 0, having read nothing it could not frame', () => {
    expect(ourServerExit).toEqual({ code: 0, signal: null })
    expect(ourServerStderr()).toContain('vscode-stdio-server: stdin ended')
    expect(ourServerStderr()).not.toContain('framing error')
    expect(ourServerStderr()).not.toContain('defect')
  })
})

// -------------------------------------------------------------------------------------
// fp-jsonrpc's client -> vscode-jsonrpc's server
// -------------------------------------------------------------------------------------

interface TheirServer {
  /** Our side's connection: its client calls vscode-jsonrpc's server. */
  readonly client: Client.Client<unknown>
  /** What our side's dispatcher was notified: the `started` tags. */
  readonly started: Array<string>
  /** The answers our side's peer could match to no call (late answers). */
  readonly unmatched: Array<unknown>
  /** vscode-jsonrpc's logger output. */
  readonly logs: () => string
  readonly stop: () => Promise<void>
}

const ourConnectionOptions = () => {
  const ours = makeOurMethods()
  const unmatched: Array<unknown> = []
  return {
    ours,
    unmatched,
    options: {
      framing: Framing.contentLength,
      dispatcher: Dispatch.make(ours.registry),
      context: ({ client }: { readonly client: Methods.Context['client'] }) => ({ client }),
      onUnmatched: (message: unknown) => void unmatched.push(message),
      timeoutMs: 10_000,
    },
  }
}

const theirServerOverTcp = async (): Promise<TheirServer> => {
  const logs: Array<string> = []
  const sockets = new Set<net.Socket>()
  const connections = new Set<MessageConnection>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    const reader = new RecordingReader(socket)
    const connection = createMessageConnection(
      reader,
      new StreamMessageWriter(socket),
      loggerTo((line) => logs.push(line)),
    )
    connections.add(connection)
    serveVscode(connection, reader)
    connection.listen()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { ours, unmatched, options } = ourConnectionOptions()
  const connection = await connect({ ...options, port: (server.address() as net.AddressInfo).port })()
  if (E.isLeft(connection)) throw new Error(`connect failed: ${String(connection.left.cause)}`)
  return {
    client: connection.right.client,
    started: ours.started,
    unmatched,
    logs: () => logs.join('\n'),
    stop: async () => {
      await connection.right.close()
      for (const c of connections) c.dispose()
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

let theirServerExit: { code: number | null; signal: NodeJS.Signals | null } | undefined
let theirServerStderr = (): string => ''

const theirServerOverStdio = async (): Promise<TheirServer> => {
  const { ours, unmatched, options } = ourConnectionOptions()
  let stderr = ''
  theirServerStderr = () => stderr
  const child = await spawn(process.execPath, [tsxCli, fixture('vscode-peer.ts')], {
    ...options,
    cwd: root,
    stderr: (chunk) => {
      stderr += Buffer.from(chunk).toString('utf8')
    },
  })()
  if (E.isLeft(child)) throw new Error(`spawn failed: ${String(child.left.cause)}`)
  return {
    client: child.right.client,
    started: ours.started,
    unmatched,
    logs: () => stderr,
    stop: async () => {
      await child.right.close()
      const kill = setTimeout(() => child.right.child.kill(), 3_000)
      theirServerExit = await child.right.exited
      clearTimeout(kill)
    },
  }
}

describe.each([
  ['a TCP socket (connect)', theirServerOverTcp],
  ["a child process's stdio (spawn)", theirServerOverStdio],
])("fp-jsonrpc's client calling a vscode-jsonrpc server over %s", (_, start) => {
  let their: TheirServer
  let client: Client.Client<unknown>

  beforeAll(async () => {
    their = await start()
    client = their.client
  })
  afterAll(async () => {
    await their?.stop()
  })

  describe('calls', () => {
    it('by name and by position are answered; a call without params too', async () => {
      expect(await pipe(client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
      expect(await pipe(client, Client.call(Methods.SubtractByPosition, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
      expect(await pipe(client, Client.call(Methods.Whoami))()).toEqual(E.right('vscode-jsonrpc'))
    })

    it('carries non-ASCII text, its Content-Length counted in bytes both ways', async () => {
      expect(await pipe(client, Client.call(Methods.Echo, { text: 'é€😀\n"' }))()).toEqual(E.right('é€😀\n"'))
    })

    it('200 calls in flight at once (each answered after 10 ms) are each answered, matched by id', async () => {
      const ns = Array.from({ length: 200 }, (_, i) => i)
      const results = await Promise.all(ns.map((n) => pipe(client, Client.call(SlowDouble, { n, ms: 10 }))()))
      expect(results).toEqual(ns.map((n) => E.right(2 * n)))
    })
  })

  describe('errors', () => {
    it("a thrown ResponseError(1, ..., data) is the contract's typed application error", async () => {
      expect(await pipe(client, Client.call(Methods.Divide, { dividend: 1, divisor: 0 }))()).toEqual(
        E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } }),
      )
    })

    it('an unknown method is -32601 "Unhandled method <name>"', async () => {
      expect(await pipe(client, Client.call(Methods.Nope))()).toEqual(E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Unhandled method nope' } }))
    })
  })

  describe('notifications', () => {
    it('ours reach its server', async () => {
      expect(await pipe(client, Client.notify(Methods.Log, { line: 'from fp-jsonrpc' }))()).toEqual(E.right(undefined))
      expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right(['from fp-jsonrpc']))
    })
  })

  describe('calls back', () => {
    it('its server calls our client back while answering our call, on the same connection', async () => {
      expect(await pipe(client, Client.call(Methods.AskBack))()).toEqual(E.right('vscode-jsonrpc asked fp-jsonrpc'))
    })
  })

  describe('$/cancelRequest from fp-jsonrpc', () => {
    /** vscode-jsonrpc's record of the `wait` tagged `tag`, once it has one (within 3 s). */
    const theirRecord = async (tag: string): Promise<WaitRecord | undefined> => {
      const until = Date.now() + 3_000
      for (;;) {
        const waits = await pipe(client, Client.call(Waits))()
        if (E.isLeft(waits)) throw new Error(`waits failed: ${JSON.stringify(waits.left)}`)
        const record = waits.right.find((r) => r.tag === tag)
        if (record !== undefined || Date.now() > until) return record
        await sleep(20)
      }
    }

    /** The id our client gave the `wait` tagged `tag`, and whether vscode-jsonrpc read a `$/cancelRequest` for it. */
    const cancellationOf = async (tag: string): Promise<{ id: unknown; cancelled: boolean }> => {
      const seen = await pipe(client, Client.call(Cancellation))()
      if (E.isLeft(seen)) throw new Error(`cancellation failed: ${JSON.stringify(seen.left)}`)
      const id = seen.right.requests.find((r) => r.tag === tag)?.id
      return { id, cancelled: seen.right.cancels.includes(id) }
    }

    beforeEach(() => {
      their.unmatched.length = 0
    })

    it("aborting a call's signal fails it with Aborted, and cancels the token its handler awaits", async () => {
      const controller = new AbortController()
      const reason = new Error('the user moved on')
      const call = pipe(client, Client.call(Wait, { tag: 'b1' }, { signal: controller.signal }))()
      await eventually(() => their.started.includes('b1'))
      controller.abort(reason)
      expect(await call).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Aborted', reason } }))
      const record = await theirRecord('b1')
      expect(record).toMatchObject({ tag: 'b1', cancelled: true })
      expect(record!.ms).toBeLessThan(4_000)
      const { id, cancelled } = await cancellationOf('b1')
      expect({ id, cancelled }).toEqual({ id: expect.anything(), cancelled: true })
      // Its handler still answers (-32800, as vscode-languageserver does); our peer forgot the call,
      // so that late answer is unmatched.
      await eventually(() => their.unmatched.length > 0)
      expect(their.unmatched).toEqual([{ jsonrpc: '2.0', id, error: { code: -32800, message: 'cancelled by its token' } }])
    })

    it("a call's timeoutMs fails it with Timeout, and cancels the token its handler awaits", async () => {
      const call = pipe(client, Client.call(Wait, { tag: 'b2' }, { timeoutMs: 300 }))()
      expect(await call).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 300 } }))
      expect(their.started).toContain('b2')
      const record = await theirRecord('b2')
      expect(record).toMatchObject({ tag: 'b2', cancelled: true })
      expect(record!.ms).toBeLessThan(4_000)
      const { id, cancelled } = await cancellationOf('b2')
      expect({ id, cancelled }).toEqual({ id: expect.anything(), cancelled: true })
      await eventually(() => their.unmatched.length > 0)
      expect(their.unmatched).toEqual([{ jsonrpc: '2.0', id, error: { code: -32800, message: 'cancelled by its token' } }])
    })

    it('a call that was answered sends no $/cancelRequest when its signal aborts later', async () => {
      const cancels = async (): Promise<number> => {
        const seen = await pipe(client, Client.call(Cancellation))()
        if (E.isLeft(seen)) throw new Error(`cancellation failed: ${JSON.stringify(seen.left)}`)
        return seen.right.cancels.length
      }
      const before = await cancels()
      const controller = new AbortController()
      expect(await pipe(client, Client.call(Methods.Whoami, undefined, { signal: controller.signal, timeoutMs: 1_000 }))()).toEqual(E.right('vscode-jsonrpc'))
      controller.abort()
      await sleep(1_100)
      expect(await cancels()).toBe(before)
    })
  })

  describe('batches', () => {
    it('a JSON array is neither a request, a notification nor a response to it: it logs an error and answers nothing', async () => {
      expect(await pipe(client, Client.batch(Client.call(Methods.Whoami), Client.notify(Methods.Log, { line: 'in a batch' }), { timeoutMs: 300 }))()).toEqual(
        E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 300 } }),
      )
      // It read the array whole, as one message...
      const unusual = await pipe(client, Client.call(Unusual))()
      expect(unusual).toEqual(
        E.right([
          [
            { jsonrpc: '2.0', method: 'whoami', id: expect.anything() },
            { jsonrpc: '2.0', method: 'log', params: { line: 'in a batch' } },
          ],
        ]),
      )
      // ...logged it as an error, ran none of it, and carries on.
      await eventually(() => their.logs().includes('[error] Received message which is neither a response nor a notification message:'))
      expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right(['from fp-jsonrpc']))
      expect(await pipe(client, Client.call(Methods.Whoami))()).toEqual(E.right('vscode-jsonrpc'))
    })
  })
})

describe('the vscode-jsonrpc child, after fp-jsonrpc closed its stdin', () => {
  it('closed its connection and exited 0', () => {
    expect(theirServerExit).toEqual({ code: 0, signal: null })
    expect(theirServerStderr()).toContain('vscode-peer: connection closed')
  })
})
