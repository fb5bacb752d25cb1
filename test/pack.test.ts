/**
 * The package as a user gets it: `npm pack` (whose `prepack` runs the build), the tarball installed
 * into scratch projects of both module types, then loaded by Node through `import` and `require`
 * and type-checked by TypeScript under nodenext resolution.
 *
 * No network: fp-ts, io-ts and typescript are installed from this project's own node_modules
 * (npm links local directories), and the tarball has no dependencies of its own, only peers.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const timeout = 120_000

const SUBTRACT_REQUEST = '{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}'
const SUBTRACT_RESPONSE = '{"jsonrpc":"2.0","result":19,"id":1}'

/** Runs a command and returns its stdout; on failure, throws with everything it printed. */
const run = (command: string, args: ReadonlyArray<string>, cwd: string): string => {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' },
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (e) {
    const { stdout, stderr, message } = e as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${message}\n--- stdout\n${stdout ?? ''}\n--- stderr\n${stderr ?? ''}`, { cause: e })
  }
}

const dependency = (name: string): string => {
  const dir = join(root, 'node_modules', name)
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`${name} is not installed in ${root}/node_modules: run npm ci`)
  return dir
}

// -------------------------------------------------------------------------------------
// the consumers
// -------------------------------------------------------------------------------------

const esmConsumer = `import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Dispatch, Method, Registry } from 'fp-jsonrpc'

const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
})
const server = Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend))))
console.log(await server.dispatch(${JSON.stringify(SUBTRACT_REQUEST)}))
console.log(import.meta.resolve('fp-jsonrpc'))
`

const cjsConsumer = `const E = require('fp-ts/lib/Either.js')
const { pipe } = require('fp-ts/lib/function.js')
const t = require('io-ts')
const { Dispatch, Method, Registry } = require('fp-jsonrpc')

const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
})
const server = Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend))))
console.log(server.dispatch(${JSON.stringify(SUBTRACT_REQUEST)}))
console.log(require.resolve('fp-jsonrpc'))
`

// Type-checked, never run. The @ts-expect-error line makes the check able to fail: were the
// package's types missing or \`any\`, the directive would be unused, which is itself an error.
const tsConsumer = `import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Dispatch, Method, Registry, RpcError } from 'fp-jsonrpc'

const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
})

const subtract = (params: { readonly minuend: number; readonly subtrahend: number }): E.Either<RpcError.RpcError, number> =>
  params.subtrahend === 0 && params.minuend === 0 ? E.left(RpcError.make(1, 'nothing to do')) : E.right(params.minuend - params.subtrahend)

const registry = pipe(Registry.empty, Registry.add(Subtract, subtract))
const server = Dispatch.make(registry)
export const answer: string | undefined | Promise<string | undefined> = server.dispatch(${JSON.stringify(SUBTRACT_REQUEST)})

export const refused = () =>
  pipe(
    Registry.empty,
    // @ts-expect-error the contract's minuend is a number, so a handler that takes a string is refused
    Registry.add(Subtract, (params: { readonly minuend: string; readonly subtrahend: number }) => E.right(params.minuend.length)),
  )
