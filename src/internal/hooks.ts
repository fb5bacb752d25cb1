/**
 * Calling a user's hook (an observer, a logger, a transport's pause) from inside the library.
 *
 * @internal
 */

/**
 * Calls `hook` with `args`, if there is a hook. What it throws is swallowed: an observer's failure
 * must never break the connection, the server or the message at hand. Returns nothing, on purpose:
 * a hook that must answer something is not an observer, and gets its own error handling.
 */
export const safely = <A extends ReadonlyArray<unknown>>(hook: ((...args: A) => unknown) | undefined, ...args: A): void => {
  if (hook === undefined) return
  try {
    hook(...args)
  } catch {
    // An observer's failure is not ours to report.
  }
}
