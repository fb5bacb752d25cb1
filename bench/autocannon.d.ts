/**
 * The part of autocannon 9's programmatic API that bench/http.ts uses (autocannon ships no types,
 * and there is no @types/autocannon in the dev dependencies). From its README, "API" and "Results".
 */
declare module 'autocannon' {
  export interface Options {
    readonly url: string
    readonly connections?: number
    /** Seconds. */
    readonly duration?: number
    readonly pipelining?: number
    /** Seconds to wait for a response. */
    readonly timeout?: number
    readonly method?: string
    readonly headers?: Readonly<Record<string, string>>
    readonly body?: string
    /** Each response whose body is not this string counts in `mismatches`. */
    readonly expectBody?: string
  }

  /** An hdr-histogram-percentiles-obj summary. */
  export interface Histogram {
    readonly average: number
    readonly mean: number
    readonly stddev: number
    readonly min: number
    readonly max: number
    readonly total: number
    readonly p50: number
    readonly p90: number
    readonly p97_5: number
    readonly p99: number
  }

  export interface Result {
    /** Requests per second, sampled each second. */
    readonly requests: Histogram
    /** Response latency, in milliseconds. */
    readonly latency: Histogram
    /** Seconds. */
    readonly duration: number
    readonly errors: number
    readonly timeouts: number
    readonly mismatches: number
    readonly non2xx: number
    readonly '2xx': number
  }

  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
