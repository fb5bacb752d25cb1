/**
 * The contracts the WebSocket examples share: ws-server.ts implements the server's, ws-client.ts
 * calls them and implements the client's. One declaration, both ends, both directions.
 */
import * as t from 'io-ts'
import { Method, RpcError } from 'fp-jsonrpc'

// -------------------------------------------------------------------------------------
// served by the server
// -------------------------------------------------------------------------------------

export const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  description: 'minuend - subtrahend',
})

export const TooFast = RpcError.typed(1, t.type({ minimumMs: t.number }), 'TooFast')

export const Subscribe = Method.make({
  name: 'ticks.subscribe',
  params: t.type({ everyMs: t.number }),
  result: t.string,
  error: TooFast,
  description: 'sends a `ticks.tick` notification every `everyMs` ms until unsubscribed; answers the subscription id',
})

export const Unsubscribe = Method.make({
  name: 'ticks.unsubscribe',
  params: t.type({ subscription: t.string }),
  result: t.boolean,
  description: 'stops a subscription; answers whether there was one',
})

// -------------------------------------------------------------------------------------
// served by the client
// -------------------------------------------------------------------------------------

export const Tick = Method.make({
  name: 'ticks.tick',
  params: t.type({ subscription: t.string, n: t.number, at: t.string }),
  description: 'one tick of a subscription (a notification)',
})

export const Hello = Method.make({
  name: 'hello',
  params: t.type({ connections: t.number }),
  result: t.string,
  description: 'the server greets a new client, which answers with its name',
})
