/// <reference types="node" preserve="true" />
/**
 * fp-jsonrpc over node:http: {@link listener} serves a dispatcher as a request listener (for
 * `http.createServer`, and express or connect as middleware), and {@link serve} starts a server with
 * it and stops it gracefully. The wire rules are those of the Fetch handler (`fp-jsonrpc/fetch`):
 * both run the same exchange, and take the options of `fp-jsonrpc/fetch`'s `Rules`. The client transport is `fp-jsonrpc/fetch`'s `transport`, as Node has `fetch`.
 *
 * @since 0.1.0
 */
export { listener } from './listener.js'
export type {
  Listener,
  Options as ListenerOptions,
  OptionsWithContext as ListenerOptionsWithContext,
  OptionsWithAuthenticate as ListenerOptionsWithAuthenticate,
} from './listener.js'
export { defaultTimeouts, serve } from './serve.js'
export type { ListenError, Server, ServeOptions } from './serve.js'
