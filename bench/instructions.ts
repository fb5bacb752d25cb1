/**
 * Instructions per request, counted by valgrind's callgrind rather than timed: fp-jsonrpc's
 * dispatcher against a hand-written floor (the same floors as bench/dispatch.ts), and fp-jsonrpc's
 * `serve` against a bare node:http floor (the same as bench/http.ts's), both from the compiled
 * package in dist/ (the script builds it first).
 *
 *   npm run bench:instructions                          # needs valgrind (Debian: apt-get install valgrind)
 *   BENCH_INSTR_PARTS=dispatch npm run bench:instructions   # the dispatcher only
 *
 * Environment:
 *   BENCH_INSTR_PARTS  what to count: `dispatch`, `http`, or both, comma-separated (default both)
 *
 * Why. The goals are the time ratios of `npm run bench` and `npm run bench:http`. On a shared
 * machine those move by 0.05-0.1 from run to run (and HTTP by more), so a change of a few percent
 * cannot be told from the noise. A count of the instructions a request takes does not depend on what
 * else the machine is doing: repeated runs agreed within 0.3% over HTTP, and within 3% for the
 * dispatcher, whose optimised code V8 does not always compile the same way (measured while the time
 * ratios moved by 5-10% between runs). A count does move with the setup, though: registering a
 * second method moved the notification's count by 11% (its call sites then see two handlers) and
 * the server's by 4%, so compare counts of one version of this file only. It is a gauge of the work
 * done, not of time: cache misses, branch mispredictions and other threads are not in it, so a
 * ratio of instructions can be lower than the ratio of times (see the closing notes of #9).
 *
 * Method. Each count is a process of its own under callgrind (`node --single-threaded`, so that
 * compilation and garbage collection happen on the counted thread, at the same points every run).
 * A dispatcher's process is counted whole, once with N requests after its warm-up (every case, as
 * bench/dispatch.ts warms its shared dispatcher) and once with 3N; a server's only from the end of
 * its warm-up (150 000 requests), over N requests and over 3N. Either way the two processes run side
 * by side and the figure per request is the difference over 2N, so start-up and warm-up cancel out.
 *
 * - dispatch: `dispatch(text)` of the case's input, in a loop, after the warm-up; the floor is
 *   `floorFor[case]`, as in bench/dispatch.ts. Cases: single, notification, invalid, batch100 and
 *   batch100_object (per element).
 * - http: the server in the counted process, loaded by autocannon from this one over one keep-alive
 *   connection (so that every request is read, answered and written on its own: with many
 *   connections, how many requests one wake-up of the event loop serves would depend on timing).
 *   Counting starts after the warm-up (callgrind's `--instr-atstart=no`, switched on with
 *   `callgrind_control`), as code that V8 optimises late (node's own streams) takes that long.
 *
 * The last line of output is one JSON object with the ratios (fp-jsonrpc / floor).
 */
import autocannon from 'autocannon'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createServer, type Server as NodeServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { floorBatch, floorInvalid, floorNotification, floorSingle } from './floors.js'
import { round2 } from './stats.js'

// -------------------------------------------------------------------------------------
// configuration
// -------------------------------------------------------------------------------------

const PARTS = (process.env['BENCH_INSTR_PARTS'] ?? 'dispatch,http').split(',').map((p) => p.trim())
const DISPATCH_N = 100_000
const HTTP_WARMUP = 150_000
const HTTP_N = 3_000

