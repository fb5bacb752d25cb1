import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Client, Dispatch, Method, Peer as _, Registry, RpcError } from '../src/index.js'

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Whoami = Method.make({ name: 'whoami', result: t.string })
const Slow = Method.make({ name: 'slow', params: t.type({ ms: t.number }), result: t.number })
const Tick = Method.make({ name: 'tick', params: t.type({ n: t.number }) })

/** Two peers connected back to back, each with its own methods, as a socket would join them. */
const pair = (options: { readonly timeoutMs?: number } = {}) => {
  const ticks: Array<number> = []
  const serverSide = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
      Registry.add(Slow, ({ ms }) => new Promise<number>((r) => setTimeout(() => r(ms), ms))),
      Registry.add(Whoami, () => 'server'),
    ),
  )
  const clientSide = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Whoami, () => 'client'),
      Registry.add(Tick, ({ n }) => {
        ticks.push(n)
      }),
    ),
  )
  const wire: Array<string> = []
  const a: _.Peer = _.make({ write: (text) => (wire.push(`a> ${text}`), void b.receive(text)), dispatcher: clientSide, ...options })
  const b: _.Peer = _.make({ write: (text) => (wire.push(`b> ${text}`), void a.receive(text)), dispatcher: serverSide, ...options })
  return { a, b, ticks, wire }
}

describe('calls in both directions over one connection', () => {
  it('a calls b and b calls a, each answered by the other side', async () => {
    const { a, b } = pair()
    expect(await pipe(Client.make(a.transport), Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(await pipe(Client.make(a.transport), Client.call(Whoami))()).toEqual(E.right('server'))
    expect(await pipe(Client.make(b.transport), Client.call(Whoami))()).toEqual(E.right('client'))
  })

  it('matches answers that arrive out of order to their calls', async () => {
    const { a } = pair()
    const client = Client.make(a.transport)
    const [slow, fast] = await Promise.all([pipe(client, Client.call(Slow, { ms: 30 }))(), pipe(client, Client.call(Slow, { ms: 1 }))()])
    expect(slow).toEqual(E.right(30))
    expect(fast).toEqual(E.right(1))
    expect(a.pending()).toBe(0)
  })

  it('carries a batch and its answer as one message each way', async () => {
    const { a, wire } = pair()
    const out = await pipe(Client.make(a.transport), Client.batch(Client.call(Subtract, { minuend: 3, subtrahend: 1 }), Client.call(Whoami)))()
    expect(out).toEqual(E.right([E.right(2), E.right('server')]))
    expect(wire.filter((w) => w.startsWith('a> ['))).toHaveLength(1)
    expect(wire.filter((w) => w.startsWith('b> ['))).toHaveLength(1)
  })

  it('sends notifications without waiting, and the other side runs them', async () => {
    const { a, b, ticks } = pair()
    expect(await pipe(Client.make(b.transport), Client.notify(Tick, { n: 7 }))()).toEqual(E.right(undefined))
    await new Promise((r) => setImmediate(r))
    expect(ticks).toEqual([7])
    expect(a.pending()).toBe(0)
  })
})

describe('pending calls', () => {
  it('time out with a typed error and leave nothing pending', async () => {
    const { a } = pair({ timeoutMs: 10 })
    const out = await pipe(Client.make(a.transport), Client.call(Slow, { ms: 200 }))()
    expect(out).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 10 } }))
    expect(a.pending()).toBe(0)
  })

  it('all fail with Closed when the connection closes, and new calls fail at once', async () => {
    const { a } = pair()
    const client = Client.make(a.transport)
    const calls = Promise.all([pipe(client, Client.call(Slow, { ms: 200 }))(), pipe(client, Client.call(Slow, { ms: 300 }))()])
    await new Promise((r) => setImmediate(r))
    expect(a.pending()).toBe(2)
    a.close()
    expect(await calls).toEqual([E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } }), E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } })])
    expect(await pipe(client, Client.call(Whoami))()).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } }))
  })

  it('fail with WriteFailed when the write throws', async () => {
    const peer = _.make({
      write: () => {
        throw new Error('socket gone')
      },
    })
    const out = await pipe(Client.make(peer.transport), Client.call(Whoami))()
    expect(E.isLeft(out) && out.left._tag === 'TransportError' && out.left.error._tag).toBe('WriteFailed')
    expect(peer.pending()).toBe(0)
  })

  it('refuse an id that is already pending', async () => {
    const peer = _.make({ write: () => undefined, timeoutMs: 50 })
    const first = peer.transport.send('{"jsonrpc":"2.0","method":"x","id":1}', { ids: [1] })()
    const second = await peer.transport.send('{"jsonrpc":"2.0","method":"x","id":1}', { ids: [1] })()
    expect(second).toEqual(E.left({ _tag: 'DuplicateId', id: 1 }))
    expect(await first).toEqual(E.left({ _tag: 'Timeout', ms: 50 }))
  })
})

