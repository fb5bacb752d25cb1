/**
 * The contracts the HTTP examples share: the servers (http-server.ts, express.ts, hono.ts) implement
 * them in http-methods.ts, and the client (http-client.ts) calls them. One declaration, both ends.
 */
import * as t from 'io-ts'
import { Method, RpcError } from 'fp-jsonrpc'

export const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  description: 'minuend - subtrahend',
})

export const DivisionByZero = RpcError.typed(1, t.type({ dividend: t.number }), 'DivisionByZero')

export const Divide = Method.make({
  name: 'divide',
  params: t.type({ dividend: t.number, divisor: t.number }),
  result: t.number,
  error: DivisionByZero,
  sendParamsBy: 'position',
})

export const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })

export const WhoAmI = Method.make({ name: 'whoami', result: t.string, description: 'the x-user header of the request' })

export const Sleep = Method.make({ name: 'sleep', params: t.type({ ms: t.number }), result: t.number })
