/**
 * `fp-jsonrpc call` over `https://` and `wss://`: a node:https server on 127.0.0.1 with a certificate
 * made for the test by `openssl` (the package's HTTP listener on it, and its WebSocket server through
 * a `ws` WebSocketServer), the command run as a program that trusts that certificate
 * (NODE_EXTRA_CA_CERTS), and one that does not.
 */
import { execFile } from 'node:child_process'
import { createServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { Dispatch, Method, Registry } from '../src/index.js'
import { listener } from '../src/http/index.js'
import * as Ws from '../src/ws/index.js'
import * as Tls from './fixtures/tls.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
  ),
)

let certificate: Tls.Certificate
let https: HttpsServer
let ws: Ws.Server
let port: number
beforeAll(async () => {
  certificate = Tls.selfSigned()
  https = createServer({ key: certificate.key, cert: certificate.cert }, listener(dispatcher))
  ws = Ws.attach(new WebSocketServer({ server: https, path: '/ws' }), dispatcher)
  await new Promise<void>((done) => https.listen(0, '127.0.0.1', done))
  port = (https.address() as AddressInfo).port
})
afterAll(async () => {
  await ws.close()
  https.closeAllConnections()
  await new Promise<void>((done) => https.close(() => done()))
  certificate.remove()
})

const runProgram = (args: ReadonlyArray<string>, trusted: boolean) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
    execFile(
      process.execPath,
      [tsx, join(root, 'src', 'bin.ts'), ...args],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: trusted ? certificate.certPath : '' } },
      (error, stdout, stderr) => done({ code: error === null ? 0 : (error.code as number), stdout, stderr }),
    ),
  )

describe('fp-jsonrpc call over https:// and wss://', () => {
  it('calls over both when the certificate is trusted', async () => {
    expect(await runProgram(['call', `https://127.0.0.1:${port}/`, 'subtract', '[5,3]'], true)).toEqual({ code: 0, stdout: '2\n', stderr: '' })
    expect(await runProgram(['call', `wss://127.0.0.1:${port}/ws`, 'subtract', '{"minuend": 5, "subtrahend": 3}'], true)).toEqual({
      code: 0,
      stdout: '2\n',
      stderr: '',
    })
  })

  it('says the certificate is refused when it is not trusted', async () => {
    expect(await runProgram(['call', `https://127.0.0.1:${port}/`, 'subtract', '[5,3]'], false)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'network error: fetch failed: self-signed certificate\n',
    })
    expect(await runProgram(['call', `wss://127.0.0.1:${port}/ws`, 'subtract', '[5,3]'], false)).toEqual({
      code: 1,
      stdout: '',
      stderr: `cannot connect to wss://127.0.0.1:${port}/ws: self-signed certificate\n`,
    })
  })
})
