/**
 * fp-jsonrpc and pylsp-jsonrpc 1.0.0 (Debian's python3-pylsp-jsonrpc, the JSON-RPC layer of the
 * Python language server) over a child process's stdio, `Content-Length` framing, both ways round:
 * - fp-jsonrpc's `spawn` starts fixtures/pylsp_child.py, a pylsp Endpoint serving on its stdio;
 * - fixtures/pylsp_parent.py, a pylsp Endpoint, starts fp-jsonrpc's `serveStdio`
 *   (fixtures/stdio-server.ts, run by node with tsx) and calls it.
 * In both, each side calls the other on the one connection. What pylsp-jsonrpc does on the wire is
 * described in fixtures/pylsp_child.py.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, Dispatch, Method } from '../../src/index.js'
import { Framing, spawn, type ChildConnection } from '../../src/stream/index.js'
import * as Methods from './fixtures/methods.js'
import { eventually, fixture, PYTHON, runPython, tsxCli } from './helpers.js'

/** pylsp's answer to an exception: its JsonRpcInternalError, whose data is the traceback. */
const traceback = { traceback: expect.arrayContaining([expect.any(String)]) }

// -------------------------------------------------------------------------------------
// fp-jsonrpc's spawn -> a pylsp child
// -------------------------------------------------------------------------------------

const CallParent = Method.make({ name: 'callParent', result: t.unknown })
const NotifyParent = Method.make({ name: 'notifyParent', params: t.type({ n: t.number }), result: t.number })

describe("fp-jsonrpc's spawn, talking to a pylsp-jsonrpc child", () => {
  const parent = Methods.makeTwoWayMethods('fp-jsonrpc')
  let child: ChildConnection
  let stderr = ''

  beforeAll(async () => {
    const started = await spawn(PYTHON, [fixture('pylsp_child.py')], {
      framing: Framing.contentLength,
      dispatcher: Dispatch.make(parent.registry),
      context: ({ client }) => ({ client }),
      timeoutMs: 10_000,
      stderr: (chunk) => {
        stderr += Buffer.from(chunk).toString('utf8')
      },
    })()
    if (E.isLeft(started)) throw new Error(`spawn failed: ${String(started.left.cause)}`)
    child = started.right
  })
  afterAll(async () => {
    if (child === undefined) return
    await child.close()
    await child.exited
  })

  describe('calls', () => {
    it('by name: answered; a call without params too', async () => {
      expect(await pipe(child.client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
      expect(await pipe(child.client, Client.call(Methods.Whoami))()).toEqual(E.right('pylsp'))
    })

    it('by position: MethodDispatcher takes params by name only, and answers with its internal error, code -32602', async () => {
      expect(await pipe(child.client, Client.call(Methods.SubtractByPosition, { minuend: 42, subtrahend: 23 }))()).toEqual(
        E.left({
          _tag: 'RpcError',
          error: { code: -32602, message: expect.stringContaining('argument after ** must be a mapping, not list'), data: traceback },
        }),
      )
    })

    it('carries non-ASCII text, and a message of 200 kB, with lengths counted in bytes both ways', async () => {
      expect(await pipe(child.client, Client.call(Methods.Echo, { text: 'é€😀\n"' }))()).toEqual(E.right('é€😀\n"'))
      const big = 'é'.repeat(100_000) + '😀'
      expect(await pipe(child.client, Client.call(Methods.Echo, { text: big }))()).toEqual(E.right(big))
    })

    it('matches many calls in flight to their answers', async () => {
      const ns = Array.from({ length: 50 }, (_, i) => i)
      const results = await Promise.all(ns.map((n) => pipe(child.client, Client.call(Methods.Subtract, { minuend: n, subtrahend: 1 }))()))
      expect(results).toEqual(ns.map((n) => E.right(n - 1)))
    })
  })

  describe('errors', () => {
    it("a JsonRpcException with data is the contract's typed application error", async () => {
      expect(await pipe(child.client, Client.call(Methods.Divide, { dividend: 1, divisor: 0 }))()).toEqual(
        E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 1 } } }),
      )
    })

    it('an unknown method is -32601 "Method Not Found: <name>"', async () => {
      expect(await pipe(child.client, Client.call(Methods.Nope))()).toEqual(
        E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method Not Found: nope' } }),
      )
    })

    it("an exception is code -32602 (pylsp's JsonRpcInternalError), with its text and traceback", async () => {
      expect(await pipe(child.client, Client.call(Methods.Boom))()).toEqual(
        E.left({ _tag: 'RpcError', error: { code: -32602, message: 'ValueError: secret from python', data: traceback } }),
      )
    })
  })

  describe('notifications', () => {
    it('ours reach the child', async () => {
      expect(await pipe(child.client, Client.notify(Methods.Log, { line: 'from fp-jsonrpc' }))()).toEqual(E.right(undefined))
      expect(await pipe(child.client, Client.call(Methods.Logged))()).toEqual(E.right(['from fp-jsonrpc']))
    })

    it("the child's reach us: one as it starts, one sent while it answers a call", async () => {
      await eventually(() => parent.ticks.includes(1))
      expect(await pipe(child.client, Client.call(NotifyParent, { n: 7 }))()).toEqual(E.right(7))
      await eventually(() => parent.ticks.includes(7))
      expect(parent.ticks).toEqual([1, 7])
    })
  })

  describe('calls back', () => {
    it('the child calls us while answering our call, on the same connection', async () => {
      expect(await pipe(child.client, Client.call(Methods.AskBack))()).toEqual(E.right('pylsp asked fp-jsonrpc'))
    })

    it("the child's calls to us, by name and by position, and the errors it reads back", async () => {
      expect(await pipe(child.client, Client.call(CallParent))()).toEqual(
        E.right({
          byName: { result: 6 },
          byPosition: { result: 6 },
          noParams: { result: 'fp-jsonrpc' },
          typedError: { raised: 'JsonRpcException', code: 1, message: 'Division by zero', data: { dividend: 3 } },
          invalidParams: {
            raised: 'JsonRpcInvalidParams',
            code: -32602,
            message: 'Invalid params',
            data: ['params.minuend: expected number, got "x"', 'params.subtrahend: expected number, got nothing'],
          },
          notFound: { raised: 'JsonRpcMethodNotFound', code: -32601, message: 'Method not found', data: null },
          internal: { raised: 'JsonRpcException', code: -32603, message: 'Internal error', data: null },
        }),
      )
    })
  })

  describe('batches', () => {
    it('are dropped unanswered by pylsp (it reads JSON objects only), so the batch times out; the connection carries on', async () => {
      expect(
        await pipe(child.client, Client.batch(Client.call(Methods.Whoami), Client.notify(Methods.Log, { line: 'in a batch' }), { timeoutMs: 300 }))(),
      ).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 300 } }))
      await eventually(() => stderr.includes('WARNING Unknown message type'))
      expect(await pipe(child.client, Client.call(Methods.Whoami))()).toEqual(E.right('pylsp'))
    })
  })

  describe('closing', () => {
    it("close() ends the child's stdin: its reader stops and it exits 0", async () => {
      await child.close()
      expect(await child.exited).toEqual({ code: 0, signal: null })
      await eventually(() => stderr.includes('pylsp child: stdin ended'))
    })
  })
})