const self = fileURLToPath(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const built = new URL('../dist/esm/', import.meta.url)

// -------------------------------------------------------------------------------------
// what is counted (run in the child: `--child dispatch <contestant> <case> <n>`, `--child http <contestant>`)
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
  const Http = (await import(new URL('http/index.js', built).href)) as typeof import('../src/http/index.js')
  const dispatcher = Lib.Dispatch.make(
    pipe(
      Lib.Registry.empty,
      Lib.Registry.add(Lib.Method.make({ name: 'subtract', params: Params, result: t.number }), ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
      Lib.Registry.add(Lib.Method.make({ name: 'subtract_object', params: Params, result: t.type({ difference: t.number }) }), ({ minuend, subtrahend }) =>
        E.right({ difference: minuend - subtrahend }),
      ),
    ),
  )
  return { dispatcher, Http }
}

const childDispatch = async (contestant: Contestant, name: CaseName, n: number): Promise<void> => {
  const { dispatcher } = await loadLibrary()
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

const floorServer = (): NodeServer =>
  createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = floorSingle(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })

const childHttp = async (contestant: Contestant): Promise<void> => {
  let port: number
  if (contestant === 'floor') {
    const server = floorServer()
    port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
  } else {
    const { dispatcher, Http } = await loadLibrary()
    const started = await Http.serve({ dispatcher })()
    if (E.isLeft(started)) throw new Error('serve could not listen')
    port = started.right.address.port
  }
  process.stdout.write(`${JSON.stringify({ port })}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => process.exit(0))
}

// -------------------------------------------------------------------------------------
// counting (the parent)
// -------------------------------------------------------------------------------------

/** The instructions callgrind counted, from its output files in `dir` (the last dump's totals). */
const countedIn = (dir: string): number => {
  let total = 0
  for (const f of readdirSync(dir)) {
    const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, f), 'utf8'))
    if (m !== null) total = Math.max(total, Number(m[1]))
  }
  if (total === 0) throw new Error(`callgrind wrote no count in ${dir}`)
  return total
}

const valgrind = (dir: string, extra: ReadonlyArray<string>, args: ReadonlyArray<string>): ReadonlyArray<string> => [
  '--tool=callgrind',
  `--callgrind-out-file=${join(dir, 'cg.out')}`,
  ...extra,
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
    const child = spawn('valgrind', valgrind(dir, [], ['--child', 'dispatch', contestant, name, String(n)]), { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    if (code !== 0) throw new Error(`the ${contestant} ${name} run failed (${code}): ${err.slice(-2000)}`)
    return countedIn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const BODY = '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}'

const countHttp = async (contestant: Contestant, n: number): Promise<number> => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-instr-'))
  const child = spawn('valgrind', valgrind(dir, ['--instr-atstart=no'], ['--child', 'http', contestant]), { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the ${contestant} server exited (${code})`)))
      child.stdout.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString('utf8').split('\n')[0]) as { port: number }).port))
    })
    const load = async (amount: number): Promise<void> => {
      const r = await autocannon({
        url: `http://127.0.0.1:${port}/`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        connections: 1,
        amount,
        timeout: 60,
      })
      if (r['2xx'] !== amount || r.errors !== 0) throw new Error(`${contestant}: ${r['2xx']} of ${amount} answered 2xx, ${r.errors} errors`)
    }
    await load(HTTP_WARMUP)
    const pid = String(child.pid)
    execFileSync('callgrind_control', ['--instr=on', pid], { stdio: 'ignore' })
    await load(n)
    execFileSync('callgrind_control', ['--dump=window', pid], { stdio: 'ignore' })
    child.stdin.end()
    await new Promise((resolve) => child.once('exit', resolve))
    return countedIn(dir)
  } finally {
    child.kill()
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
  for (const name of PARTS.includes('dispatch') ? (Object.keys(inputs) as Array<CaseName>) : []) {
    const n = DISPATCH_N / itemsOf[name]
    const count = (contestant: Contestant) => (k: number) => countDispatch(contestant, name, k)
    row(name, await perItem(count('floor'), n, itemsOf[name]), await perItem(count('fp-jsonrpc'), n, itemsOf[name]))
  }
  if (PARTS.includes('http')) {
    row('http', await perItem((k) => countHttp('floor', k), HTTP_N, 1), await perItem((k) => countHttp('fp-jsonrpc', k), HTTP_N, 1))
  }
  console.log(`done in ${Math.round((Date.now() - startedAt) / 1000)} s`)
  console.log(JSON.stringify(out))
}

if (process.argv[2] === '--child') {
  const [kind, contestant, name, n] = process.argv.slice(3)
  if (kind === 'dispatch') await childDispatch(contestant as Contestant, name as CaseName, Number(n))
  else await childHttp(contestant as Contestant)
} else {
  await main()
}
