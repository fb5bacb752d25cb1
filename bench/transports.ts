/**
 * Calls per second on ONE connection with 100 calls in flight, over WebSocket, TCP and no network:
 * fp-jsonrpc (both ends, and each end alone against a hand-written floor) against a floor per
 * transport and against rpc-websockets, jayson, json-rpc-2.0 and vscode-jsonrpc (issue #8, "Speed,
 * measured").
 *
 *   npm run bench:transports                            # defaults: about 3 minutes on 2 cores
 *   ROUNDS=2 ROUND_MS=300 npm run bench:transports      # a quick check that everything runs
 *
 * Environment (the short names are aliases of the long ones):
 *   BENCH_TRANSPORTS_ROUNDS, ROUNDS        timed rounds (default 10)
 *   BENCH_TRANSPORTS_ROUND_MS, ROUND_MS    ms one contender runs in a round (default 800)
 *   BENCH_TRANSPORTS_WARMUP_MS             ms of the untimed warm-up of each contender (default: ROUND_MS)
 *   BENCH_TRANSPORTS_IN_FLIGHT             calls in flight (default 100)
 *   BENCH_TRANSPORTS_GROUPS                which groups, comma-separated: ws, tcp, mem (default all)
 *   BENCH_TRANSPORTS_ONLY                  only these contender keys, comma-separated (a floor left
 *                                          out makes its group's ratios null): for profiling
 *
 * To profile one contender, run its group's child by itself:
 *   BENCH_TRANSPORTS_ONLY=ws node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/transports.ts --group ws
 *
 * Method. Each group runs in a child process of its own (this file with `--group <name>`), one after
 * the other, so that one group's code never shares a JIT or a heap with another's. In a child, both
 * ends of every contender (server and client) run in that one process and talk over 127.0.0.1 (no
 * other address is ever used); so a contender's calls/s measure the cost of both ends together. Each
 * contender has its own server and its own single connection, made once when the group starts,
 * checked with one call (`add(2, 3)` must give 5), warmed up for WARMUP_MS, and kept for all rounds.
 * A round runs every contender of the group once, for ROUND_MS each, one after the other; the
 * starting contender rotates each round, so slow drifts of a busy machine hit everyone alike. Only the
 * contender being timed has traffic; the others' connections sit idle.
 *
 * The load is a window, not rounds of Promise.all: IN_FLIGHT calls are started at once, and each time
 * one finishes a new one is started, so exactly IN_FLIGHT calls are in flight at every moment until
 * the round's time is up. Calls finished by then are counted (calls/s = that count over the elapsed
 * time); those still in flight are then awaited (not counted) before the next contender starts. Each
 * call is `add({ a, b })` with `a` the call's number and `b` 7, params by name, and EVERY answer is
 * checked to be `a + b`: a contender that answers wrongly, rejects, or stops answering for 10 s
 * fails the run, so a broken contender cannot look fast.
 *
 * A contender's number is the median over rounds of its per-round ratio: its calls/s over its
 * group's floor's calls/s in the same round (higher is better; 1 is the floor's speed).
 *
 * The floors are written here, with no checks: the server does JSON.parse -> a Map lookup -> the
 * call -> JSON.stringify, the client JSON.stringify -> send, and on an answer JSON.parse -> a Map of
 * pending ids -> resolve the call's Promise with the result.
 *
 * Group `ws` (the `ws` package, 8.x, for every contender; floor: `floor_ws`, a raw WebSocketServer
 * and a raw WebSocket client, one message per frame, whose TCP sockets are corked for the rest of a
 * tick at its first frame, so the frames of one tick leave in one system call, as fp-jsonrpc sends
 * them and as the TCP floors write; see `makeWsSender`):
 * - `floor_ws_unbatched`: the same floor sending each frame at once, as `ws` does by itself (a system
 *   call per frame: most of the time of a call). Its ratio says what batching is worth; a
 *   contender's ratio to this floor is its ratio times this one's inverse.
 * - `ws`: fp-jsonrpc both ends: `Ws.attach` on a WebSocketServer, `Ws.connect`, `Client.call`.
 * - `ws_server_only`: fp-jsonrpc's server with the floor's client; `ws_client_only`: the floor's
 *   server with fp-jsonrpc's client.
 * - `rpc_websockets_ws`: rpc-websockets' own Server (`register`) and Client (`call`).
 * - `jayson_ws`: jayson's `Server.websocket` and `Client.websocket`. jayson 5 would make them with
 *   the ws 7 it bundles; both take a socket of one's own (`wss` and `ws` options, as its README
 *   says), so they are given ws 8 ones, the same as everyone's: the difference measured is jayson's.
 * - `jsonrpc2_ws`: json-rpc-2.0's `JSONRPCServerAndClient` on both ends, wired to the ws sockets as
 *   its README shows (`receiveAndSend(JSON.parse(text))`, a send function of `socket.send`).
 *
 * Group `tcp` (`node:net`, Nagle's algorithm off on every socket, as fp-jsonrpc sets it; two floors:
 * `floor_tcp_ndjson`, one JSON text per line, and `floor_tcp_content_length`, LSP-style
 * `Content-Length: N\r\n\r\n` framing parsed by hand; both send the writes of one tick together, as
 * fp-jsonrpc does, see `makeWriter`):
 * - `tcp_ndjson`: fp-jsonrpc both ends (`listen` and `connect` from fp-jsonrpc/stream,
 *   `Framing.ndjson`), ratio to the ndjson floor; `tcp_ndjson_server_only` and
 *   `tcp_ndjson_client_only`: one end fp-jsonrpc, the other the ndjson floor's.
 * - `tcp_content_length`: fp-jsonrpc both ends with `Framing.contentLength`, ratio to the
 *   Content-Length floor.
 * - `vscode_jsonrpc_tcp`: vscode-jsonrpc 10 both ends (`createMessageConnection` over
 *   `StreamMessageReader`/`StreamMessageWriter` on the socket, `onRequest`, `sendRequest`), ratio
 *   to the Content-Length floor (the framing it speaks).
 *
 * Group `mem` (no network; floor: `floor_inmemory`, the floor client's text handed to the floor
 * server's function one microtask later, its answer text parsed and matched by id):
 * - `inmemory`: fp-jsonrpc's typed client over `InMemory.fromDispatcher(Dispatch.make(...))`.
 * - `jayson_inmemory`: `new jayson.Client(server, {})` on a `jayson.Server` (with one argument
 *   jayson reads the server as options, and the client has no server). Note: jayson stringifies the
 *   request but hands the answer back as an object, never as text, so it skips one JSON round trip
 *   the others make.
 * - `jsonrpc2_inmemory`: json-rpc-2.0's JSONRPCClient whose send function gives the request as JSON
 *   text to a JSONRPCServer's `receiveJSON`, and the answer, as JSON text, back to `receive`.
 *
 * Particulars of the peers, seen in their sources, which explain some of their numbers:
 * - vscode-jsonrpc takes one received message per event-loop turn (a setImmediate each), and writes
 *   each message as two writes (header, then body), awaited one after the other behind a semaphore:
 *   with 100 calls in flight its calls/s are bound by event-loop turns, not by its JSON work.
 * - jayson's WebSocket client keeps its outstanding calls in an array, found with `find` and removed
 *   with `filter` on every answer: a cost that grows with the calls in flight.
 * - rpc-websockets' client records a call as pending in the callback of its socket.send.
 *
 * fp-jsonrpc runs with its defaults (every limit on) and validates: the contract is
 * `Method.make({ name: 'add', params: t.type({ a: t.number, b: t.number }), result: t.number })`, so
 * the server checks the params and the client checks the result with io-ts. It is loaded from the
 * compiled package in dist/ (the npm script builds it first), as users run it: this file itself runs
 * under tsx, whose keepNames would charge fp-jsonrpc's per-call closures an Object.defineProperty
 * the build does not. For the same reason the floors here create no named closure per call.
 *
 * Output: a line per round of each group, a table, and last one JSON object: the ratio of every
 * contender to its floor (`ws`, `ws_server_only`, `ws_client_only`, `rpc_websockets_ws`,
 * `jayson_ws`, `jsonrpc2_ws`, `tcp_ndjson`, `tcp_ndjson_server_only`, `tcp_ndjson_client_only`,
 * `tcp_content_length`, `vscode_jsonrpc_tcp`, `inmemory`, `jayson_inmemory`, `jsonrpc2_inmemory`;
 * null when not measured), then each floor's median calls/s (`floor_*_calls_s`).
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import jayson from 'jayson'
import { JSONRPCClient, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0'
import { spawn } from 'node:child_process'
import * as net from 'node:net'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'
import { Client as RpcWsClient, Server as RpcWsServer } from 'rpc-websockets'
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import { median, round2 } from './stats.js'

// -------------------------------------------------------------------------------------
// configuration
// -------------------------------------------------------------------------------------

const envNumber = (names: ReadonlyArray<string>, fallback: number): number => {
  for (const name of names) {
    const raw = process.env[name]
    if (raw === undefined || raw === '') continue
    const n = Number(raw)
    if (!Number.isFinite(n) || n <= 0) throw new TypeError(`${name} must be a positive number, got ${raw}`)
    return n
  }
  return fallback
}

const envList = (name: string): ReadonlyArray<string> | undefined => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

const ROUNDS = Math.floor(envNumber(['BENCH_TRANSPORTS_ROUNDS', 'ROUNDS'], 10))
const ROUND_MS = envNumber(['BENCH_TRANSPORTS_ROUND_MS', 'ROUND_MS'], 800)
const WARMUP_MS = envNumber(['BENCH_TRANSPORTS_WARMUP_MS'], ROUND_MS)
const IN_FLIGHT = Math.floor(envNumber(['BENCH_TRANSPORTS_IN_FLIGHT'], 100))
const ONLY = envList('BENCH_TRANSPORTS_ONLY')
/** A contender that gives no answer for this long fails the run. */
const STALL_MS = 10_000
const HOST = '127.0.0.1'

