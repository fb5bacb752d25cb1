/** Statistics the benchmarks share: quantiles of a sample, and ratios written to two decimals. */

export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return Number.NaN
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo] + (s[hi] - s[lo]) * (pos - lo)
}

export const median = (xs: ReadonlyArray<number>): number => quantile(xs, 0.5)

export const round2 = (x: number): number => Math.round(x * 100) / 100