describe('incoming messages', () => {
  it('answers garbage with the spec error and ignores responses that match no call', async () => {
    const written: Array<string> = []
    const unmatched: Array<unknown> = []
    const peer = _.make({ write: (text) => void written.push(text), onUnmatched: (m) => void unmatched.push(m) })
    peer.receive('{"jsonrpc":"2.0","method"')
    peer.receive('{"jsonrpc":"2.0","method":"nope","id":3}')
    peer.receive('{"jsonrpc":"2.0","result":1,"id":99}')
    expect(written).toEqual([
      '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}',
      '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":3}',
    ])
    expect(unmatched).toEqual([{ jsonrpc: '2.0', result: 1, id: 99 }])
  })

  it('gives an error with id null to the one pending call', async () => {
    const peer = _.make({ write: () => undefined })
    const call = peer.transport.send('{"jsonrpc":"2.0","method":"x","id":1}', { ids: [1] })()
    peer.receive('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    expect(await call).toEqual(E.right('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'))
  })
})

describe('per-call options', () => {
  it("a call's own timeoutMs replaces the peer's", async () => {
    const { a } = pair({ timeoutMs: 10_000 })
    const out = await pipe(Client.make(a.transport), Client.call(Slow, { ms: 200 }, { timeoutMs: 10 }))()
    expect(out).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Timeout', ms: 10 } }))
    expect(a.pending()).toBe(0)
  })

  it('an aborted signal ends the wait with Aborted and removes the pending call', async () => {
    const { a } = pair()
    const controller = new AbortController()
    const call = pipe(Client.make(a.transport), Client.call(Slow, { ms: 200 }, { signal: controller.signal }))()
    await new Promise((r) => setImmediate(r))
    expect(a.pending()).toBe(1)
    controller.abort('user gave up')
    expect(await call).toEqual(E.left({ _tag: 'TransportError', error: { _tag: 'Aborted', reason: 'user gave up' } }))
    expect(a.pending()).toBe(0)
  })

  it('a signal aborted before the call sends nothing', async () => {
    const written: Array<string> = []
    const peer = _.make({ write: (text) => void written.push(text) })
    const out = await peer.transport.send('{"jsonrpc":"2.0","method":"x","id":1}', { ids: [1], signal: AbortSignal.abort('no') })()
    expect(out).toEqual(E.left({ _tag: 'Aborted', reason: 'no' }))
    expect(written).toEqual([])
  })
})

describe('incoming work is bounded (maxInFlight, overload)', () => {
  const Hold = Method.make({ name: 'hold', params: t.type({ n: t.number }), result: t.number })
  const Echo = Method.make({ name: 'echo', params: t.type({ n: t.number }), result: t.number })
  const setup = (overload: 'pause' | 'refuse') => {
    const releases: Array<() => void> = []
    const dispatcher = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Hold, ({ n }) => new Promise<number>((resolve) => releases.push(() => resolve(n)))),
        Registry.add(Echo, ({ n }) => n),
      ),
    )
    const written: Array<string> = []
    const flow: Array<'pause' | 'resume'> = []
    const peer = _.make({
      write: (text) => void written.push(text),
      dispatcher,
      maxInFlight: 2,
      maxQueued: 1,
      overload,
      pause: () => void flow.push('pause'),
      resume: () => void flow.push('resume'),
    })
    return { peer, written, releases, flow }
  }
  const hold = (n: number) => `{"jsonrpc":"2.0","method":"hold","params":{"n":${n}},"id":${n}}`
  const echo = (n: number) => `{"jsonrpc":"2.0","method":"echo","params":{"n":${n}},"id":${n}}`
  const flush = () => new Promise((r) => setImmediate(r))

  it('answers a synchronous dispatch at once, taking no place', () => {
    const { peer, written, flow } = setup('pause')
    for (let n = 1; n <= 1000; n++) peer.receive(echo(n))
    expect(written).toHaveLength(1000)
    expect(written[999]).toBe('{"jsonrpc":"2.0","result":1000,"id":1000}')
    expect(flow).toEqual([])
    expect(peer.incoming()).toBe(0)
  })

  it('by default, asks the transport to pause when every place is taken, keeps what was read, and resumes', async () => {
    const { peer, written, releases, flow } = setup('pause')
    for (const n of [1, 2, 3, 4]) peer.receive(hold(n))
    peer.receive(echo(5))
    await flush()
    expect(releases).toHaveLength(2)
    expect(flow).toEqual(['pause'])
    expect(written).toEqual([]) // nothing refused, and the echo waits its turn, in order
    expect(peer.incoming()).toBe(5)
    releases[0]?.()
    await flush()
    expect(releases).toHaveLength(3)
    expect(flow).toEqual(['pause'])
    releases[1]?.()
    releases[2]?.()
    await flush()
    releases[3]?.()
    await peer.drained()
    expect(flow).toEqual(['pause', 'resume'])
    expect([...written].sort()).toEqual([...[1, 2, 3, 4].map((n) => `{"jsonrpc":"2.0","result":${n},"id":${n}}`), '{"jsonrpc":"2.0","result":5,"id":5}'].sort())
  })

  it('with overload refuse: runs maxInFlight messages, queues maxQueued, and answers Server busy beyond', async () => {
    const { peer, written, releases, flow } = setup('refuse')
    for (const n of [1, 2, 3, 4]) peer.receive(hold(n))
    await flush()
    expect(releases).toHaveLength(2)
    expect(written).toEqual(['{"jsonrpc":"2.0","error":{"code":-32004,"message":"Server busy"},"id":4}'])
    releases[0]?.()
    await flush()
    expect(releases).toHaveLength(3) // the queued one took the free place
    releases[1]?.()
    releases[2]?.()
    await peer.drained()
    expect(written.slice(1).sort()).toEqual([1, 2, 3].map((n) => `{"jsonrpc":"2.0","result":${n},"id":${n}}`))
    expect(flow).toEqual([])
  })

  it('with overload refuse: answers each request of a refused batch, and drops its notifications', async () => {
    const { peer, written, releases } = setup('refuse')
    peer.receive(hold(1))
    peer.receive(hold(2))
    peer.receive(hold(3))
    await flush()
    peer.receive(`[${hold(7)},{"jsonrpc":"2.0","method":"hold","params":{"n":8}},${hold(9)}]`)
    expect(written).toEqual([
      '[{"jsonrpc":"2.0","error":{"code":-32004,"message":"Server busy"},"id":7},{"jsonrpc":"2.0","error":{"code":-32004,"message":"Server busy"},"id":9}]',
    ])
    for (const release of releases) release()
  })

  it('the busy error can be replaced', async () => {
    const written: Array<string> = []
    const peer = _.make({
      write: (text) => void written.push(text),
      dispatcher: Dispatch.make(
        pipe(
          Registry.empty,
          Registry.add(Hold, () => new Promise<number>(() => undefined)),
        ),
      ),
      maxInFlight: 1,
      maxQueued: 0,
      overload: 'refuse',
      busyError: RpcError.make(-32050, 'Try later'),
    })
    peer.receive(hold(1))
    peer.receive(hold(2))
    expect(written).toEqual(['{"jsonrpc":"2.0","error":{"code":-32050,"message":"Try later"},"id":2}'])
  })

  it("still routes responses to this side's calls while its dispatcher is full", async () => {
    const { peer, releases } = setup('pause')
    for (const n of [1, 2, 3]) peer.receive(hold(n))
    const call = peer.transport.send('{"jsonrpc":"2.0","method":"x","id":"mine"}', { ids: ['mine'] })()
    peer.receive('{"jsonrpc":"2.0","result":"ok","id":"mine"}')
    expect(await call).toEqual(E.right('{"jsonrpc":"2.0","result":"ok","id":"mine"}'))
    for (const release of releases) release()
  })
})