type GroupName = 'ws' | 'tcp' | 'mem'
const GROUPS: ReadonlyArray<GroupName> = ['ws', 'tcp', 'mem']
const isGroup = (s: string | undefined): s is GroupName => GROUPS.includes(s as GroupName)

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** One side-by-side entry: a server and a client on one connection, ready to call `add`. */
interface Contender {
  readonly key: string
  /** The key of the floor its ratio is taken to (its own key for a floor). */
  readonly floor: string
  /** Starts one call of add({ a, b }). */
  readonly call: (a: number, b: number) => PromiseLike<unknown>
  /** The sum in an answer of `call` (anything else when the answer is not a success). */
  readonly sum: (answer: unknown) => unknown
  /** Closes the client, then the server: nothing of it is left running. */
  readonly close: () => Promise<void>
}

interface Spec {
  readonly key: string
  readonly floor: string
  readonly make: () => Promise<Contender>
}

const identity = (x: unknown): unknown => x

// -------------------------------------------------------------------------------------
// the floors' two halves, shared by every transport
// -------------------------------------------------------------------------------------

interface AddParams {
  readonly a: number
  readonly b: number
}
type FloorMethod = (params: AddParams) => unknown
interface FloorRequest {
  readonly method: string
  readonly params: AddParams
  readonly id: number
}
interface FloorResponse {
  readonly result: unknown
  readonly id: number
}

