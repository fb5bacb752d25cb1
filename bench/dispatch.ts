/**
 * Per-request cost of fp-jsonrpc's dispatcher against a hand-written floor and two other JSON-RPC
 * servers (jayson, json-rpc-2.0), all in one process, in-process (no network).
 *
 *   npm run bench                      # defaults
 *   BENCH_ROUNDS=15 BENCH_SAMPLE_MS=20 npm run bench   # a quicker, noisier run
 *
 * Environment:
 *   BENCH_ROUNDS       timed rounds (default 35; one extra untimed round runs first)
 *   BENCH_SAMPLE_MS    target duration of one sample, in ms (default 40)
 *   BENCH_GC_REQUESTS  requests per GC-count block (default 500000; too few and the floor sees no GC,
 *                      which makes the gc ratio null)
 *   BENCH_GC_BLOCKS    GC-count blocks per contestant, median taken (default 3)
 *
 * Method. Every (case, contestant) pair is checked once for a correct JSON-RPC answer, warmed up,
 * and calibrated so that one sample (a loop of many dispatches, timed with process.hrtime.bigint)
 * lasts about BENCH_SAMPLE_MS. Each round then takes one sample of every pair, cases in turn and,
 * within a case, the contestants one after the other (the starting contestant rotates each round),
 * so slow drifts of a noisy machine hit everyone alike. The table gives the median per pair, its
 * ratio to the case's floor, and ("paired") the median of the round-by-round ratios, as a check; IQR
 * is the interquartile range of the samples over their median. Asynchronous contestants
 * (json-rpc-2.0 always, everyone in `async`) are awaited one call after the other inside the loop.
 *
 * The parse_error case is dominated by V8 building the SyntaxError (its stack trace included), so
 * its numbers move with the depth of the stack: an awaited contestant starts from a shallower one.
 *
 * The output text of jayson and json-rpc-2.0 is their response object through JSON.stringify,
 * which is what a transport of one's own does with them (their own HTTP transports stringify too).
 *
 * tsx compiles with esbuild's keepNames, so a named closure created on every call (`const f = () =>`
 * inside a function) pays an Object.defineProperty there that the tsc build in dist/ does not.
 *
 * The last line of output is one JSON object with the ratios.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import jayson from 'jayson'
import jaysonPromise from 'jayson/promise/index.js'
import { JSONRPCServer } from 'json-rpc-2.0'
import { inspect } from 'node:util'
import { constants as perfConstants, performance, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks'
import { Dispatch, Method, Registry } from '../src/index.js'
import { floorAsync, floorBatch, floorInvalid, floorNotification, floorParseError, floorSingle } from './floors.js'
import { median, quantile, round2 } from './stats.js'

// -------------------------------------------------------------------------------------
// configuration
// -------------------------------------------------------------------------------------

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`${name} must be a positive number, got ${raw}`)
  return Math.floor(n)
}

const ROUNDS = envInt('BENCH_ROUNDS', 35)
const SAMPLE_MS = envInt('BENCH_SAMPLE_MS', 40)
const GC_REQUESTS = envInt('BENCH_GC_REQUESTS', 500_000)
const GC_BLOCKS = envInt('BENCH_GC_BLOCKS', 3)

const startedAt = process.hrtime.bigint()

// -------------------------------------------------------------------------------------
// inputs
// -------------------------------------------------------------------------------------

const request = (id: number, method = 'subtract') => ({ jsonrpc: '2.0', method, params: [42, 23], id })
const batchOf = (n: number, method = 'subtract') => JSON.stringify(Array.from({ length: n }, (_, i) => request(i + 1, method)))

type CaseName = 'single' | 'batch100' | 'batch100_object' | 'notification' | 'invalid' | 'parse_error' | 'async' | 'batch10000'

interface CaseSpec {
  readonly name: CaseName
  readonly input: string
  /** Requests per input: the table is per item for batches. */
  readonly items: number
  /** Whether the handler is asynchronous (every contestant is then awaited). */
  readonly async: boolean
  readonly check: (out: string | undefined) => void
}