// -------------------------------------------------------------------------------------
// a pylsp parent -> fp-jsonrpc's serveStdio
// -------------------------------------------------------------------------------------

describe("a pylsp-jsonrpc parent, talking to fp-jsonrpc's serveStdio", () => {
  let report: Record<string, unknown>

  beforeAll(async () => {
    report = (await runPython('pylsp_parent.py', [process.execPath, tsxCli, fixture('stdio-server.ts')], 25_000)) as Record<string, unknown>
  })

  it('calls by name and by position, and without params', () => {
    expect(report).toMatchObject({ byName: { result: 19 }, byPosition: { result: 19 }, noParams: { result: 'fp-jsonrpc' } })
  })

  it('carries non-ASCII text, and a message of 200 kB', () => {
    const text = 'héllo € 😀 "quoted"\n'
    expect(report).toMatchObject({ unicode: { sent: text, echo: { result: text } }, bigEchoedWhole: true })
  })

  it('reads our errors as its exception classes, data included', () => {
    expect(report).toMatchObject({
      typedError: { raised: 'JsonRpcException', code: 1, message: 'Division by zero', data: { dividend: 1 } },
      refused: { raised: 'JsonRpcServerError', code: -32000, message: 'Refused', data: null },
      invalidParams: {
        raised: 'JsonRpcInvalidParams',
        code: -32602,
        message: 'Invalid params',
        data: ['params.minuend: expected number, got "x"', 'params.subtrahend: expected number, got nothing'],
      },
      notFound: { raised: 'JsonRpcMethodNotFound', code: -32601, message: 'Method not found', data: null },
      internal: { raised: 'JsonRpcException', code: -32603, message: 'Internal error', data: null },
    })
    expect(JSON.stringify(report)).not.toContain('hunter2')
  })

  it('its notification reaches us; ours, sent as we start, reaches it', () => {
    expect(report).toMatchObject({ logged: { result: ['from pylsp'] }, tickedAtStart: true, ticks: [1] })
  })

  it('we call it back while answering its call', () => {
    expect(report).toMatchObject({ askBack: { result: 'fp-jsonrpc asked pylsp parent' } })
  })

  it('50 calls in flight at once are each answered', () => {
    expect(report['inFlight']).toEqual(Array.from({ length: 50 }, (_, i) => i - 1))
  })

  it('closing our stdin makes our server exit 0', () => {
    expect(report).toMatchObject({ exitCode: 0 })
  })
})
