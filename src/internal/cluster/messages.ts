/**
 * The messages the primary and its workers exchange over the IPC channel node:cluster opens. Each
 * is an object with one key of this module's, so that they are told apart from the messages the
 * user's own code sends on the same channel.
 *
 * @internal
 */

const KEY = 'fp-jsonrpc/cluster'

/** A worker tells its primary that its start function succeeded. */
export const ready = { [KEY]: 'ready' } as const

/** The primary asks a worker to stop gracefully. */
export const stop = { [KEY]: 'stop' } as const

/** Whether `message` is `expected` (one of this module's messages). */
export const is = (message: unknown, expected: typeof ready | typeof stop): boolean =>
  typeof message === 'object' && message !== null && (message as Record<string, unknown>)[KEY] === expected[KEY]
