/**
 * JSON-RPC 2.0 in a Fastify application: {@link plugin} serves a dispatcher as a Fastify plugin,
 * with the wire rules, limits and answers of the node:http listener (`fp-jsonrpc/http`) and the
 * Fetch handler (`fp-jsonrpc/fetch`, whose `Rules` are its options): all of them run the same
 * exchange. Fastify is an optional peer dependency, and only its types are used: this entry point
 * loads nothing of Fastify at run time. `import { plugin } from 'fp-jsonrpc/fastify'`.
 *
 * See docs/transports-http.md.
 *
 * @since 0.2.0
 */
export { plugin } from './plugin.js'
export type { Options, OptionsWithAuthenticate, OptionsWithContext, Plugin } from './plugin.js'
