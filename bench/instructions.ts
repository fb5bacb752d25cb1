/**
 * Instructions per request, counted by valgrind's callgrind rather than timed: fp-jsonrpc's
 * dispatcher against the hand-written floors of bench/dispatch.ts, from the compiled package in
 * dist/ (the script builds it first).
 *
 *   npm run bench:instructions          # needs valgrind (Debian: apt-get install valgrind)
 *
 * Why. The goals are the time ratios of `npm run bench`, which on a shared machine move with
 * whatever else it is doing. A count of instructions does not: two processes of one version of
 * this file, counting the same thing, agree within about 3% (V8 does not always compile the
 * dispatcher the same way), however busy the machine. But a count moves with everything else in
 * the process: between versions of this file that did not change what is counted, ratios moved by
 * up to 0.08 (notification 1.26 -> 1.18, single 0.86 -> 0.91), and registering and warming a
 * second method moved the notification's count by 11% (its call sites then see two handlers). So it
 * tells differences of about 10% or more, and only between runs of one version of this file. It is
 * a gauge of the work done, not of time: cache misses, branch mispredictions and other threads are
 * not in it, so a ratio of instructions can be lower than the ratio of times (see the closing notes
 * of #9).
 *
 * Not HTTP: the same method applied to `serve` and bench/http.ts's floor (the server counted from
 * the end of a warm-up of 150 000 requests, over one connection) repeated within 0.3% for one
 * version of this file, but the floor's count moved by 20% between two versions that did not touch
 * its code, so it was left out (#9's closing notes).
 *
 * Method. Each count is a process of its own under callgrind (`node --single-threaded`, so that
 * compilation and garbage collection happen on the counted thread, at the same points every run),
 * counted whole: once with N requests after its warm-up (every case, as bench/dispatch.ts warms its
 * shared dispatcher), once with 3N. The two processes run side by side, and the figure per request
 * is the difference over 2N, so start-up and warm-up cancel out. Each process runs `dispatch(text)`
 * of one case's input in a loop; the floor runs `floorFor[case]`. Cases: single, notification,
 * invalid, batch100 and batch100_object (per element).
 *
 * The last line of output is one JSON object with the ratios (fp-jsonrpc / floor).
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { floorBatch, floorInvalid, floorNotification, floorSingle } from './floors.js'
import { round2 } from './stats.js'

// -------------------------------------------------------------------------------------
// configuration
// -------------------------------------------------------------------------------------

const DISPATCH_N = 100_000

const self = fileURLToPath(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const built = new URL('../dist/esm/', import.meta.url)

// -------------------------------------------------------------------------------------
// what is counted (run in the child: `--child <contestant> <case> <n>`)
// -------------------------------------------------------------------------------------

type Contestant = 'floor' | 'fp-jsonrpc'
type CaseName = 'single' | 'notification' | 'invalid' | 'batch100' | 'batch100_object'

const request = (id: number, method = 'subtract') => ({ jsonrpc: '2.0', method, params: [42, 23], id })

const inputs: Record<CaseName, string> = {
  single: JSON.stringify(request(1)),
  notification: '{"jsonrpc":"2.0","method":"subtract","params":[42,23]}',
  invalid: '{"jsonrpc":"2.0","method":1,"params":"bar"}',
  batch100: JSON.stringify(Array.from({ length: 100 }, (_, i) => request(i + 1))),
  batch100_object: JSON.stringify(Array.from({ length: 100 }, (_, i) => request(i + 1, 'subtract_object'))),
}
const itemsOf: Record<CaseName, number> = { single: 1, notification: 1, invalid: 1, batch100: 100, batch100_object: 100 }

// The floors of bench/dispatch.ts.
const floorFor: Record<CaseName, (input: string) => string | undefined> = {
  single: floorSingle,
  notification: floorNotification,
  invalid: floorInvalid,
  batch100: floorBatch,
  batch100_object: floorBatch,
}

const Params = t.type({ minuend: t.number, subtrahend: t.number })

const loadLibrary = async () => {
  const Lib = (await import(new URL('index.js', built).href)) as typeof import('../src/index.js')
  const dispatcher = Lib.Dispatch.make(
    pipe(
      Lib.Registry.empty,
      Lib.Registry.add(Lib.Method.make({ name: 'subtract', params: Params, result: t.number }), ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
      Lib.Registry.add(Lib.Method.make({ name: 'subtract_object', params: Params, result: t.type({ difference: t.number }) }), ({ minuend, subtrahend }) =>
        E.right({ difference: minuend - subtrahend }),
      ),
    ),
  )
  return dispatcher
}

const childDispatch = async (contestant: Contestant, name: CaseName, n: number): Promise<void> => {
  const dispatcher = await loadLibrary()
  const run = contestant === 'floor' ? floorFor[name] : (input: string) => dispatcher.dispatch(input) as string | undefined
  // Warmed on every case, as bench/dispatch.ts's shared dispatcher is.
  let sink = 0
  for (let round = 0; round < 20; round++) {
    for (const c of Object.keys(inputs) as Array<CaseName>) {
      const f = contestant === 'floor' ? floorFor[c] : run
      for (let i = 0; i < (itemsOf[c] > 1 ? 20 : 1000); i++) sink += f(inputs[c])?.length ?? 0
    }
  }
  const input = inputs[name]
  for (let i = 0; i < n; i++) sink += run(input)?.length ?? 0
  process.stdout.write(`${JSON.stringify({ sink })}\n`)
}

// -------------------------------------------------------------------------------------
// counting (the parent)
// -------------------------------------------------------------------------------------

/** The instructions callgrind counted, from its output file in `dir`. */
const countedIn = (dir: string): number => {
  let total = 0
  for (const f of readdirSync(dir)) {
    const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, f), 'utf8'))
    if (m !== null) total = Math.max(total, Number(m[1]))
  }
  if (total === 0) throw new Error(`callgrind wrote no count in ${dir}`)
  return total
}