const floorMethods = new Map<string, FloorMethod>([['add', (p) => p.a + p.b]])

/** The floor server: JSON.parse -> lookup -> call -> JSON.stringify, no checks at all. */
const floorAnswer = (text: string): string => {
  const request = JSON.parse(text) as FloorRequest
  const result = (floorMethods.get(request.method) as FloorMethod)(request.params)
  return JSON.stringify({ jsonrpc: '2.0', result, id: request.id })
}

interface FloorClient {
  readonly call: (a: number, b: number) => Promise<unknown>
  /** Takes one answer's text: resolves the call of its id with its result. */
  readonly receive: (text: string) => void
}

/** The floor client: stringify, send, and a Map of pending ids whose Promise the answer resolves. */
const makeFloorClient = (send: (text: string) => void): FloorClient => {
  const pending = new Map<number, (result: unknown) => void>()
  let nextId = 0
  return {
    call: (a, b) =>
      new Promise((resolve) => {
        const id = ++nextId
        pending.set(id, resolve)
        send(JSON.stringify({ jsonrpc: '2.0', method: 'add', params: { a, b }, id }))
      }),
    receive: (text) => {
      const response = JSON.parse(text) as FloorResponse
      const resolve = pending.get(response.id)
      if (resolve === undefined) throw new Error(`floor client: an answer for no pending call: ${text}`)
      pending.delete(response.id)
      resolve(response.result)
    },
  }
}

// -------------------------------------------------------------------------------------
// fp-jsonrpc, from dist/
// -------------------------------------------------------------------------------------

interface Fp {
  readonly Lib: typeof import('../src/index.js')
  readonly Ws: typeof import('../src/ws/index.js')
  readonly Stream: typeof import('../src/stream/index.js')
}

// The compiled package, as users run it (see the header). The types are the sources'.
const loadFp = async (): Promise<Fp> => {
  const built = new URL('../dist/esm/', import.meta.url)
  const load = (path: string) => import(new URL(path, built).href)
  return {
    Lib: (await load('index.js')) as Fp['Lib'],
    Ws: (await load('ws/index.js')) as Fp['Ws'],
    Stream: (await load('stream/index.js')) as Fp['Stream'],
  }
}

const makeFpParts = ({ Lib }: Fp) => {
  const Add = Lib.Method.make({ name: 'add', params: t.type({ a: t.number, b: t.number }), result: t.number })
  const dispatcher = Lib.Dispatch.make(
    pipe(
      Lib.Registry.empty,
      Lib.Registry.add(Add, ({ a, b }) => E.right(a + b)),
    ),
  )
  type FpClient = import('../src/index.js').Client.Client<unknown>
  const callWith =
    (client: FpClient) =>
    (a: number, b: number): Promise<unknown> =>
      Lib.Client.call(Add, { a, b })(client)()
  // Client.call's answer is an Either; only a Right carries the sum.
  const sum = (answer: unknown): unknown => {
    const e = answer as E.Either<unknown, unknown>
    return e._tag === 'Right' ? e.right : e
  }
  return { dispatcher, callWith, sum }
}

const orThrow = <A>(what: string, e: E.Either<unknown, A>): A => {
  if (E.isLeft(e)) throw new Error(`${what}: ${inspect(e.left, { depth: 4 })}`)
  return e.right
}

// -------------------------------------------------------------------------------------
// sockets: open, close
// -------------------------------------------------------------------------------------

/** What `once` needs of an emitter: Node's EventEmitter, and rpc-websockets' eventemitter3. */
interface Emitter {
  once(event: string, listener: (...args: Array<unknown>) => void): unknown
  off(event: string, listener: (...args: Array<unknown>) => void): unknown
}

const once = (emitter: Emitter, event: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (error: unknown): void => reject(error instanceof Error ? error : new Error(String(error)))
    emitter.once('error', onError)
    emitter.once(event, () => {
      emitter.off('error', onError)
      resolve()
    })
  })

const textOf = (data: RawData): string => (data as Buffer).toString('utf8')

const listenWss = async (): Promise<{ readonly wss: WebSocketServer; readonly url: string }> => {
  const wss = new WebSocketServer({ host: HOST, port: 0 })
  await once(wss, 'listening')
  const address = wss.address() as net.AddressInfo
  return { wss, url: `ws://${HOST}:${address.port}` }
}

const openWs = async (url: string): Promise<WebSocket> => {
  const socket = new WebSocket(url)
  await once(socket, 'open')
  return socket
}

const closeWs = (socket: WebSocket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve()
    socket.once('close', () => resolve())
    socket.close()
  })

/** Cuts off whatever connection is left, then closes the WebSocketServer (and its HTTP server). */
const closeWss = (wss: WebSocketServer): Promise<void> =>
  new Promise((resolve) => {
    for (const client of wss.clients) client.terminate()
    wss.close(() => resolve())
  })

interface NetServer {
  readonly port: number
  readonly close: () => Promise<void>
}

const listenNet = (onSocket: (socket: net.Socket) => void): Promise<NetServer> =>
  new Promise((resolve, reject) => {
    const sockets = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      socket.on('error', () => undefined)
      socket.setNoDelay(true)
      onSocket(socket)
    })
    server.once('error', reject)
    server.listen(0, HOST, () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.destroy()
            server.close(() => done())
          }),
      }),
    )
  })