const fail = (what: string, out: unknown): never => {
  throw new Error(`${what}; got ${typeof out === 'string' ? out.slice(0, 300) : String(out)}`)
}

const parseOut = (out: string | undefined): unknown => {
  if (typeof out !== 'string') return fail('expected a response text', out)
  try {
    return JSON.parse(out) as unknown
  } catch {
    return fail('expected JSON', out)
  }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u)

const checkSuccess = (u: unknown, id: number, raw: string | undefined): void => {
  if (!isRecord(u) || u['jsonrpc'] !== '2.0' || u['result'] !== 19 || u['id'] !== id || 'error' in u) {
    fail(`expected {"jsonrpc":"2.0","result":19,"id":${id}}`, raw)
  }
}

const checkError =
  (code: number) =>
  (out: string | undefined): void => {
    const u = parseOut(out)
    if (!isRecord(u) || u['jsonrpc'] !== '2.0' || u['id'] !== null || 'result' in u) fail(`expected an error response with id null`, out)
    const error = (u as Record<string, unknown>)['error']
    if (!isRecord(error) || error['code'] !== code || typeof error['message'] !== 'string') fail(`expected error code ${code}`, out)
  }

const checkBatch =
  (n: number) =>
  (out: string | undefined): void => {
    const u = parseOut(out)
    if (!Array.isArray(u) || u.length !== n) return fail(`expected an array of ${n} responses`, out)
    u.forEach((r, i) => checkSuccess(r, i + 1, out))
  }

const checkObjectBatch =
  (n: number) =>
  (out: string | undefined): void => {
    const u = parseOut(out)
    if (!Array.isArray(u) || u.length !== n) return fail(`expected an array of ${n} responses`, out)
    u.forEach((r, i) => {
      const result = isRecord(r) ? r['result'] : undefined
      if (!isRecord(r) || r['jsonrpc'] !== '2.0' || r['id'] !== i + 1 || !isRecord(result) || result['difference'] !== 19 || 'error' in r) {
        fail(`expected {"jsonrpc":"2.0","result":{"difference":19},"id":${i + 1}}`, out)
      }
    })
  }

const cases: ReadonlyArray<CaseSpec> = [
  { name: 'single', input: JSON.stringify(request(1)), items: 1, async: false, check: (out) => checkSuccess(parseOut(out), 1, out) },
  { name: 'batch100', input: batchOf(100), items: 100, async: false, check: checkBatch(100) },
  // The same batch, with a handler whose result is an object (`{ difference }`), so the result text
  // goes through JSON.stringify rather than the writer's number shortcut.
  { name: 'batch100_object', input: batchOf(100, 'subtract_object'), items: 100, async: false, check: checkObjectBatch(100) },
  {
    name: 'notification',
    input: '{"jsonrpc":"2.0","method":"subtract","params":[42,23]}',
    items: 1,
    async: false,
    check: (out) => (out === undefined ? undefined : fail('expected no response', out)),
  },
  // The specification's own "invalid Request object" example.
  { name: 'invalid', input: '{"jsonrpc":"2.0","method":1,"params":"bar"}', items: 1, async: false, check: checkError(-32600) },
  // The specification's own "invalid JSON" example.
  { name: 'parse_error', input: '{"jsonrpc":"2.0","method":"foobar, "params":"bar", "baz]', items: 1, async: false, check: checkError(-32700) },
  {
    name: 'async',
    input: JSON.stringify(request(1, 'subtract_async')),
    items: 1,
    async: true,
    check: (out) => checkSuccess(parseOut(out), 1, out),
  },
  { name: 'batch10000', input: batchOf(10_000), items: 10_000, async: false, check: checkBatch(10_000) },
]

// -------------------------------------------------------------------------------------
// contestant 1: the floor (no validation at all)
// -------------------------------------------------------------------------------------

