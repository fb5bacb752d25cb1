/**
 * fp-jsonrpc: JSON-RPC 2.0 on fp-ts and io-ts. Each module is exported as a namespace:
 * `import { Dispatch, Method, Registry } from 'fp-jsonrpc'`.
 *
 * @since 0.1.0
 */
export * as Batching from './Batching.js'
export * as Client from './Client.js'
export * as ClientError from './ClientError.js'
export * as Dispatch from './Dispatch.js'
export * as Handler from './Handler.js'
export * as Id from './Id.js'
export * as InMemory from './InMemory.js'
export * as JsonSchema from './JsonSchema.js'
export * as Introspection from './Introspection.js'
export * as Method from './Method.js'
export * as Middleware from './Middleware.js'
export * as OpenRpc from './OpenRpc.js'
export * as ParamReporter from './ParamReporter.js'
export * as Params from './Params.js'
export * as Peer from './Peer.js'
export * as Registry from './Registry.js'
export * as Retry from './Retry.js'
export * as RpcError from './RpcError.js'
export * as RpcRequest from './RpcRequest.js'
export * as RpcResponse from './RpcResponse.js'
export * as Transport from './Transport.js'