const connectNet = async (port: number): Promise<net.Socket> => {
  const socket = net.connect({ host: HOST, port })
  await once(socket, 'connect')
  socket.setNoDelay(true)
  return socket
}

const destroySocket = (socket: net.Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed) return resolve()
    socket.once('close', () => resolve())
    socket.destroy()
  })

// -------------------------------------------------------------------------------------
// the floors' framings over TCP
// -------------------------------------------------------------------------------------

/** Calls `onLine` with each line of text read (newline-delimited JSON). */
const readLines = (socket: net.Socket, onLine: (line: string) => void): void => {
  socket.setEncoding('utf8')
  let rest = ''
  socket.on('data', (chunk: string) => {
    const text = rest === '' ? chunk : rest + chunk
    let start = 0
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      onLine(text.slice(start, newline))
      start = newline + 1
    }
    rest = start === text.length ? '' : text.slice(start)
  })
}

const EMPTY = Buffer.alloc(0)
const CONTENT_LENGTH = /(?:^|\n)content-length:[ \t]*(\d+)/i

/** Calls `onMessage` with each body read in `Content-Length: N\r\n\r\n` framing, parsed by hand. */
const readContentLength = (socket: net.Socket, onMessage: (text: string) => void): void => {
  let rest: Buffer = EMPTY
  socket.on('data', (chunk: Buffer) => {
    const buffer = rest.length === 0 ? chunk : Buffer.concat([rest, chunk])
    let start = 0
    for (;;) {
      const headerEnd = buffer.indexOf('\r\n\r\n', start)
      if (headerEnd === -1) break
      const match = CONTENT_LENGTH.exec(buffer.toString('latin1', start, headerEnd))
      if (match === null) throw new Error('Content-Length floor: a header block without Content-Length')
      const bodyStart = headerEnd + 4
      const bodyEnd = bodyStart + Number(match[1])
      if (buffer.length < bodyEnd) break
      onMessage(buffer.toString('utf8', bodyStart, bodyEnd))
      start = bodyEnd
    }
    rest = start === buffer.length ? EMPTY : buffer.subarray(start)
  })
}

/**
 * The writes made in one tick go out together (`cork`, then `uncork` on the next tick), as
 * fp-jsonrpc's stream transport sends them: without it a floor pays a system call per message, and
 * in a trial both TCP floors were then 1.4-2.5x slower than fp-jsonrpc, which measured the system
 * calls rather than the JSON-RPC layer.
 */
const makeWriter = (socket: net.Socket): ((text: string) => void) => {
  let corked = false
  const uncork = (): void => {
    corked = false
    socket.uncork()
  }
  return (text) => {
    if (!corked) {
      corked = true
      socket.cork()
      process.nextTick(uncork)
    }
    socket.write(text)
  }
}

const contentLengthFrame = (text: string): string => `Content-Length: ${Buffer.byteLength(text, 'utf8')}\r\n\r\n${text}`

// -------------------------------------------------------------------------------------
// group ws
// -------------------------------------------------------------------------------------

/**
 * `send` on a WebSocket whose TCP socket is corked for the rest of the tick at the first frame, so
 * the frames of one tick leave in one system call, as fp-jsonrpc's WebSocket transport sends them
 * (and as the TCP floors write, see `makeWriter`); `batched: false` sends each frame at once, as
 * `ws` does by itself.
 */
const makeWsSender = (socket: WebSocket, raw: net.Socket, batched: boolean): ((text: string) => void) => {
  if (!batched) return (text) => socket.send(text)
  let corked = false
  const uncork = (): void => {
    corked = false
    raw.uncork()
  }
  return (text) => {
    if (!corked) {
      corked = true
      raw.cork()
      process.nextTick(uncork)
    }
    socket.send(text)
  }
}

/** The floor's WebSocket server: one answer per message. */
const floorWsServer = async (batched = true) => {
  const { wss, url } = await listenWss()
  wss.on('connection', (socket, request) => {
    const send = makeWsSender(socket, request.socket, batched)
    socket.on('message', (data) => send(floorAnswer(textOf(data))))
  })
  return { url, close: () => closeWss(wss) }
}

/** The floor's WebSocket client on a new socket to `url`. */
const floorWsClient = async (url: string, batched = true) => {
  const socket = new WebSocket(url)
  let raw: net.Socket | undefined
  socket.once('upgrade', (response) => (raw = response.socket))
  await once(socket, 'open')
  const client = makeFloorClient(makeWsSender(socket, raw as net.Socket, batched))
  socket.on('message', (data) => client.receive(textOf(data)))
  return { call: client.call, close: () => closeWs(socket) }
}

const fpWsServer = async (fp: Fp, dispatcher: ReturnType<typeof makeFpParts>['dispatcher']) => {
  const { wss, url } = await listenWss()
  const server = fp.Ws.attach(wss, dispatcher)
  return {
    url,
    close: async () => {
      await server.close()
      await closeWss(wss)
    },
  }
}

const fpWsClient = async (fp: Fp, url: string) => {
  const connection = orThrow('Ws.connect', await fp.Ws.connect(url)())
  return { client: connection.client, close: () => connection.close() }
}