`

// The transports' entry points, from the installed package: a round trip over HTTP on loopback
// (serve + the fetch transport), and the WebSocket, stream, cluster and NATS modules loaded.
const subpathsEsm = `import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Client, Dispatch, Method, Registry } from 'fp-jsonrpc'
import { transport } from 'fp-jsonrpc/fetch'
import { serve } from 'fp-jsonrpc/http'
import * as Ws from 'fp-jsonrpc/ws'
import * as Stream from 'fp-jsonrpc/stream'
import * as Cluster from 'fp-jsonrpc/cluster'
import * as Nats from 'fp-jsonrpc/nats'
import * as KoaRpc from 'fp-jsonrpc/koa'
import * as FastifyRpc from 'fp-jsonrpc/fastify'
import * as Otel from 'fp-jsonrpc/otel'

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const dispatcher = Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)), Registry.use(Otel.middleware())))
const started = await serve({ dispatcher, requestHeaders: true })()
if (E.isLeft(started)) throw new Error('serve failed')
const server = started.right
const answer = await pipe(Client.make(Otel.transport()(transport({ url: server.url }))), Client.call(Subtract, { minuend: 42, subtrahend: 23 }))()
await server.close()
console.log(JSON.stringify(answer))
console.log([typeof Ws.attachToHttp, typeof Ws.connect, typeof Stream.listen, typeof Stream.Framing.contentLength.encode, typeof Cluster.run, typeof Nats.serve, typeof Nats.transport, typeof Nats.dispatcher].join(','))
// Koa and Fastify are not installed here: their adapters load nothing of them at run time.
console.log([typeof KoaRpc.middleware, typeof FastifyRpc.plugin, typeof KoaRpc.middleware(dispatcher), typeof FastifyRpc.plugin(dispatcher)].join(','))
// The API explorer, as the package ships it: the page and its script, from the built package.
const withExplorer = await serve({ dispatcher, explorer: true })()
if (E.isLeft(withExplorer)) throw new Error('serve failed')
const page = await fetch(withExplorer.right.url)
const script = await fetch(withExplorer.right.url + '?explorer.js')
console.log(JSON.stringify([page.status, page.headers.get('content-type'), (await page.text()).includes('src="?explorer.js"'), script.status, (await script.text()).includes('rpc.discover')]))
await withExplorer.right.close()
`

const subpathsCjs = `const { Client } = require('fp-jsonrpc')
const http = require('fp-jsonrpc/http')
const fetchTransport = require('fp-jsonrpc/fetch')
const Ws = require('fp-jsonrpc/ws')
const Stream = require('fp-jsonrpc/stream')
const Cluster = require('fp-jsonrpc/cluster')
const Nats = require('fp-jsonrpc/nats')
const KoaRpc = require('fp-jsonrpc/koa')
const FastifyRpc = require('fp-jsonrpc/fastify')
const Otel = require('fp-jsonrpc/otel')
console.log([typeof Client.make, typeof http.serve, typeof fetchTransport.transport, typeof Ws.connect, typeof Stream.spawn, typeof Cluster.run, typeof Nats.serve, typeof Nats.transport, typeof Nats.dispatcher, typeof KoaRpc.middleware, typeof FastifyRpc.plugin, typeof Otel.middleware, typeof Otel.transport].join(','))
`

// A consumer of every entry point, type-checked with Node's types (the transports' declarations
// use node:http, net and ws types).
const transportsConsumer = `import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Client, Dispatch, Method, Registry } from 'fp-jsonrpc'
import { handler, transport } from 'fp-jsonrpc/fetch'
import { listener, serve } from 'fp-jsonrpc/http'
import * as Ws from 'fp-jsonrpc/ws'
import * as Stream from 'fp-jsonrpc/stream'
import * as Cluster from 'fp-jsonrpc/cluster'
import * as Nats from 'fp-jsonrpc/nats'
import * as Otel from 'fp-jsonrpc/otel'

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number, idempotent: true })
const dispatcher = Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend))))
export const natsServe = (nc: Nats.Connection) => Nats.serve(nc, dispatcher, { subject: 'rpc', service: { name: 'math', version: '1.0.0' } })
// Nats.Connection, not the NATS client's own types: those do not pass exactOptionalPropertyTypes
// with skipLibCheck off, and fp-jsonrpc/nats' declarations need none of them.
export const natsClient = (connection: Nats.Connection) => Client.make(Nats.transport({ connection, subject: 'rpc', retry: true }))
export const gateway = (connection: Nats.Connection) => serve({ dispatcher: Nats.dispatcher({ connection, subject: 'rpc' }) })
export const fetchHandler: (request: Request) => Promise<Response> = handler(dispatcher)
export const nodeListener = listener(dispatcher)
export const started = serve({ dispatcher, port: 0 })
export const wsConnect = Ws.connect('ws://127.0.0.1:1/')
export const tcp = Stream.listen({ dispatcher, framing: Stream.Framing.ndjson })
export const cluster = Cluster.run({ workers: 2, start: serve({ dispatcher, port: 0 }) })
export const call = pipe(Client.make(transport({ url: 'http://127.0.0.1:1/' })), Client.call(Subtract, { minuend: 1, subtrahend: 2 }))
export const traced = Client.make(pipe(transport({ url: 'http://127.0.0.1:1/' }), Otel.transport()))
export const tracedRegistry = pipe(Registry.empty, Registry.use(Otel.middleware()))
`

const transportsTsconfig = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2022'],
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['transports.ts'],
}

// Which declaration file the consumer's 'fp-jsonrpc' became, and whether TypeScript reads it as
// CommonJS or as an ES module.
const typesProbe = `const ts = require('typescript')
const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\\n')) } }
const config = ts.getParsedCommandLineOfConfigFile('tsconfig.json', undefined, host)
const program = ts.createProgram(config.fileNames, config.options)
const index = program.getSourceFiles().find((f) => /\\/node_modules\\/fp-jsonrpc\\/dist\\/[^/]+\\/index\\.d\\.ts$/.test(f.fileName))
const format = index === undefined ? undefined : index.impliedNodeFormat === ts.ModuleKind.CommonJS ? 'commonjs' : index.impliedNodeFormat === ts.ModuleKind.ESNext ? 'module' : String(index.impliedNodeFormat)
console.log(JSON.stringify({ file: index && index.fileName.replace(/^.*\\/node_modules\\/fp-jsonrpc\\//, ''), format }))
`

const tsconfig = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    // No DOM: the declarations must not lean on types a Node-only consumer lacks.
    lib: ['es2022'],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['consumer.ts'],
}

// -------------------------------------------------------------------------------------
// specification
// -------------------------------------------------------------------------------------

describe('the packed package', () => {
  let work = ''
  let tarball = ''

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'fp-jsonrpc-pack-'))
    run('npm', ['pack', '--pack-destination', work, '--loglevel', 'warn'], root)
    const found = readdirSync(work).filter((f) => f.endsWith('.tgz'))
    expect(found).toHaveLength(1)
    tarball = join(work, found[0])
  }, timeout)

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  test('holds both builds with their declarations, and nothing of the repository besides', () => {
    const files = run('tar', ['-tzf', tarball], work)
      .split('\n')
      .filter((f) => f.length > 0)
    for (const f of [
      'package/package.json',
      'package/dist/esm/index.js',
      'package/dist/esm/index.d.ts',
      'package/dist/cjs/index.js',
      'package/dist/cjs/index.d.ts',
      'package/dist/cjs/package.json',
      'package/src/index.ts',
    ]) {
      expect(files).toContain(f)
    }
    expect(files.filter((f) => /^package\/(test|bench|examples|scripts|\.ci|node_modules)\//.test(f))).toEqual([])
    for (const js of files.filter((f) => /^package\/dist\/.*\.js$/.test(f))) expect(files).toContain(js.replace(/\.js$/, '.d.ts'))
    expect(JSON.parse(run('tar', ['-xzOf', tarball, 'package/dist/cjs/package.json'], work))).toEqual({ type: 'commonjs' })
  })

  describe.each(['module', 'commonjs'] as const)('installed in a "type": "%s" project', (type) => {
    let dir = ''

    beforeAll(() => {
      dir = join(work, type)
      mkdirSync(dir)
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `scratch-${type}`, private: true, type }, null, 2))
      run(
        'npm',
        [
          'install',
          '--offline',
          '--no-audit',
          '--no-fund',
          '--loglevel',
          'error',
          // Installing a package from a folder runs its prepare script there (nkeys' deletes its lib/
          // and needs deno): none is wanted, and this repository's node_modules must stay as it is.
          '--ignore-scripts',
          tarball,
          dependency('fp-ts'),
          dependency('io-ts'),
          dependency('typescript'),
          dependency('ws'),
          dependency('@types/ws'),
          dependency('@nats-io/transport-node'),
          dependency('@nats-io/nats-core'),
          dependency('@nats-io/nkeys'),
          dependency('@nats-io/nuid'),
          dependency('tweetnacl'),
          dependency('@types/node'),
          dependency('undici-types'),
          dependency('@opentelemetry/api'),
        ],
        dir,
      )
      writeFileSync(join(dir, 'consumer.mjs'), esmConsumer)
      writeFileSync(join(dir, 'consumer.cjs'), cjsConsumer)
      writeFileSync(join(dir, 'consumer.ts'), tsConsumer)
      writeFileSync(join(dir, 'probe.cjs'), typesProbe)
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
      writeFileSync(join(dir, 'subpaths.mjs'), subpathsEsm)
      writeFileSync(join(dir, 'subpaths.cjs'), subpathsCjs)
      writeFileSync(join(dir, 'transports.ts'), transportsConsumer)
      writeFileSync(join(dir, 'tsconfig.transports.json'), JSON.stringify(transportsTsconfig, null, 2))
    }, timeout)

    test("the transports' entry points load from ESM, and a call goes over HTTP on loopback", () => {
      const [answer, kinds, frameworks, explorer] = run(process.execPath, ['subpaths.mjs'], dir).trim().split('\n')
      expect(JSON.parse(answer)).toEqual({ _tag: 'Right', right: 19 })
      expect(kinds).toBe('function,function,function,function,function,function,function,function')
      expect(frameworks).toBe('function,function,function,function')
      expect(existsSync(join(dir, 'node_modules', 'koa')) || existsSync(join(dir, 'node_modules', 'fastify'))).toBe(false)
      expect(JSON.parse(explorer)).toEqual([200, 'text/html; charset=utf-8', true, 200, true])
    })

    test("the transports' entry points load from CommonJS", () => {
      expect(run(process.execPath, ['subpaths.cjs'], dir).trim()).toBe(
        'function,function,function,function,function,function,function,function,function,function,function,function,function',
      )
    })

    test("a consumer of every entry point type-checks with Node's types", () => {
      run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.transports.json'], dir)
    })

    test('an ES module imports it (dist/esm) and answers the subtract example', () => {
      const [response, resolved] = run(process.execPath, ['consumer.mjs'], dir).trim().split('\n')
      expect(response).toBe(SUBTRACT_RESPONSE)
      expect(resolved).toMatch(/\/node_modules\/fp-jsonrpc\/dist\/esm\/index\.js$/)
    })

    test('a CommonJS module requires it (dist/cjs) and answers the subtract example', () => {
      const [response, resolved] = run(process.execPath, ['consumer.cjs'], dir).trim().split('\n')
      expect(response).toBe(SUBTRACT_RESPONSE)
      expect(resolved).toMatch(/\/node_modules\/fp-jsonrpc\/dist\/cjs\/index\.js$/)
    })

    test('a strict nodenext consumer type-checks with the installed typescript, and a mistyped handler is an error', () => {
      run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], dir)
    })

    test(`TypeScript reads the ${type === 'module' ? 'import' : 'require'} declarations, as ${type === 'module' ? 'an ES module' : 'CommonJS'}`, () => {
      const probe = JSON.parse(run(process.execPath, ['probe.cjs'], dir)) as { file?: string; format?: string }
      expect(probe).toEqual(type === 'module' ? { file: 'dist/esm/index.d.ts', format: 'module' } : { file: 'dist/cjs/index.d.ts', format: 'commonjs' })
    })
  })
})
