/**
 * The demo service's contracts: what `npm start` serves, and what its typed clients call.
 */
import * as t from 'io-ts'
import { Method, RpcError } from 'fp-jsonrpc'

/** Takes params by name (`{"minuend": 42, "subtrahend": 23}`) or by position (`[42, 23]`). */
export const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  description: 'minuend - subtrahend; params by name or by position',
  summary: 'Subtracts two numbers',
  tags: ['arithmetic'],
  examples: [{ name: '42 - 23', params: { minuend: 42, subtrahend: 23 }, result: 19 }],
})

/** Any number of numbers, by position. */
export const Sum = Method.make({
  name: 'sum',
  params: t.array(t.number),
  result: t.number,
  description: 'The sum of the numbers given by position',
  summary: 'Adds numbers',
  tags: ['arithmetic'],
  examples: [{ name: '1 + 2 + 3 + 4', params: [1, 2, 3, 4], result: 10 }],
})

/** Asynchronous: answers after `ms` milliseconds (at most 5000). */
export const Sleep = Method.make({
  name: 'sleep',
  params: t.type({ ms: t.number }),
  result: t.type({ slept: t.number }),
  description: 'Answers after ms milliseconds (0..5000)',
  summary: 'Waits, then answers',
  examples: [{ name: 'a short nap', params: { ms: 20 }, result: { slept: 20 } }],
})

export const InsufficientFunds = RpcError.typed(1001, t.type({ balance: t.number }), 'InsufficientFunds')

/** A typed application error: withdrawing more than the balance answers code 1001 with the balance. */
export const Withdraw = Method.make({
  name: 'withdraw',
  params: t.type({ amount: t.number }),
  result: t.type({ balance: t.number }),
  error: InsufficientFunds,
  description: 'Takes amount from a balance of 100; more than that answers InsufficientFunds',
  summary: 'Withdraws from a balance of 100',
  tags: ['account'],
  examples: [{ name: 'within the balance', params: { amount: 30 }, result: { balance: 70 } }],
})

/** A notification: logged on the server, never answered. */
export const Log = Method.make({
  name: 'log',
  params: t.type({ line: t.string }),
  description: 'Logs a line on the server (send it as a notification)',
  summary: 'Logs a line',
  examples: [{ name: 'a greeting', params: { line: 'hello' } }],
})

/** Over WebSocket: the server then sends `tick` notifications to this connection. */
export const Subscribe = Method.make({
  name: 'subscribe',
  params: t.type({ every: t.number, count: t.number }),
  result: t.literal('subscribed'),
  description: 'WebSocket only: sends count tick notifications, one every `every` ms',
})

/** What the server sends to subscribers. */
export const Tick = Method.make({ name: 'tick', params: t.type({ n: t.number }) })