describe('a response with id null', () => {
  it('is not taken as the answer to the one pending call when it is a success', async () => {
    const unmatched: Array<unknown> = []
    const peer = _.make({ write: () => undefined, timeoutMs: 30, onUnmatched: (m) => void unmatched.push(m) })
    const call = peer.transport.send('{"jsonrpc":"2.0","method":"x","id":1}', { ids: [1] })()
    peer.receive('{"jsonrpc":"2.0","result":"forged","id":null}')
    expect(unmatched).toEqual([{ jsonrpc: '2.0', result: 'forged', id: null }])
    peer.receive('{"jsonrpc":"2.0","result":"real","id":1}')
    expect(await call).toEqual(E.right('{"jsonrpc":"2.0","result":"real","id":1}'))
  })
})

describe('cancellation on the wire ($/cancelRequest)', () => {
  const Wait = Method.make({ name: 'wait', params: t.type({}), result: t.string })
  const waitingHandler = () => {
    const aborted: Array<unknown> = []
    const dispatcher = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(
          Wait,
          (_p, _c, _r, control) =>
            new Promise<string>((resolve) => {
              control.signal.addEventListener('abort', () => {
                aborted.push(control.signal.reason)
                // A handler that answers anyway once aborted: that late answer must be dropped.
                setTimeout(() => resolve('late'), 5)
              })
            }),
        ),
      ),
    )
    return { dispatcher, aborted }
  }
  const wait = (id: number | string) => `{"jsonrpc":"2.0","method":"wait","params":{},"id":${JSON.stringify(id)}}`
  const cancel = (id: number | string) => `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":${JSON.stringify(id)}}}`
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it('a cancelled request aborts its handler and is answered -32800 at once, exactly once', async () => {
    const { dispatcher, aborted } = waitingHandler()
    const written: Array<string> = []
    const peer = _.make({ write: (text) => void written.push(text), dispatcher })
    peer.receive(wait(7))
    peer.receive(wait('other'))
    expect(peer.incoming()).toBe(2)
    peer.receive(cancel(7))
    expect(written).toEqual(['{"jsonrpc":"2.0","error":{"code":-32800,"message":"Request cancelled"},"id":7}'])
    expect(aborted).toHaveLength(1)
    await pause(20)
    expect(written).toHaveLength(1) // the handler's late answer was dropped
    expect(peer.incoming()).toBe(1) // the other request still runs
    peer.receive(cancel(7)) // answered already: nothing more
    expect(written).toHaveLength(1)
  })

  it('a request cancelled while it waits for a place is answered -32800 and never runs', async () => {
    const { dispatcher, aborted } = waitingHandler()
    const written: Array<string> = []
    const peer = _.make({ write: (text) => void written.push(text), dispatcher, maxInFlight: 1 })
    peer.receive(wait(1))
    peer.receive(wait(2))
    peer.receive(cancel(2))
    expect(written).toEqual([])
    peer.receive(cancel(1))
    await pause(20)
    expect(written).toEqual([
      '{"jsonrpc":"2.0","error":{"code":-32800,"message":"Request cancelled"},"id":1}',
      '{"jsonrpc":"2.0","error":{"code":-32800,"message":"Request cancelled"},"id":2}',
    ])
    expect(aborted).toHaveLength(1) // only the first one ran
  })

  it('the cancelled answer can be replaced, and cancellation turned off', async () => {
    const { dispatcher } = waitingHandler()
    const written: Array<string> = []
    const peer = _.make({ write: (text) => void written.push(text), dispatcher, cancelledError: RpcError.make(-32099, 'Gave up') })
    peer.receive(wait(1))
    peer.receive(cancel(1))
    expect(written).toEqual(['{"jsonrpc":"2.0","error":{"code":-32099,"message":"Gave up"},"id":1}'])
    const off: Array<string> = []
    const plain = _.make({ write: (text) => void off.push(text), dispatcher, cancellation: false, timeoutMs: 10 })
    plain.receive(wait(1))
    plain.receive(cancel(1)) // a notification like any other: the dispatcher has no such method, and says nothing
    const controller = new AbortController()
    const call = plain.transport.send(wait(5), { ids: [5], signal: controller.signal })()
    controller.abort()
    await call
    expect(off).toEqual([wait(5)]) // no $/cancelRequest sent
  })

  it('an aborted or timed-out call of this side sends $/cancelRequest with its id', async () => {
    const written: Array<string> = []
    const peer = _.make({ write: (text) => void written.push(text), timeoutMs: 10 })
    const controller = new AbortController()
    const aborted = peer.transport.send(wait(1), { ids: [1], signal: controller.signal })()
    controller.abort('stop')
    expect(await aborted).toEqual(E.left({ _tag: 'Aborted', reason: 'stop' }))
    expect(await peer.transport.send(wait('b'), { ids: ['b'] })()).toEqual(E.left({ _tag: 'Timeout', ms: 10 }))
    expect(written).toEqual([wait(1), cancel(1), wait('b'), cancel('b')])
  })

  it('two peers: aborting a call aborts the handler on the other side', async () => {
    const { dispatcher, aborted } = waitingHandler()
    const a: _.Peer = _.make({ write: (text) => b.receive(text) })
    const b: _.Peer = _.make({ write: (text) => a.receive(text), dispatcher })
    const client = Client.make(a.transport)
    const controller = new AbortController()
    const call = pipe(client, Client.call(Wait, {}, { signal: controller.signal }))()
    await pause(5)
    controller.abort()
    expect(E.isLeft(await call)).toBe(true)
    await pause(5)
    expect(aborted).toHaveLength(1)
  })
})

