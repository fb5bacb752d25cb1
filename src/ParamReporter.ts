/**
 * Renders {@link Params.ParamIssue}s as text, one line per issue, such as
 * `params.1: expected number, got "x"`. This is what an Invalid params error carries in `data` by
 * default; a dispatcher option replaces it.
 *
 * Values found in the request are echoed back shortened (at most {@link maxActualLength}
 * characters), so a huge payload is never reflected to the peer.
 *
 * @since 0.1.0
 */
import type { ParamIssue } from './Params.js'

/**
 * The longest a value from the request is echoed back in a report, in characters: a longer one is
 * cut and ends in `...`.
 *
 * @category constants
 * @since 0.1.0
 */
export const maxActualLength = 40

const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing'
  let text: string
  try {
    // `undefined` from JSON.stringify: a function or a symbol, which read as their source or description.
    text = JSON.stringify(u) ?? (typeof u === 'function' || typeof u === 'symbol' ? u.toString() : typeof u)
  } catch {
    text = typeof u
  }
  return text.length > maxActualLength ? `${text.slice(0, maxActualLength - 3)}...` : text
}

/**
 * The path as text: `params.subtrahend`, `params.1`, `params.point.x`.
 *
 * @category utils
 * @since 0.1.0
 */
export const formatPath = (path: ReadonlyArray<string | number>): string => path.join('.')

/**
 * One line for an issue.
 *
 * @category utils
 * @since 0.1.0
 */
export const formatIssue = (issue: ParamIssue): string =>
  issue.message !== undefined && issue.message.length > 0
    ? `${formatPath(issue.path)}: ${issue.message}`
    : `${formatPath(issue.path)}: expected ${issue.expected}, got ${describe(issue.actual)}`

/**
 * One line per issue.
 *
 * @category utils
 * @since 0.1.0
 */
export const report = (issues: ReadonlyArray<ParamIssue>): ReadonlyArray<string> => issues.map(formatIssue)