// In bench/floors.ts, shared with bench/instructions.ts.

const floorFor: Record<CaseName, (input: string) => unknown> = {
  single: floorSingle,
  batch100: floorBatch,
  batch100_object: floorBatch,
  notification: floorNotification,
  invalid: floorInvalid,
  parse_error: floorParseError,
  async: floorAsync,
  batch10000: floorBatch,
}

// -------------------------------------------------------------------------------------
// contestant 2: jayson. Its fastest in-process entry is Server#call with the parsed request (what
// its own HTTP/TCP transports do: they parse the body, then call): about 4% faster than handing it
// the text, whose parse goes through an array, a filter and an apply. So every case whose input is
// JSON hands it the parsed request; parse_error hands it the text, so that jayson writes its own
// Parse error (parsing first would throw twice). The callback fires synchronously for a
// synchronous handler, so the sync cases are measured synchronously.
// -------------------------------------------------------------------------------------

type JaysonRequest = Parameters<jayson.Server['call']>[0]

const jaysonServer = new jayson.Server({
  subtract: (args: jayson.RequestParamsLike, callback: jayson.JSONRPCCallbackTypePlain) => {
    const p = args as [number, number]
    callback(null, p[0] - p[1])
  },
  subtract_object: (args: jayson.RequestParamsLike, callback: jayson.JSONRPCCallbackTypePlain) => {
    const p = args as [number, number]
    callback(null, { difference: p[0] - p[1] })
  },
})

// One callback for every call: the cheapest honest use of a callback API.
let jaysonCalled = false
let jaysonOut: unknown
const jaysonCallback = (error?: unknown, response?: unknown): void => {
  jaysonCalled = true
  jaysonOut = error ?? response
}

const jaysonCall = (request: JaysonRequest): string | undefined => {
  jaysonCalled = false
  jaysonOut = undefined
  jaysonServer.call(request, jaysonCallback)
  if (!jaysonCalled) throw new Error('jayson did not answer synchronously')
  return jaysonOut === undefined || jaysonOut === null ? undefined : JSON.stringify(jaysonOut)
}

const jaysonParsed = (input: string): string | undefined => jaysonCall(JSON.parse(input) as JaysonRequest)
const jaysonText = (input: string): string | undefined => jaysonCall(input)

// jayson's promise flavour: handlers may return a Promise.
const jaysonAsyncServer = new jaysonPromise.Server({
  subtract_async: async (args: jayson.RequestParamsLike) => {
    const p = args as [number, number]
    return p[0] - p[1]
  },
})

const jaysonAsync = (input: string): Promise<string | undefined> =>
  new Promise((resolve) =>
    jaysonAsyncServer.call(JSON.parse(input) as JaysonRequest, (error?: unknown, response?: unknown) => {
      const out = error ?? response
      resolve(out === undefined || out === null ? undefined : JSON.stringify(out))
    }),
  )

// -------------------------------------------------------------------------------------
// contestant 3: json-rpc-2.0 (always asynchronous)
// -------------------------------------------------------------------------------------

const jsonrpc2Server = new JSONRPCServer()
jsonrpc2Server.addMethod('subtract', (params) => (params as [number, number])[0] - (params as [number, number])[1])
jsonrpc2Server.addMethod('subtract_object', (params) => ({ difference: (params as [number, number])[0] - (params as [number, number])[1] }))
jsonrpc2Server.addMethod('subtract_async', async (params) => (params as [number, number])[0] - (params as [number, number])[1])

const jsonrpc2 = (input: string): PromiseLike<string | undefined> => jsonrpc2Server.receiveJSON(input).then((r) => (r === null ? undefined : JSON.stringify(r)))

// -------------------------------------------------------------------------------------
// contestant 4: fp-jsonrpc
// -------------------------------------------------------------------------------------

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const SubtractAsync = Method.make({
  name: 'subtract_async',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
})

const SubtractObject = Method.make({
  name: 'subtract_object',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.type({ difference: t.number }),
})

