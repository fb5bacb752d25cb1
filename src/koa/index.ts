/**
 * JSON-RPC 2.0 in a Koa application: {@link middleware} serves a dispatcher as Koa middleware, with
 * the wire rules, limits and answers of the node:http listener (`fp-jsonrpc/http`) and the Fetch
 * handler (`fp-jsonrpc/fetch`, whose `Rules` are its options): all of them run the same exchange.
 * Koa is an optional peer dependency, and only its types are used: this entry point loads nothing of
 * Koa at run time. `import { middleware } from 'fp-jsonrpc/koa'`.
 *
 * See docs/transports-http.md.
 *
 * @since 0.2.0
 */
export { middleware } from './middleware.js'
export type { Middleware, Options, OptionsWithAuthenticate, OptionsWithContext } from './middleware.js'