const wsSpecs = (fp: Fp): ReadonlyArray<Spec> => {
  const { dispatcher, callWith, sum } = makeFpParts(fp)
  const floor = 'floor_ws'
  return [
    {
      key: floor,
      floor,
      make: async () => {
        const server = await floorWsServer()
        const client = await floorWsClient(server.url)
        return { key: floor, floor, call: client.call, sum: identity, close: async () => (await client.close(), await server.close()) }
      },
    },
    {
      // The floor as `ws` sends by itself, a system call per frame: the floor of the first
      // measurement, kept to show what batching is worth.
      key: 'floor_ws_unbatched',
      floor,
      make: async () => {
        const server = await floorWsServer(false)
        const client = await floorWsClient(server.url, false)
        return { key: 'floor_ws_unbatched', floor, call: client.call, sum: identity, close: async () => (await client.close(), await server.close()) }
      },
    },
    {
      key: 'ws',
      floor,
      make: async () => {
        const server = await fpWsServer(fp, dispatcher)
        const client = await fpWsClient(fp, server.url)
        return { key: 'ws', floor, call: callWith(client.client), sum, close: async () => (await client.close(), await server.close()) }
      },
    },
    {
      key: 'ws_server_only',
      floor,
      make: async () => {
        const server = await fpWsServer(fp, dispatcher)
        const client = await floorWsClient(server.url)
        return { key: 'ws_server_only', floor, call: client.call, sum: identity, close: async () => (await client.close(), await server.close()) }
      },
    },
    {
      key: 'ws_client_only',
      floor,
      make: async () => {
        const server = await floorWsServer()
        const client = await fpWsClient(fp, server.url)
        return { key: 'ws_client_only', floor, call: callWith(client.client), sum, close: async () => (await client.close(), await server.close()) }
      },
    },
    {
      key: 'rpc_websockets_ws',
      floor,
      make: async () => {
        const server = new RpcWsServer({ host: HOST, port: 0 })
        await once(server, 'listening')
        server.register('add', (params) => (params as AddParams).a + (params as AddParams).b)
        const port = (server.wss.address() as net.AddressInfo).port
        const client = new RpcWsClient(`ws://${HOST}:${port}`, { autoconnect: true, reconnect: false })
        await once(client, 'open')
        return {
          key: 'rpc_websockets_ws',
          floor,
          call: (a, b) => client.call('add', { a, b }),
          sum: identity,
          close: async () => {
            const closed = once(client, 'close')
            client.close()
            await closed
            await server.close()
          },
        }
      },
    },
    {
      key: 'jayson_ws',
      floor,
      make: async () => {
        const { wss, url } = await listenWss()
        const server = new jayson.Server({
          add: (params: jayson.RequestParamsLike, callback: jayson.JSONRPCCallbackTypePlain) => {
            const p = params as unknown as AddParams
            callback(null, p.a + p.b)
          },
        })
        // jayson's typings name its bundled ws 7; it only uses the methods ws 8 shares with it.
        server.websocket({ wss } as unknown as jayson.WebsocketServerOptions)
        const socket = await openWs(url)
        const client = jayson.Client.websocket({ ws: socket })
        return {
          key: 'jayson_ws',
          floor,
          call: (a, b) =>
            new Promise((resolve, reject) => {
              client.request('add', { a, b }, (error: unknown, response: unknown) =>
                error ? reject(error instanceof Error ? error : new Error('the jayson client reported an error', { cause: error })) : resolve(response),
              )
            }),
          sum: (response) => (response as { result?: unknown }).result,
          close: async () => {
            await closeWs(socket)
            await closeWss(wss)
          },
        }
      },
    },
    {
      key: 'jsonrpc2_ws',
      floor,
      make: async () => {
        const { wss, url } = await listenWss()
        // As json-rpc-2.0's README wires a WebSocket: a JSONRPCServerAndClient per socket, fed each
        // message parsed, sending with socket.send.
        const wire = (socket: WebSocket): JSONRPCServerAndClient => {
          const rpc = new JSONRPCServerAndClient(
            new JSONRPCServer(),
            new JSONRPCClient((request) => {
              socket.send(JSON.stringify(request))
              return Promise.resolve()
            }),
          )
          socket.on('message', (data) => void rpc.receiveAndSend(JSON.parse(textOf(data))))
          socket.on('close', () => rpc.rejectAllPendingRequests('closed'))
          return rpc
        }
        wss.on('connection', (socket) => wire(socket).addMethod('add', (params: AddParams) => params.a + params.b))
        const socket = await openWs(url)
        const rpc = wire(socket)
        return {
          key: 'jsonrpc2_ws',
          floor,
          call: (a, b) => rpc.request('add', { a, b }),
          sum: identity,
          close: async () => {
            await closeWs(socket)
            await closeWss(wss)
          },
        }
      },
    },
  ]
}

// -------------------------------------------------------------------------------------
// group tcp
// -------------------------------------------------------------------------------------

const floorNdjsonServer = (): Promise<NetServer> =>
  listenNet((socket) => {
    const write = makeWriter(socket)
    readLines(socket, (line) => write(floorAnswer(line) + '\n'))
  })

const floorNdjsonClient = async (port: number) => {
  const socket = await connectNet(port)
  const write = makeWriter(socket)
  const client = makeFloorClient((text) => write(text + '\n'))
  readLines(socket, client.receive)
  return { call: client.call, close: () => destroySocket(socket) }
}

const floorContentLengthServer = (): Promise<NetServer> =>
  listenNet((socket) => {
    const write = makeWriter(socket)
    readContentLength(socket, (text) => write(contentLengthFrame(floorAnswer(text))))
  })

const floorContentLengthClient = async (port: number) => {
  const socket = await connectNet(port)
  const write = makeWriter(socket)
  const client = makeFloorClient((text) => write(contentLengthFrame(text)))
  readContentLength(socket, client.receive)
  return { call: client.call, close: () => destroySocket(socket) }
}

type FramingName = 'ndjson' | 'contentLength'

