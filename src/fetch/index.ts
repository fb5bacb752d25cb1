/**
 * fp-jsonrpc over the Fetch API, runtime-neutral (no `node:` module): {@link handler} serves a
 * dispatcher as a `(request: Request) => Promise<Response>` function for Hono, Bun, Deno and workers,
 * and {@link transport} is the client transport that `POST`s each message with `fetch`. `Rules` is
 * what the HTTP servers here and in `fp-jsonrpc/http` take and answer with: their options, CORS, the
 * authentication hook and its refusals.
 *
 * @since 0.1.0
 */
export { handler } from './handler.js'
export type {
  Handler,
  Options as HandlerOptions,
  OptionsWithContext as HandlerOptionsWithContext,
  OptionsWithAuthenticate as HandlerOptionsWithAuthenticate,
} from './handler.js'
export { defaultMaxResponseBytes, formatError, transport } from './transport.js'
export type { Fetch, HttpError, Options as TransportOptions } from './transport.js'
export * as Rules from './rules.js'
