/**
 * Until rpc.discover lands (the d10-schema branch): the demo's HTTP methods, with a dispatcher that
 * answers `rpc.discover` with the hand-written OpenRPC 1.3.2 document of test/fixtures/explorer/.
 */
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as T from 'fp-ts/lib/Task.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Dispatch, Registry } from 'fp-jsonrpc'
import { serve } from 'fp-jsonrpc/http'
import { Log, Sleep, Subtract, Sum, Withdraw } from '../../examples/demo/contract.js'

const doc: unknown = JSON.parse(readFileSync(new URL('../fixtures/explorer/demo.openrpc.json', import.meta.url), 'utf8'))
const inner = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
    Registry.add(Sum, (numbers) => E.right(numbers.reduce((a, b) => a + b, 0))),
    Registry.add(Sleep, ({ ms }) => pipe(TE.right({ slept: ms }), T.delay(ms))),
    Registry.add(Withdraw, ({ amount }) =>
      amount > 100 ? E.left({ code: 1001 as const, message: 'Insufficient funds', data: { balance: 100 } }) : E.right({ balance: 100 - amount }),
    ),
    Registry.add(Log, () => undefined),
  ),
)
const dispatcher = {
  ...inner,
  dispatch: (input: string) => {
    const message = JSON.parse(input) as { method?: unknown; id?: unknown }
    return message.method === 'rpc.discover' ? JSON.stringify({ jsonrpc: '2.0', result: doc, id: message.id }) : inner.dispatch(input)
  },
}
const started = await serve({ dispatcher, path: '/rpc', explorer: { path: '/' }, port: Number(process.env['PORT'] ?? 0) })()
if (E.isLeft(started)) throw new Error('could not listen')
console.log(`fixture demo\n  HTTP:      ${started.right.url}\n  Explorer:  ${started.right.url.replace(/rpc$/, '')} (in a browser)`)
