/**
 * The server side of http-contract.ts: the handlers and the dispatcher every HTTP example server
 * serves. The dispatcher's context is what the transport knows of the request, here one header.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Dispatch, Registry } from 'fp-jsonrpc'
import { Divide, Log, Sleep, Subtract, WhoAmI } from './http-contract.js'

/** What each server adapter takes from an HTTP request for the handlers. */
export interface RequestInfo {
  readonly user: string | undefined
}

const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
  Registry.add(Divide, ({ dividend, divisor }) =>
    divisor === 0 ? E.left({ code: 1 as const, message: 'Division by zero', data: { dividend } }) : E.right(dividend / divisor),
  ),
  Registry.add(Log, ({ line }) => {
    console.log(`log: ${line}`)
    return E.right(undefined)
  }),
  Registry.add(WhoAmI, (_params: {}, { user }: RequestInfo) => E.right(user ?? 'anonymous')),
  Registry.add(Sleep, ({ ms }) => TE.rightTask(() => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)))),
)

export const dispatcher = Dispatch.make(registry, {
  // Unknown exceptions answer -32603 with nothing of their text; they are logged here instead.
  onDefect: (cause, request) => console.error(`defect in ${request?.method ?? 'a message'}:`, cause),
})

/** The one header the handlers read, from a header getter of any framework. */
export const requestInfo = (header: (name: string) => string | null | undefined): RequestInfo => ({ user: header('x-user') ?? undefined })
