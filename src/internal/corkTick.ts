/// <reference types="node" preserve="true" />
/**
 * The writes of one tick, sent together: the stream is corked at the first write of a tick and
 * uncorked on the next, so that the answers to the messages of one read, or the calls made in one
 * tick, leave in one system call. With 100 calls in flight, a system call per message was most of
 * the time of a call (bench:transports). The stream transport corks its writable stream; the
 * WebSocket transport the TCP socket under the WebSocket.
 *
 * @internal
 */

/** What can be corked: a Node writable stream, a socket. */
export interface Corkable {
  readonly cork: () => void
  readonly uncork: () => void
}

/** Gives the function to call before each write to `stream`. */
export const corkTick = (stream: Corkable): (() => void) => {
  let corked = false
  const uncork = (): void => {
    corked = false
    stream.uncork()
  }
  return () => {
    if (corked) return
    corked = true
    stream.cork()
    process.nextTick(uncork)
  }
}