const registry = pipe(
  Registry.empty,
  Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
  Registry.add(SubtractObject, (p) => E.right({ difference: p.minuend - p.subtrahend })),
  Registry.add(SubtractAsync, async (p) => p.minuend - p.subtrahend),
)
// The defaults (limits and the handler timeout included) everywhere, except for the 10,000-element
// batch, which measures scaling and is ten times the default maxBatchLength.
const dispatcher = Dispatch.make(registry)
const fpDispatch = (input: string) => dispatcher.dispatch(input)
const unlimited = Dispatch.make(registry, { maxBatchLength: Infinity })
const fpDispatchUnlimited = (input: string) => unlimited.dispatch(input)

// -------------------------------------------------------------------------------------
// the contestants of each case
// -------------------------------------------------------------------------------------

type ContestantName = 'floor' | 'jayson' | 'json-rpc-2.0' | 'fp-jsonrpc'

interface Contestant {
  readonly name: ContestantName
  readonly run: (input: string) => unknown
  /** Awaited inside the loop (a Promise is expected); otherwise the answer must come synchronously. */
  readonly async: boolean
}

const contestantsFor = (c: CaseSpec): ReadonlyArray<Contestant> => {
  const list: Array<Contestant> = [{ name: 'floor', run: floorFor[c.name], async: c.async }]
  // jayson's batches are quadratic (each answer rescans all of them), so it sits out batch10000.
  if (c.name !== 'batch10000') {
    const run = c.async ? jaysonAsync : c.name === 'parse_error' ? jaysonText : jaysonParsed
    list.push({ name: 'jayson', run, async: c.async })
  }
  list.push({ name: 'json-rpc-2.0', run: jsonrpc2, async: true })
  list.push({ name: 'fp-jsonrpc', run: c.name === 'batch10000' ? fpDispatchUnlimited : fpDispatch, async: c.async })
  return list
}

// -------------------------------------------------------------------------------------
// the timing loops
// -------------------------------------------------------------------------------------

type Now = () => bigint
type SyncLoop = (run: (input: string) => unknown, input: string, n: number, now: Now) => [bigint, number]
type AsyncLoop = (run: (input: string) => unknown, input: string, n: number, now: Now) => Promise<[bigint, number]>

const SYNC_BODY = `
  let acc = 0
  const t0 = now()
  for (let i = 0; i < n; i++) {
    const out = run(input)
    if (typeof out === 'string') acc += out.length
  }
  return [now() - t0, acc]
`
const ASYNC_BODY = `
  return (async () => {
    let acc = 0
    const t0 = now()
    for (let i = 0; i < n; i++) {
      const out = await run(input)
      if (typeof out === 'string') acc += out.length
    }
    return [now() - t0, acc]
  })()
`

// Each (case, contestant) gets its own copy of the loop, compiled from source, so that its call site
// `run(input)` only ever sees one function: one shared loop would go megamorphic and charge every
// contestant for the others.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled on purpose: each contestant gets its own copy of the loop (see above)
const makeSyncLoop = (): SyncLoop => new Function('run', 'input', 'n', 'now', SYNC_BODY) as SyncLoop
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiled on purpose: each contestant gets its own copy of the loop (see above)
const makeAsyncLoop = (): AsyncLoop => new Function('run', 'input', 'n', 'now', ASYNC_BODY) as AsyncLoop

const now: Now = () => process.hrtime.bigint()
let sink = 0

interface Subject {
  readonly spec: CaseSpec
  readonly contestant: Contestant
  readonly time: (n: number) => Promise<number> // elapsed ns for n dispatches
  iterations: number
  readonly samples: Array<number> // ns per item
  excluded: string | undefined
}

const makeSubject = (spec: CaseSpec, contestant: Contestant): Subject => {
  const { run, async } = contestant
  const input = spec.input
  const time = async ? makeTimedAsync(makeAsyncLoop(), run, input) : makeTimedSync(makeSyncLoop(), run, input)
  return { spec, contestant, time, iterations: 1, samples: [], excluded: undefined }
}