describe('what is and is not an answer', () => {
  it('an id of a pending call, no method, neither result nor error: an invalid response to that call', async () => {
    const written: Array<string> = []
    const peer = _.make({ write: (text) => void written.push(text) })
    const client = Client.make(peer.transport)
    const Ping = Method.make({ name: 'ping', params: t.type({}), result: t.string })
    const call = pipe(client, Client.call(Ping, {}))()
    peer.receive('{"jsonrpc":"2.0","id":1}')
    const out = await call
    expect(E.isLeft(out) && out.left._tag).toBe('InvalidResponse')
    expect(written).toEqual(['{"jsonrpc":"2.0","method":"ping","params":{},"id":1}'])
  })

  it('with no pending call of that id, it goes to the dispatcher: Invalid Request', () => {
    const written: Array<string> = []
    const peer = _.make({ write: (text) => void written.push(text) })
    peer.receive('{"jsonrpc":"2.0","id":1}')
    expect(written).toEqual(['{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1}'])
  })

  it('bytes: not UTF-8, or a leading byte order mark, is a Parse error', () => {
    const written: Array<string> = []
    const peer = _.make({ write: (text) => void written.push(text) })
    peer.receiveBytes(Uint8Array.from([0x7b, 0xff, 0x7d]))
    peer.receiveBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('{"jsonrpc":"2.0","method":"x","id":1}')]))
    peer.receiveBytes(Buffer.from('{"jsonrpc":"2.0","method":"x","id":2}'))
    expect(written).toEqual([
      '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}',
      '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}',
      '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":2}',
    ])
  })
})

describe('internal/json', () => {
  it('PARSE_ERROR_TEXT is the Parse error response as JSON.stringify writes it', async () => {
    const { PARSE_ERROR_TEXT } = await import('../src/internal/json.js')
    const { RpcResponse } = await import('../src/index.js')
    expect(PARSE_ERROR_TEXT).toBe(JSON.stringify(RpcResponse.failure(RpcError.parseError(), null)))
  })
})
