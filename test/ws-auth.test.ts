/**
 * WebSocket authentication (issue #4): the hook runs on the upgrade request, before any connection;
 * a refused caller gets a status and no socket, so it learns nothing of the methods.
 */
import { createServer, get, type IncomingMessage, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterEach, describe, expect, it } from 'vitest'
import { Client, Dispatch, Method, Registry } from '../src/index.js'
import { Rules } from '../src/fetch/index.js'
import * as Ws from '../src/ws/index.js'

const Whoami = Method.make({ name: 'whoami', result: t.string })
const dispatcher = Dispatch.make(
  pipe(
    Registry.empty,
    Registry.add(Whoami, (_: {}, ctx: { readonly user: string }) => E.right(ctx.user)),
    Registry.withIntrospection,
  ),
)

const open: Array<{ http: HttpServer; server: Ws.Server }> = []
afterEach(async () => {
  for (const { http, server } of open.splice(0)) {
    await server.close()
    await new Promise((r) => http.close(r))
  }
})

const start = async (
  authenticate: (request: IncomingMessage) => E.Either<Rules.Refusal, unknown> | Promise<E.Either<Rules.Refusal, unknown>>,
  errors: Array<unknown> = [],
) => {
  const http = createServer((_req, res) => res.end())
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const server = Ws.attachToHttp(http, dispatcher, {
    path: '/rpc',
    authenticate,
    context: (_request, _socket, connection) => ({ user: String(connection.principal) }),
    onError: (e) => void errors.push(e),
  })
  open.push({ http, server })
  return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/rpc`
}

const byToken = (request: IncomingMessage) =>
  request.headers.authorization === 'Bearer letmein'
    ? E.right('ada')
    : request.headers.authorization === undefined
      ? E.left(Rules.unauthenticated())
      : E.left(Rules.refused)

/** The raw answer to an upgrade request: its status, challenge, and every byte of its headers and body. */
const upgradeStatus = (url: string, headers: Record<string, string> = {}): Promise<{ status: number; challenge: string | undefined; raw: string }> =>
  new Promise((resolve, reject) => {
    const req = get(url.replace('ws:', 'http:'), {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    })
    req.on('response', (res: IncomingMessage) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, challenge: res.headers['www-authenticate'], raw: JSON.stringify(res.headers) + body }))
    })
    req.on('upgrade', (res: IncomingMessage, socket: { destroy: () => void }) => {
      socket.destroy()
      resolve({ status: res.statusCode ?? 0, challenge: undefined, raw: '' })
    })
    req.on('error', reject)
  })

describe('WebSocket authenticate', () => {
  it('admits a caller and gives its principal to the handlers through the context', async () => {
    const url = await start(byToken)
    const connected = await Ws.connect(url, { headers: { authorization: 'Bearer letmein' } })()
    if (E.isLeft(connected)) throw new Error('no connection')
    expect(await pipe(connected.right.client, Client.call(Whoami))()).toEqual(E.right('ada'))
    await connected.right.close()
  })

  it('answers 401 with a challenge, and opens no socket, for a caller without credentials', async () => {
    const url = await start(byToken)
    expect(await upgradeStatus(url)).toMatchObject({ status: 401, challenge: 'Bearer' })
    const connected = await Ws.connect(url)()
    expect(connected).toMatchObject({ _tag: 'Left', left: { _tag: 'UpgradeRefused', status: 401 } })
  })

  it('answers 403 to a refused caller', async () => {
    const url = await start(byToken)
    expect((await upgradeStatus(url, { authorization: 'Bearer wrong' })).status).toBe(403)
  })

  it('answers 500 when the hook throws, and the cause goes to onError only', async () => {
    const errors: Array<unknown> = []
    const url = await start(() => {
      throw new Error('secret database password in /etc/app.conf')
    }, errors)
    const answer = await upgradeStatus(url)
    expect(answer.status).toBe(500)
    expect(answer.raw).not.toContain('secret')
    expect(errors.map((e) => String(e))).toContain('Error: secret database password in /etc/app.conf')
  })

  it('takes an asynchronous hook', async () => {
    const url = await start(async (request) => (request.headers['x-key'] === 'k' ? E.right('bob') : E.left(Rules.unauthenticated('Key'))))
    expect(await upgradeStatus(url)).toMatchObject({ status: 401, challenge: 'Key' })
    const connected = await Ws.connect(url, { headers: { 'x-key': 'k' } })()
    if (E.isLeft(connected)) throw new Error('no connection')
    expect(await pipe(connected.right.client, Client.call(Whoami))()).toEqual(E.right('bob'))
    await connected.right.close()
  })
})