const makeTimedSync = (loop: SyncLoop, run: (input: string) => unknown, input: string) => async (n: number) => {
  const [ns, acc] = loop(run, input, n, now)
  sink += acc
  return Number(ns)
}

const makeTimedAsync = (loop: AsyncLoop, run: (input: string) => unknown, input: string) => async (n: number) => {
  const [ns, acc] = await loop(run, input, n, now)
  sink += acc
  return Number(ns)
}

// -------------------------------------------------------------------------------------
// verification: every path timed gives a correct answer
// -------------------------------------------------------------------------------------

const verify = async (s: Subject): Promise<void> => {
  const raw = s.contestant.run(s.spec.input)
  const isThenable = typeof raw === 'object' && raw !== null && typeof (raw as { then?: unknown }).then === 'function'
  if (isThenable !== s.contestant.async) {
    throw new Error(`${s.contestant.name} / ${s.spec.name}: expected a ${s.contestant.async ? 'Promise' : 'synchronous answer'}`)
  }
  const out = isThenable ? await (raw as PromiseLike<unknown>) : raw
  if (out !== undefined && typeof out !== 'string') throw new Error(`${s.contestant.name} / ${s.spec.name}: not a string: ${inspect(out)}`)
  try {
    s.spec.check(out)
  } catch (e) {
    const message = `${s.contestant.name} / ${s.spec.name}: wrong answer: ${(e as Error).message}`
    // The floor and fp-jsonrpc must be right, or the ratios mean nothing. Another library's own
    // non-conformance is reported in the table, and that path is not timed.
    if (s.contestant.name === 'floor' || s.contestant.name === 'fp-jsonrpc') throw new Error(message, { cause: e })
    s.excluded = message
  }
}

// -------------------------------------------------------------------------------------
// warm-up, calibration, rounds
// -------------------------------------------------------------------------------------

const warmUp = async (s: Subject): Promise<void> => {
  const target = SAMPLE_MS * 1e6
  let n = 1
  let ns = await s.time(n)
  // Double until one loop lasts a sample's length; the doubling itself is the warm-up.
  while (ns < target) {
    n = ns <= 0 ? n * 2 : Math.max(n * 2, Math.min(n * 16, Math.ceil((n * target) / ns)))
    ns = await s.time(n)
  }
  // Two more loops at full length, then settle the count from the second.
  await s.time(n)
  ns = await s.time(n)
  s.iterations = Math.max(1, Math.round((n * target) / ns))
}

const subjects: Array<Subject> = []
for (const spec of cases) for (const c of contestantsFor(spec)) subjects.push(makeSubject(spec, c))

const log = (line: string): void => {
  process.stdout.write(line + '\n')
}

log(`fp-jsonrpc dispatch bench: node ${process.version}, ${ROUNDS} rounds, ~${SAMPLE_MS} ms per sample`)

for (const s of subjects) await verify(s)
const timed = subjects.filter((s) => s.excluded === undefined)
for (const s of timed) await warmUp(s)

const byCase = new Map<CaseName, Array<Subject>>()
for (const s of timed) {
  const list = byCase.get(s.spec.name) ?? []
  list.push(s)
  byCase.set(s.spec.name, list)
}

// Round 0 is untimed: all code has now seen every case, so it settles before the measured rounds.
for (let round = 0; round <= ROUNDS; round++) {
  for (const list of byCase.values()) {
    for (let k = 0; k < list.length; k++) {
      const s = list[(k + round) % list.length]
      const ns = await s.time(s.iterations)
      if (round > 0) s.samples.push(ns / (s.iterations * s.spec.items))
    }
  }
  if (round > 0 && round % 5 === 0) process.stderr.write(`  round ${round}/${ROUNDS}\n`)
}

// -------------------------------------------------------------------------------------
// GC count: floor vs fp-jsonrpc, `single`, one block at a time
// -------------------------------------------------------------------------------------

