/**
 * The demo service (`npm start`) as a user meets it: started, called as the README shows (the curl
 * bodies, the typed client over HTTP and WebSocket), and stopped with SIGTERM.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpenRpc } from '../src/index.js'

// Through require: the package's type declarations pull in TypeScript sources that this project's
// compiler settings refuse, so its one function is typed here.
const { validateOpenRPCDocument } = createRequire(import.meta.url)('@open-rpc/schema-utils-js') as {
  readonly validateOpenRPCDocument: (document: unknown) => true | Error
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// The demo is run by node itself with tsx's loader (not tsx's command line, which would run it in a
// child of its own that a SIGKILL of the command line leaves running).

let child: ChildProcess
let output = ''
let rpcUrl = ''

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', join(root, 'examples', 'demo.ts')], { cwd: root, env: { ...process.env, PORT: '0' } })
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const started = Date.now()
  while (!/HTTP:\s+(\S+)/.test(output)) {
    if (Date.now() - started > 20_000) throw new Error(`the demo did not start:\n${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  rpcUrl = (/HTTP:\s+(\S+)/.exec(output) as RegExpExecArray)[1]
})

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL')
})

const post = async (body: string) => {
  const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: res.status, text: await res.text() }
}

describe('npm start: the demo service', () => {
  it('prints its HTTP and WebSocket URLs on localhost', () => {
    expect(rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rpc$/)
    expect(output).toMatch(/WebSocket: ws:\/\/127\.0\.0\.1:\d+\/ws/)
  })

  it('answers what the README sends with curl', async () => {
    expect(await post('{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}')).toEqual({ status: 200, text: '{"jsonrpc":"2.0","result":19,"id":1}' })
    expect(await post('{"jsonrpc":"2.0","method":"subtract","params":{"minuend":42,"subtrahend":23},"id":2}')).toEqual({
      status: 200,
      text: '{"jsonrpc":"2.0","result":19,"id":2}',
    })
    expect(await post('{"jsonrpc":"2.0","method":"withdraw","params":{"amount":500},"id":3}')).toEqual({
      status: 200,
      text: '{"jsonrpc":"2.0","error":{"code":1001,"message":"Insufficient funds","data":{"balance":100}},"id":3}',
    })
    expect(await post('{"jsonrpc":"2.0","method":"log","params":{"line":"hi"}}')).toEqual({ status: 204, text: '' })
    expect(await post('{"jsonrpc":"2.0","method":"sleep","params":{"ms":20},"id":4}')).toEqual({
      status: 200,
      text: '{"jsonrpc":"2.0","result":{"slept":20},"id":4}',
    })
  })

  it('accepts JSON-RPC 1.0 as well, as the README shows with curl: both members in the answer, 200 with an empty body for a notification', async () => {
    expect(await post('{"method":"subtract","params":[42,23],"id":1}')).toEqual({ status: 200, text: '{"result":19,"error":null,"id":1}' })
    expect(await post('{"method":"withdraw","params":{"amount":500},"id":2}')).toEqual({
      status: 200,
      text: '{"result":null,"error":{"code":1001,"message":"Insufficient funds","data":{"balance":100}},"id":2}',
    })
    expect(await post('{"method":"log","params":{"line":"hi"},"id":null}')).toEqual({ status: 200, text: '' })
  })

  it('serves the API explorer on its root, as the README says, and GET /rpc as before', async () => {
    const root = rpcUrl.replace(/rpc$/, '')
    expect(output).toContain(`Explorer:  ${root} (in a browser)`)
    const page = await fetch(root)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('<meta name="fp-jsonrpc-endpoint" content="./rpc" />')
    const get = await fetch(rpcUrl)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })

  it('serves the typed demo client over HTTP and WebSocket', async () => {
    const base = rpcUrl.replace(/\/rpc$/, '')
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'examples', 'demo', 'client.ts'), base], { cwd: root })
    expect(stdout.trim().split('\n')).toEqual([
      'subtract: 19',
      'sum: 10',
      'withdraw: refused, balance 100',
      'log: undefined',
      'batch: [{"_tag":"Right","right":-1},{"_tag":"Right","right":30}]',
      'subscribe: "subscribed"',
      'tick 1',
      'tick 2',
      'tick 3',
    ])
  })

  it('answers rpc.discover with a valid OpenRPC document of its contracts', async () => {
    const { status, text } = await post('{"jsonrpc":"2.0","method":"rpc.discover","id":9}')
    expect(status).toBe(200)
    const document = (JSON.parse(text) as { result: OpenRpc.Document }).result
    expect(validateOpenRPCDocument(document)).toBe(true)
    expect(document).toMatchObject({ openrpc: '1.3.2', info: { title: 'fp-jsonrpc demo', version: '0.2.0' } })
    expect(document.methods.map((m) => ('name' in m ? m.name : m.$ref))).toEqual([
      'subtract',
      'sum',
      'sleep',
      'withdraw',
      'log',
      'subscribe',
      'system.listMethods',
      'system.methodHelp',
      'system.methodSignature',
    ])
    const withdraw = document.methods.find((m) => 'name' in m && m.name === 'withdraw')
    expect(withdraw).toMatchObject({
      paramStructure: 'either',
      params: [{ name: 'amount', required: true, schema: { type: 'number' } }],
      errors: [{ code: 1001, message: 'InsufficientFunds' }],
      'x-error-data': { '1001': { type: 'object', properties: { balance: { type: 'number' } }, required: ['balance'] } },
      examples: [{ name: 'within the balance', params: [{ name: 'amount', value: 30 }], result: { name: 'result', value: { balance: 70 } } }],
    })
    // What the document says of an example is what the server answers.
    expect(await post('{"jsonrpc":"2.0","method":"withdraw","params":{"amount":30},"id":10}')).toEqual({
      status: 200,
      text: '{"jsonrpc":"2.0","result":{"balance":70},"id":10}',
    })
  })

  it('stops gracefully on SIGTERM', async () => {
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(output).toContain('stopped')
  })
})
