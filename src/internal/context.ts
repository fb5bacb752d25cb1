/**
 * The context argument of an entry point: required when the handlers need a context, optional when
 * they need none (`unknown`). Every entry point that takes a context spreads this tuple, so that
 * `dispatch(text)` type-checks exactly when nothing is needed.
 *
 * @internal
 */

/** `[context?: B]` when `B` is `unknown` (nothing needed), `[context: B]` otherwise. */
export type ContextArg<B> = unknown extends B ? [context?: B] : [context: B]
