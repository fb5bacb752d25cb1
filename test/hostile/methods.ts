/**
 * The server every hostile test runs against, on every transport: the specification's `subtract`
 * (the probe), and handlers that misbehave on purpose. `secret` throws an error whose message holds
 * {@link SECRET}, which must never reach a peer; `notifyThrows` is a notification whose handler throws;
 * `bigint` and `circular` answer results JSON cannot carry; `sleep` is asynchronous (at most 50 ms).
 *
 * Also run as a program (test/hostile/stdio-server.ts) so the stdio transport serves the same methods.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Dispatch, Method, Registry } from '../../src/index.js'

/** A marker that stands for whatever a server must never send: exception text, a path, a stack. */
export const SECRET = 'SECRET-7f3a9c /etc/shadow at Object.<anonymous> (/srv/app/handler.ts:13:7)'

export const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
export const Secret = Method.make({ name: 'secret', result: t.number })
export const NotifyThrows = Method.make({ name: 'notifyThrows' })
export const BigIntResult = Method.make({ name: 'bigint' })
export const Circular = Method.make({ name: 'circular' })
export const Sleep = Method.make({ name: 'sleep', params: t.type({ ms: t.number }), result: t.number })

/** What `onDefect` was told: the causes stay on the server. */
export const defects: Array<unknown> = []

export const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Secret, () => {
    throw new Error(SECRET)
  }),
  Registry.add(NotifyThrows, () => {
    throw new Error(SECRET)
  }),
  Registry.add(BigIntResult, () => E.right(2n ** 64n)),
  Registry.add(Circular, () => {
    const o: Record<string, unknown> = { a: 1 }
    o['self'] = o
    return E.right(o)
  }),
  Registry.add(Sleep, ({ ms }) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), Math.min(Math.max(ms, 0), 50)))),
)

export const dispatcher = Dispatch.make(registry, { onDefect: (cause) => void defects.push(cause) })

/** The call made after every hostile input: the server still serves when it answers 19. */
export const probe = (id: string): string => `{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":${JSON.stringify(id)}}`
export const probeAnswer = (id: string): string => `{"jsonrpc":"2.0","result":19,"id":${JSON.stringify(id)}}`