interface GcCount {
  readonly total: number
  readonly minor: number
  readonly major: number
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const countGcs = async (run: (input: string) => unknown, input: string, n: number): Promise<GcCount> => {
  const loop = makeSyncLoop()
  loop(run, input, 1000, now) // compiled before the observed block
  await sleep(20)
  const entries: Array<PerformanceEntry> = []
  const observer = new PerformanceObserver((list) => {
    entries.push(...list.getEntries())
  })
  observer.observe({ entryTypes: ['gc'] })
  const from = performance.now()
  const [, acc] = loop(run, input, n, now)
  const to = performance.now()
  sink += acc
  await sleep(50) // the entries are delivered once the loop yields
  entries.push(...observer.takeRecords())
  observer.disconnect()
  const inBlock = entries.filter((e) => e.startTime >= from && e.startTime <= to)
  // A gc entry's `detail` is a NodeGCPerformanceDetail; the PerformanceEntry type does not declare it.
  const kind = (e: PerformanceEntry) => (e as unknown as { readonly detail?: { readonly kind?: number } }).detail?.kind
  return {
    total: inBlock.length,
    minor: inBlock.filter((e) => kind(e) === perfConstants.NODE_PERFORMANCE_GC_MINOR).length,
    major: inBlock.filter((e) => kind(e) === perfConstants.NODE_PERFORMANCE_GC_MAJOR).length,
  }
}

const singleInput = cases[0].input
const gcFloor: Array<GcCount> = []
const gcFp: Array<GcCount> = []
for (let b = 0; b < GC_BLOCKS; b++) {
  gcFloor.push(await countGcs(floorSingle, singleInput, GC_REQUESTS))
  gcFp.push(await countGcs(fpDispatch, singleInput, GC_REQUESTS))
}
const perMillion = (xs: ReadonlyArray<GcCount>, pick: (g: GcCount) => number) => (median(xs.map(pick)) * 1e6) / GC_REQUESTS

// -------------------------------------------------------------------------------------
// report
// -------------------------------------------------------------------------------------

const goals: Partial<Record<CaseName, { readonly text: string; readonly met: (r: number) => boolean }>> = {
  single: { text: '<= 1.15', met: (r) => r <= 1.15 },
  batch100: { text: '<= 1.2', met: (r) => r <= 1.2 },
  batch100_object: { text: '<= 1.15', met: (r) => r <= 1.15 },
  notification: { text: '<= 1.2', met: (r) => r <= 1.2 },
  invalid: { text: '<= 1.2', met: (r) => r <= 1.2 },
  async: { text: '<= 1.5', met: (r) => r <= 1.5 },
}

const medians = new Map<string, number>()
const key = (c: CaseName, n: ContestantName) => `${c}/${n}`
for (const s of timed) medians.set(key(s.spec.name, s.contestant.name), median(s.samples))
const med = (c: CaseName, n: ContestantName): number => medians.get(key(c, n)) ?? Number.NaN
const ratio = (c: CaseName, n: ContestantName): number => med(c, n) / med(c, 'floor')
// The same ratio taken round by round (each sample over the floor's sample of the same round), then
// the median: less sensitive to the machine drifting, shown beside the ratio of medians as a check.
const floorOf = (c: CaseName): Subject | undefined => timed.find((s) => s.spec.name === c && s.contestant.name === 'floor')
const pairedRatio = (s: Subject): number => {
  const floor = floorOf(s.spec.name)
  if (floor === undefined) return Number.NaN
  return median(s.samples.map((x, i) => x / floor.samples[i]))
}

const pad = (s: string, w: number) => s.padEnd(w)
const lpad = (s: string, w: number) => s.padStart(w)
const header = `${pad('case', 13)}${pad('contestant', 14)}${lpad('median ns', 11)} ${pad('unit', 9)}${lpad('IQR', 7)}${lpad('ratio', 8)}${lpad('paired', 8)}  goal`
log('')
log(header)
log('-'.repeat(header.length + 12))
for (const spec of cases) {
  for (const s of subjects.filter((x) => x.spec === spec)) {
    const name = s.contestant.name
    if (s.excluded !== undefined) {
      log(`${pad(spec.name, 13)}${pad(name, 14)}${lpad('-', 11)} ${pad('', 9)}${lpad('', 7)}${lpad('-', 8)}${lpad('-', 8)}  not timed: ${s.excluded}`)
      continue
    }
    const m = med(spec.name, name)
    const iqr = ((quantile(s.samples, 0.75) - quantile(s.samples, 0.25)) / m) * 100
    const r = ratio(spec.name, name)
    const goal = name === 'fp-jsonrpc' ? goals[spec.name] : undefined
    const goalText = goal === undefined ? '' : `${goal.text} (${goal.met(round2(r)) ? 'met' : 'MISSED'})`
    log(
      `${pad(spec.name, 13)}${pad(name, 14)}${lpad(m.toFixed(1), 11)} ${pad(spec.items > 1 ? 'ns/item' : 'ns/req', 9)}${lpad(iqr.toFixed(1) + '%', 7)}${lpad(r.toFixed(2), 8)}${lpad(pairedRatio(s).toFixed(2), 8)}  ${goalText}`,
    )
  }
}

const scaling = med('batch10000', 'fp-jsonrpc') / med('batch100', 'fp-jsonrpc')
const floorScaling = med('batch10000', 'floor') / med('batch100', 'floor')
const gcFloorPm = perMillion(gcFloor, (g) => g.total)
const gcFpPm = perMillion(gcFp, (g) => g.total)
const gcRatio = gcFpPm / gcFloorPm

log('')
log(`linear scaling, ns/item batch10000 / batch100: fp-jsonrpc ${scaling.toFixed(2)} (goal ~1), floor ${floorScaling.toFixed(2)}`)
log(
  `GC per million single requests (median of ${GC_BLOCKS} blocks of ${GC_REQUESTS}): ` +
    `floor ${gcFloorPm.toFixed(1)} (minor ${perMillion(gcFloor, (g) => g.minor).toFixed(1)}, major ${perMillion(gcFloor, (g) => g.major).toFixed(1)}), ` +
    `fp-jsonrpc ${gcFpPm.toFixed(1)} (minor ${perMillion(gcFp, (g) => g.minor).toFixed(1)}, major ${perMillion(gcFp, (g) => g.major).toFixed(1)}); ` +
    `ratio ${gcRatio.toFixed(2)} (goal <= 5: ${round2(gcRatio) <= 5 ? 'met' : 'MISSED'})`,
)
const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9
log(`total time ${seconds.toFixed(1)} s (checksum ${sink % 1000})`)

// A ratio that could not be measured (a path not timed) is null.
const out = (x: number): number | null => (Number.isFinite(x) ? round2(x) : null)
log(
  JSON.stringify({
    single: out(ratio('single', 'fp-jsonrpc')),
    batch100: out(ratio('batch100', 'fp-jsonrpc')),
    batch100_object: out(ratio('batch100_object', 'fp-jsonrpc')),
    notification: out(ratio('notification', 'fp-jsonrpc')),
    invalid: out(ratio('invalid', 'fp-jsonrpc')),
    parse_error: out(ratio('parse_error', 'fp-jsonrpc')),
    async: out(ratio('async', 'fp-jsonrpc')),
    batch10000_vs_100: out(scaling),
    gc: out(gcRatio),
    jayson_single: out(ratio('single', 'jayson')),
    jsonrpc2_single: out(ratio('single', 'json-rpc-2.0')),
    jayson_batch100: out(ratio('batch100', 'jayson')),
    jsonrpc2_batch100: out(ratio('batch100', 'json-rpc-2.0')),
    jsonrpc2_async: out(ratio('async', 'json-rpc-2.0')),
  }),
)