const valgrind = (dir: string, args: ReadonlyArray<string>): ReadonlyArray<string> => [
  '--tool=callgrind',
  `--callgrind-out-file=${join(dir, 'cg.out')}`,
  process.execPath,
  '--single-threaded',
  '--import',
  'tsx',
  self,
  ...args,
]

const countDispatch = async (contestant: Contestant, name: CaseName, n: number): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-instr-'))
  try {
    const child = spawn('valgrind', valgrind(dir, ['--child', contestant, name, String(n)]), { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    if (code !== 0) throw new Error(`the ${contestant} ${name} run failed (${code}): ${err.slice(-2000)}`)
    return countedIn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Instructions per item: the count of 3N less that of N, over 2N, the two runs side by side. */
const perItem = async (count: (n: number) => Promise<number>, n: number, items: number): Promise<number> => {
  const [once, thrice] = await Promise.all([count(n), count(3 * n)])
  return (thrice - once) / (2 * n * items)
}

const main = async (): Promise<void> => {
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('valgrind was not found: apt-get install valgrind')
  }
  const startedAt = Date.now()
  console.log(`instruction counts (callgrind), node ${process.version}; per request (per element for the batches)`)
  const out: Record<string, number> = {}
  const row = (what: string, floor: number, fp: number): void => {
    console.log(
      `${what.padEnd(16)} floor ${Math.round(floor).toString().padStart(8)}   fp-jsonrpc ${Math.round(fp).toString().padStart(8)}   ratio ${(fp / floor).toFixed(2)}`,
    )
    out[what] = round2(fp / floor)
  }
  for (const name of Object.keys(inputs) as Array<CaseName>) {
    const n = DISPATCH_N / itemsOf[name]
    const count = (contestant: Contestant) => (k: number) => countDispatch(contestant, name, k)
    row(name, await perItem(count('floor'), n, itemsOf[name]), await perItem(count('fp-jsonrpc'), n, itemsOf[name]))
  }
  console.log(`done in ${Math.round((Date.now() - startedAt) / 1000)} s`)
  console.log(JSON.stringify(out))
}

if (process.argv[2] === '--child') {
  const [contestant, name, n] = process.argv.slice(3)
  await childDispatch(contestant as Contestant, name as CaseName, Number(n))
} else {
  await main()
}