const fpTcpServer = async (fp: Fp, dispatcher: ReturnType<typeof makeFpParts>['dispatcher'], framing: FramingName): Promise<NetServer> => {
  const server = orThrow('listen', await fp.Stream.listen({ framing: fp.Stream.Framing[framing], dispatcher })())
  return { port: server.address.port, close: () => server.close() }
}

const fpTcpClient = async (fp: Fp, port: number, framing: FramingName) => {
  const connection = orThrow('connect', await fp.Stream.connect({ port, framing: fp.Stream.Framing[framing] })())
  return { client: connection.client, close: () => connection.close() }
}

const vscodeConnection = (socket: net.Socket): MessageConnection => {
  const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket))
  connection.listen()
  return connection
}

const tcpSpecs = (fp: Fp): ReadonlyArray<Spec> => {
  const { dispatcher, callWith, sum } = makeFpParts(fp)
  const ndjson = 'floor_tcp_ndjson'
  const contentLength = 'floor_tcp_content_length'
  const fpBoth = (key: string, floor: string, framing: FramingName): Spec => ({
    key,
    floor,
    make: async () => {
      const server = await fpTcpServer(fp, dispatcher, framing)
      const client = await fpTcpClient(fp, server.port, framing)
      return { key, floor, call: callWith(client.client), sum, close: async () => (await client.close(), await server.close()) }
    },
  })
  return [
    {
      key: ndjson,
      floor: ndjson,
      make: async () => {
        const server = await floorNdjsonServer()
        const client = await floorNdjsonClient(server.port)
        return { key: ndjson, floor: ndjson, call: client.call, sum: identity, close: async () => (await client.close(), await server.close()) }
      },
    },
    {
      key: contentLength,
      floor: contentLength,
      make: async () => {
        const server = await floorContentLengthServer()
        const client = await floorContentLengthClient(server.port)
        return { key: contentLength, floor: contentLength, call: client.call, sum: identity, close: async () => (await client.close(), await server.close()) }
      },
    },
    fpBoth('tcp_ndjson', ndjson, 'ndjson'),
    fpBoth('tcp_content_length', contentLength, 'contentLength'),
    {
      key: 'tcp_ndjson_server_only',
      floor: ndjson,
      make: async () => {
        const server = await fpTcpServer(fp, dispatcher, 'ndjson')
        const client = await floorNdjsonClient(server.port)
        return {
          key: 'tcp_ndjson_server_only',
          floor: ndjson,
          call: client.call,
          sum: identity,
          close: async () => (await client.close(), await server.close()),
        }
      },
    },
    {
      key: 'tcp_ndjson_client_only',
      floor: ndjson,
      make: async () => {
        const server = await floorNdjsonServer()
        const client = await fpTcpClient(fp, server.port, 'ndjson')
        return {
          key: 'tcp_ndjson_client_only',
          floor: ndjson,
          call: callWith(client.client),
          sum,
          close: async () => (await client.close(), await server.close()),
        }
      },
    },
    {
      key: 'vscode_jsonrpc_tcp',
      floor: contentLength,
      make: async () => {
        const served: Array<MessageConnection> = []
        const server = await listenNet((socket) => {
          const connection = vscodeConnection(socket)
          connection.onRequest('add', (params: AddParams) => params.a + params.b)
          served.push(connection)
        })
        const socket = await connectNet(server.port)
        const connection = vscodeConnection(socket)
        return {
          key: 'vscode_jsonrpc_tcp',
          floor: contentLength,
          call: (a, b) => connection.sendRequest<number>('add', { a, b }),
          sum: identity,
          close: async () => {
            connection.dispose()
            await destroySocket(socket)
            for (const c of served) c.dispose()
            await server.close()
          },
        }
      },
    },
  ]
}

// -------------------------------------------------------------------------------------
// group mem
// -------------------------------------------------------------------------------------

const memSpecs = (fp: Fp): ReadonlyArray<Spec> => {
  const { dispatcher, callWith, sum } = makeFpParts(fp)
  const floor = 'floor_inmemory'
  const nothing = async (): Promise<void> => undefined
  return [
    {
      key: floor,
      floor,
      make: async () => {
        // The request's text reaches the floor server one microtask later, as a Promise-based
        // in-memory transport's does; its answer's text comes back to the client parsed by id.
        const client: FloorClient = makeFloorClient((text) => queueMicrotask(() => client.receive(floorAnswer(text))))
        return { key: floor, floor, call: client.call, sum: identity, close: nothing }
      },
    },
    {
      key: 'inmemory',
      floor,
      make: async () => {
        const client = fp.Lib.Client.make(fp.Lib.InMemory.fromDispatcher(dispatcher))
        return { key: 'inmemory', floor, call: callWith(client), sum, close: nothing }
      },
    },
    {
      key: 'jayson_inmemory',
      floor,
      make: async () => {
        const server = new jayson.Server({
          add: (params: jayson.RequestParamsLike, callback: jayson.JSONRPCCallbackTypePlain) => {
            const p = params as unknown as AddParams
            callback(null, p.a + p.b)
          },
        })
        // Two arguments: jayson takes a lone object argument (its server included) for options.
        const client = new jayson.Client(server, {})
        return {
          key: 'jayson_inmemory',
          floor,
          call: (a, b) =>
            new Promise((resolve, reject) => {
              client.request('add', { a, b }, (error: unknown, response: unknown) =>
                error ? reject(error instanceof Error ? error : new Error('the jayson client reported an error', { cause: error })) : resolve(response),
              )
            }),
          sum: (response) => (response as { result?: unknown }).result,
          close: nothing,
        }
      },
    },
    {
      key: 'jsonrpc2_inmemory',
      floor,
      make: async () => {
        const server = new JSONRPCServer()
        server.addMethod('add', (params: AddParams) => params.a + params.b)
        const client: JSONRPCClient = new JSONRPCClient((request) =>
          server.receiveJSON(JSON.stringify(request)).then((response) => {
            if (response !== null) client.receive(JSON.parse(JSON.stringify(response)))
          }),
        )
        return { key: 'jsonrpc2_inmemory', floor, call: (a, b) => client.request('add', { a, b }), sum: identity, close: nothing }
      },
    },
  ]
}

