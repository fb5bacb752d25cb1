/**
 * Cases our typed client runs against any peer's HTTP server that serves the shared methods
 * (`subtract`, `divide`, `nope` unknown, `log`, `logged`) and answers notifications with no body.
 * Each peer's file calls this inside its own describe, after making `client` and `lines`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { expect, it } from 'vitest'
import { Client } from '../../src/index.js'
import * as Methods from './fixtures/methods.js'

export const notificationsAndBatches = (peer: () => { readonly client: Client.Client<unknown>; readonly lines: ReadonlyArray<string> }): void => {
  it('a notification is answered 204 and taken as delivered', async () => {
    const { client } = peer()
    expect(await pipe(client, Client.notify(Methods.Log, { line: 'one' }))()).toEqual(E.right(undefined))
    expect(await pipe(client, Client.call(Methods.Logged))()).toEqual(E.right(['one']))
  })

  it('a batch is answered entry by entry, matched by id', async () => {
    const { client } = peer()
    expect(
      await pipe(
        client,
        Client.batch(
          Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }),
          Client.notify(Methods.Log, { line: 'two' }),
          Client.call(Methods.Divide, { dividend: 7, divisor: 0 }),
          Client.call(Methods.Nope),
          Client.call(Methods.Logged),
        ),
      )(),
    ).toEqual(
      E.right([
        E.right(19),
        E.right(undefined),
        E.left({ _tag: 'ApplicationError', error: { code: 1, message: 'Division by zero', data: { dividend: 7 } } }),
        E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method not found' } }),
        E.right(['two']),
      ]),
    )
  })

  it('a batch of notifications only is answered 204 and taken as delivered', async () => {
    const { client, lines } = peer()
    expect(await pipe(client, Client.batch(Client.notify(Methods.Log, { line: 'a' }), Client.notify(Methods.Log, { line: 'b' })))()).toEqual(
      E.right([E.right(undefined), E.right(undefined)]),
    )
    expect(lines).toEqual(['a', 'b'])
  })
}
