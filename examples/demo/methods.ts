/**
 * The demo's methods (`npm start`, and the workers of `npm run start:cluster`): arithmetic, a typed
 * application error, a notification, a slow call, and WebSocket ticks.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as T from 'fp-ts/lib/Task.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Client, Registry, RpcError } from 'fp-jsonrpc'
import type * as Ws from 'fp-jsonrpc/ws'
import { Log, Sleep, Subscribe, Subtract, Sum, Tick, Withdraw } from './contract.js'

/** What each call knows of its caller: the WebSocket connection, when it came over one. */
export interface Context {
  readonly connection?: Ws.ServerConnection
}

export const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Sum, (numbers) => E.right(numbers.reduce((a, b) => a + b, 0))),
  Registry.add(Sleep, ({ ms }) => {
    const slept = Math.max(0, Math.min(5000, ms))
    return pipe(TE.right({ slept }), T.delay(slept))
  }),
  Registry.add(Withdraw, ({ amount }) =>
    amount > 100 ? E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance: 100 } }) : E.right({ balance: 100 - amount }),
  ),
  Registry.add(Log, ({ line }) => console.log(`log: ${line}`)),
  Registry.add(Subscribe, ({ every, count }, context: Context) => {
    const connection = context.connection
    if (connection === undefined) return E.left(RpcError.serverError(-32000, 'subscribe needs a WebSocket connection'))
    const total = Math.max(0, Math.min(100, count))
    let n = 0
    const timer = setInterval(
      () => {
        n++
        void pipe(connection.client, Client.notify(Tick, { n }))()
        if (n >= total) clearInterval(timer)
      },
      Math.max(10, every),
    )
    void connection.closed.then(() => clearInterval(timer))
    return E.right('subscribed' as const)
  }),
  Registry.withIntrospection,
  // rpc.discover: the OpenRPC document of these contracts. It names no servers itself: the port is
  // chosen when the server starts, so each document names the URL its request came in at.
  Registry.withDiscovery({
    title: 'fp-jsonrpc demo',
    version: '0.2.0',
    description: 'The demo service of fp-jsonrpc: arithmetic, a typed application error, a notification and WebSocket ticks.',
  }),
)