// -------------------------------------------------------------------------------------
// the load: IN_FLIGHT calls in flight, for `ms`
// -------------------------------------------------------------------------------------

interface Sample {
  readonly calls: number
  readonly ms: number
}

/**
 * Starts IN_FLIGHT calls, and a new one as each finishes, until `ms` have passed; counts the calls
 * finished by then, and settles once the others have finished too. Every answer is checked.
 *
 * The clock is read as calls finish (every 32nd), not by a timer: in-memory calls finish in
 * microtasks only, which would keep a timer from ever running.
 */
const runWindow = (c: Contender, ms: number, firstA: number): Promise<Sample> =>
  new Promise((resolve, reject) => {
    let next = firstA
    let inFlight = 0
    let completed = 0
    let stopped = false
    let failed = false
    let sample: Sample = { calls: 0, ms: 0 }
    const t0 = performance.now()
    const deadline = t0 + ms

    // Runs only when the event loop gets a turn: a call that never answers lets it run.
    let seen = -1
    const watchdog = setInterval(() => {
      if (completed === seen) fail(new Error(`${c.key}: no answer for ${STALL_MS} ms (${inFlight} calls in flight)`))
      seen = completed
    }, STALL_MS)

    function fail(error: Error): void {
      if (failed) return
      failed = true
      clearInterval(watchdog)
      reject(error)
    }
    function launch(): void {
      const a = next++
      inFlight++
      c.call(a, 7).then(
        (answer) => {
          inFlight--
          if (failed) return
          if (c.sum(answer) !== a + 7) return fail(new Error(`${c.key}: add(${a}, 7) answered ${inspect(answer, { depth: 4 })}`))
          if (!stopped) {
            completed++
            if ((completed & 31) === 0) {
              const now = performance.now()
              if (now >= deadline) {
                stopped = true
                sample = { calls: completed, ms: now - t0 }
              }
            }
          }
          if (!stopped) launch()
          else if (inFlight === 0) {
            clearInterval(watchdog)
            resolve(sample)
          }
        },
        (error: unknown) => fail(new Error(`${c.key}: add(${a}, 7) failed: ${inspect(error, { depth: 4 })}`)),
      )
    }
    for (let i = 0; i < IN_FLIGHT; i++) launch()
  })

const verifyOne = async (c: Contender): Promise<void> => {
  const answer = await c.call(2, 3)
  if (c.sum(answer) !== 5) throw new Error(`${c.key}: add(2, 3) answered ${inspect(answer, { depth: 4 })}`)
}

// -------------------------------------------------------------------------------------
// results
// -------------------------------------------------------------------------------------

/** What a group's child reports to the parent, on its last line after `RESULT `. */
interface GroupResult {
  readonly group: GroupName
  /** Per contender: its floor's key, the median calls/s, the median paired ratio, the ratios' min and max. */
  readonly contenders: ReadonlyArray<{
    readonly key: string
    readonly floor: string
    readonly callsPerS: number
    readonly ratio: number | null
    readonly min: number | null
    readonly max: number | null
  }>
}

const RESULT_PREFIX = 'RESULT '

// -------------------------------------------------------------------------------------
// a group's child: `--group <name>`
// -------------------------------------------------------------------------------------

