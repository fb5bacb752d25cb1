/**
 * Client and server together through the in-memory transport: the same contracts on both ends,
 * the messages carried as text exactly as a network would carry them.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import * as _ from '../src/InMemory.js'
import { Client, ClientError, Dispatch, Method, Registry, RpcError, type RpcRequest, type Transport } from '../src/index.js'

// -------------------------------------------------------------------------------------
// contracts, shared by both ends
// -------------------------------------------------------------------------------------

const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
})
const SubtractByPosition = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  sendParamsBy: 'position',
})
const Sum = Method.make({ name: 'sum', params: t.array(t.number), result: t.number })
const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }), 'InsufficientFunds')
const AccountFrozen = RpcError.typed(1002, t.type({ until: t.string }), 'AccountFrozen')
const Withdraw = Method.make({
  name: 'withdraw',
  params: t.type({ amount: t.number }),
  result: t.type({ balance: t.number }),
  error: t.union([InsufficientFunds, AccountFrozen]),
})
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const WhoAmI = Method.make({ name: 'whoami', result: t.string })
const Slow = Method.make({ name: 'slow', params: t.type({ ms: t.number }), result: t.number })

// The server's contract of "version" answers a string; a client that believes it is a number gets
// ResultDecodeError.
const VersionOnServer = Method.make({ name: 'version', result: t.type({ major: t.string }) })
const VersionOnClient = Method.make({ name: 'version', result: t.type({ major: t.number }) })

// A method the server does not implement.
const Missing = Method.make({ name: 'missing', result: t.unknown })

// -------------------------------------------------------------------------------------
// the server
// -------------------------------------------------------------------------------------

const makeServer = () => {
  const log: Array<string> = []
  const requests: Array<RpcRequest.RpcRequest> = []
  let balance = 10
  const registry = pipe(
    Registry.empty,
    Registry.add(Subtract, ({ minuend, subtrahend }, _ctx, request) => {
      requests.push(request)
      return E.right(minuend - subtrahend)
    }),
    Registry.add(Sum, (xs) => E.right(xs.reduce((a, b) => a + b, 0))),
    Registry.add(Withdraw, ({ amount }) => {
      if (amount > balance) return E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance } })
      if (amount < 0) return E.left(RpcError.make(-32000, 'Negative amounts are refused'))
      balance -= amount
      return E.right({ balance })
    }),
    Registry.add(Log, ({ line }) => {
      log.push(line)
      return E.right(undefined)
    }),
    Registry.add(VersionOnServer, () => E.right({ major: '2' })),
    Registry.add(Slow, ({ ms }) => TE.rightTask(() => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)))),
  )
  return { dispatcher: Dispatch.make(registry), log, requests }
}

const setup = () => {
  const server = makeServer()
  return { ...server, client: Client.make(_.fromDispatcher(server.dispatcher)) }
}

// -------------------------------------------------------------------------------------
// tests
// -------------------------------------------------------------------------------------

describe('calls', () => {
  it('params by name', async () => {
    const { client, requests } = setup()
    expect(await pipe(client, Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(requests[0]?.params).toEqual({ minuend: 42, subtrahend: 23 })
  })

  it('params by position, read by the server in the same declared order', async () => {
    const { client, requests } = setup()
    expect(await pipe(client, Client.call(SubtractByPosition, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
    expect(requests[0]?.params).toEqual([42, 23])
  })

  it('params of an array codec', async () => {
    const { client } = setup()
    expect(await pipe(client, Client.call(Sum, [1, 2, 3, 4]))()).toEqual(E.right(10))
  })

  it('an asynchronous handler', async () => {
    const { client } = setup()
    expect(await pipe(client, Client.call(Slow, { ms: 5 }))()).toEqual(E.right(5))
  })

  it('composes in pipe with the rest of fp-ts', async () => {
    const { client } = setup()
    const program = pipe(
      client,
      Client.call(Subtract, { minuend: 42, subtrahend: 23 }),
      TE.chain((difference) => pipe(client, Client.call(Sum, [difference, 1]))),
    )
    expect(await program()).toEqual(E.right(20))
  })
})

describe('errors', () => {
  it('a typed application error, decoded with the contract error codec', async () => {
    const { client } = setup()
    const out = await pipe(client, Client.call(Withdraw, { amount: 100 }))()
    expect(out).toEqual(E.left(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: { balance: 10 } })))
    // the type says which errors there are: the data is typed per code
    if (E.isLeft(out) && out.left._tag === 'ApplicationError' && out.left.error.code === 1001) {
      const balance: number = out.left.error.data.balance
      expect(balance).toBe(10)
    }
  })

  it('an error the contract does not declare is an RpcError', async () => {
    const { client } = setup()
    expect(await pipe(client, Client.call(Withdraw, { amount: -1 }))()).toEqual(
      E.left(ClientError.rpcError({ code: -32000, message: 'Negative amounts are refused' })),
    )
  })

  it('Method not found', async () => {
    const { client } = setup()
    expect(await pipe(client, Client.call(Missing))()).toEqual(E.left(ClientError.rpcError({ code: -32601, message: 'Method not found' })))
  })

  it('Invalid params, when the two ends disagree on the params', async () => {
    const { client } = setup()
    const SubtractStrings = Method.make({ name: 'subtract', params: t.type({ minuend: t.string, subtrahend: t.string }), result: t.number })
    expect(await pipe(client, Client.call(SubtractStrings, { minuend: 'a', subtrahend: 'b' }))()).toEqual(
      E.left(
        ClientError.rpcError({
          code: -32602,
          message: 'Invalid params',
          data: ['params.minuend: expected number, got "a"', 'params.subtrahend: expected number, got "b"'],
        }),
      ),
    )
  })

  it('a result that fails the client contract is a ResultDecodeError', async () => {
    const { client } = setup()
    expect(await pipe(client, Client.call(VersionOnClient))()).toEqual(
      E.left(ClientError.resultDecodeError({ major: '2' }, ['result.major: expected number, got "2"'])),
    )
  })
})

describe('notifications', () => {
  it('reach the handler, and nothing comes back', async () => {
    const { client, log } = setup()
    expect(await pipe(client, Client.notify(Log, { line: 'started' }))()).toEqual(E.right(undefined))
    expect(log).toEqual(['started'])
  })

  it('of a method the server lacks are still answered with nothing', async () => {
    const { client } = setup()
    expect(await pipe(client, Client.notify(Missing))()).toEqual(E.right(undefined))
  })
})

describe('batches', () => {
  it('mixed success, errors and notifications, each answered in place', async () => {
    const { client, log } = setup()
    const out = await pipe(
      client,
      Client.batch(
        Client.call(Subtract, { minuend: 42, subtrahend: 23 }),
        Client.notify(Log, { line: 'in a batch' }),
        Client.call(Withdraw, { amount: 100 }),
        Client.call(Missing),
        Client.call(Slow, { ms: 5 }),
        Client.call(VersionOnClient),
        Client.call(SubtractByPosition, { minuend: 1, subtrahend: 2 }),
      ),
    )()
    expect(out).toEqual(
      E.right([
        E.right(19),
        E.right(undefined),
        E.left(ClientError.applicationError({ code: 1001, message: 'Insufficient funds', data: { balance: 10 } })),
        E.left(ClientError.rpcError({ code: -32601, message: 'Method not found' })),
        E.right(5),
        E.left(ClientError.resultDecodeError({ major: '2' }, ['result.major: expected number, got "2"'])),
        E.right(-1),
      ]),
    )
    expect(log).toEqual(['in a batch'])
  })

  it('of notifications only: nothing comes back, and every entry is Right', async () => {
    const { client, log } = setup()
    expect(await pipe(client, Client.batch(Client.notify(Log, { line: 'a' }), Client.notify(Log, { line: 'b' })))()).toEqual(
      E.right([E.right(undefined), E.right(undefined)]),
    )
    expect(log).toEqual(['a', 'b'])
  })
})

describe('fromDispatcher', () => {
  it('hands the context to the dispatcher', async () => {
    const registry = pipe(
      Registry.empty,
      Registry.add(WhoAmI, (_params, context: { readonly user: string }) => E.right(context.user)),
    )
    const dispatcher = Dispatch.make(registry)
    const client = Client.make(_.fromDispatcher(dispatcher, { user: 'ada' }))
    expect(await pipe(client, Client.call(WhoAmI))()).toEqual(E.right('ada'))
  })

  it('carries the message as text, and gives back the dispatcher text as it is', async () => {
    const { dispatcher } = setup()
    const transport = _.fromDispatcher(dispatcher)
    expect(await transport.send('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}', { ids: [1] })()).toEqual(
      E.right('{"jsonrpc":"2.0","result":19,"id":1}'),
    )
    expect(await transport.send('{"jsonrpc":"2.0","method":"log","params":{"line":"x"}}', { ids: [] })()).toEqual(E.right(undefined))
    expect(await transport.send('not json', { ids: [] })()).toEqual(E.right('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'))
  })

  it('turns a dispatcher that throws anyway into a transport error, so the call still settles', async () => {
    const broken = new Error('broken')
    const dispatcher: Dispatch.Dispatcher<unknown> = {
      ...setup().dispatcher,
      dispatch: () => {
        throw broken
      },
    }
    const transport: Transport.Transport = _.fromDispatcher(dispatcher)
    expect(await pipe(Client.make(transport), Client.call(Sum, [1]))()).toEqual(E.left(ClientError.transportError(broken)))
  })
})