const runGroup = async (group: GroupName): Promise<void> => {
  const fp = await loadFp()
  const all = group === 'ws' ? wsSpecs(fp) : group === 'tcp' ? tcpSpecs(fp) : memSpecs(fp)
  const specs = ONLY === undefined ? all : all.filter((s) => ONLY.includes(s.key))
  const log = (line: string): void => void process.stdout.write(`[${group}] ${line}\n`)

  const contenders: Array<Contender> = []
  const rates = new Map<string, Array<number>>()
  let a = 0
  try {
    for (const spec of specs) {
      const c = await spec.make()
      contenders.push(c)
      await verifyOne(c)
      rates.set(c.key, [])
    }
    log(`${contenders.length} contenders answer add(2, 3) = 5; warming up ${WARMUP_MS} ms each`)
    for (const c of contenders) {
      const s = await runWindow(c, WARMUP_MS, a)
      a += s.calls + IN_FLIGHT
    }
    for (let round = 0; round < ROUNDS; round++) {
      const perRound = new Map<string, number>()
      for (let i = 0; i < contenders.length; i++) {
        const c = contenders[(i + round) % contenders.length]
        const s = await runWindow(c, ROUND_MS, a)
        a = (a + s.calls + IN_FLIGHT) % 1_000_000_000
        const rate = (s.calls * 1000) / s.ms
        perRound.set(c.key, rate)
        ;(rates.get(c.key) as Array<number>).push(rate)
      }
      const parts = contenders.map((c) => {
        const rate = perRound.get(c.key) as number
        const floorRate = perRound.get(c.floor)
        const ratio = c.key === c.floor || floorRate === undefined ? '' : ` (${(rate / floorRate).toFixed(2)})`
        return `${c.key} ${Math.round(rate)}${ratio}`
      })
      log(`round ${round + 1}/${ROUNDS}: ${parts.join(', ')} calls/s`)
    }
  } finally {
    for (const c of contenders) await c.close()
  }

  const result: GroupResult = {
    group,
    contenders: contenders.map((c) => {
      const own = rates.get(c.key) as Array<number>
      const floorRates = rates.get(c.floor)
      const ratios = floorRates === undefined ? [] : own.map((r, i) => r / floorRates[i])
      return {
        key: c.key,
        floor: c.floor,
        callsPerS: Math.round(median(own)),
        ratio: ratios.length === 0 ? null : median(ratios),
        min: ratios.length === 0 ? null : Math.min(...ratios),
        max: ratios.length === 0 ? null : Math.max(...ratios),
      }
    }),
  }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`)

  // Everything was closed: the process ends by itself. Should a handle be left, say which, and go.
  setTimeout(() => {
    process.stderr.write(`[${group}] still running 5 s after closing everything: ${process.getActiveResourcesInfo().join(', ')}\n`)
    process.exit(1)
  }, 5_000).unref()
}

// -------------------------------------------------------------------------------------
// the parent: one child per group, then the report
// -------------------------------------------------------------------------------------

const self = fileURLToPath(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))

const runChild = (group: GroupName): Promise<GroupResult | undefined> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--group', group], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    let result: GroupResult | undefined
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      for (let newline = out.indexOf('\n'); newline !== -1; newline = out.indexOf('\n')) {
        const line = out.slice(0, newline)
        out = out.slice(newline + 1)
        if (line.startsWith(RESULT_PREFIX)) result = JSON.parse(line.slice(RESULT_PREFIX.length)) as GroupResult
        else process.stdout.write(`${line}\n`)
      }
    })
    child.once('error', (error) => {
      process.stderr.write(`[${group}] could not start: ${String(error)}\n`)
      resolve(undefined)
    })
    child.once('exit', (code, signal) => {
      if (code !== 0) process.stderr.write(`[${group}] child exited with ${code ?? signal}\n`)
      resolve(code === 0 ? result : undefined)
    })
  })

// The ratio keys of the final line, in order, and the floors whose calls/s it gives.
const RATIO_KEYS = [
  'ws',
  'floor_ws_unbatched',
  'ws_server_only',
  'ws_client_only',
  'rpc_websockets_ws',
  'jayson_ws',
  'jsonrpc2_ws',
  'tcp_ndjson',
  'tcp_ndjson_server_only',
  'tcp_ndjson_client_only',
  'tcp_content_length',
  'vscode_jsonrpc_tcp',
  'inmemory',
  'jayson_inmemory',
  'jsonrpc2_inmemory',
] as const
const FLOOR_KEYS = ['floor_ws', 'floor_tcp_ndjson', 'floor_tcp_content_length', 'floor_inmemory'] as const

const main = async (): Promise<void> => {
  const startedAt = Date.now()
  const groups = (envList('BENCH_TRANSPORTS_GROUPS') ?? GROUPS).map((g) => {
    if (!isGroup(g)) throw new TypeError(`BENCH_TRANSPORTS_GROUPS: ${g} is not one of ${GROUPS.join(', ')}`)
    return g
  })
  console.log(
    `transports benchmark: ${ROUNDS} rounds x ${ROUND_MS} ms per contender, ${WARMUP_MS} ms warm-up, ${IN_FLIGHT} calls in flight on one ` +
      `connection, node ${process.version}, ${availableParallelism()} CPUs; groups ${groups.join(', ')}, each in a child process`,
  )

  const results: Array<GroupResult> = []
  let ok = true
  for (const group of groups) {
    const result = await runChild(group)
    if (result === undefined) ok = false
    else results.push(result)
  }

  const rows = results.flatMap((r) => r.contenders.map((c) => ({ group: r.group, ...c })))
  const pad = (s: string, w: number) => s.padEnd(w)
  const lpad = (s: string, w: number) => s.padStart(w)
  const fixed = (x: number | null) => (x === null ? '-' : x.toFixed(2))
  console.log('')
  console.log(`${pad('group', 6)}${pad('contender', 26)}${pad('floor', 26)}${lpad('calls/s', 9)}${lpad('ratio', 8)}${lpad('min', 7)}${lpad('max', 7)}`)
  for (const r of rows) {
    const isFloor = r.key === r.floor
    console.log(
      `${pad(r.group, 6)}${pad(r.key, 26)}${pad(isFloor ? '' : r.floor, 26)}${lpad(String(r.callsPerS), 9)}` +
        `${lpad(isFloor ? '' : fixed(r.ratio), 8)}${lpad(isFloor ? '' : fixed(r.min), 7)}${lpad(isFloor ? '' : fixed(r.max), 7)}`,
    )
  }
  console.log(`done in ${Math.round((Date.now() - startedAt) / 1000)} s`)

  const byKey = new Map(rows.map((r) => [r.key, r]))
  const line: Record<string, number | null> = {}
  for (const key of RATIO_KEYS) {
    const ratio = byKey.get(key)?.ratio
    line[key] = ratio === undefined || ratio === null ? null : round2(ratio)
  }
  for (const key of FLOOR_KEYS) line[`${key}_calls_s`] = byKey.get(key)?.callsPerS ?? null
  console.log(JSON.stringify(line))
  if (!ok) process.exitCode = 1
}

if (process.argv[2] === '--group') {
  const group = process.argv[3]
  if (!isGroup(group)) throw new Error(`--group takes one of ${GROUPS.join(', ')}; got ${String(group)}`)
  await runGroup(group)
} else {
  await main()
}
