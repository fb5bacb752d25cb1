/**
 * OpenRpc: the document built from contracts (checked with OpenRPC's own validator,
 * `@open-rpc/schema-utils-js`), `rpc.discover` as the dispatcher answers it and as middleware and
 * HTTP authentication guard it, and `Client.discover`.
 */
import { Ajv } from 'ajv'
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import * as t from 'io-ts'
import { DateFromISOString } from 'io-ts-types/lib/DateFromISOString.js'
import { describe, expect, it } from 'vitest'
import { Client, Dispatch, InMemory, JsonSchema, Method, Middleware, OpenRpc, Registry, RpcError } from '../src/index.js'
import { Rules } from '../src/fetch/index.js'
import * as Methods from '../src/internal/dispatch/Methods.js'
import * as Http from '../src/http/index.js'
import { hasProtoMember } from '../src/internal/object.js'
import { listening } from './fixtures/listening.js'
import { sent } from './fixtures/shaped.js'

// Through require: the package's type declarations pull in TypeScript sources that this project's
// compiler settings refuse (unused declarations), so its one function is typed here.
const { validateOpenRPCDocument } = createRequire(import.meta.url)('@open-rpc/schema-utils-js') as {
  readonly validateOpenRPCDocument: (document: unknown) => true | Error
}

const info = { title: 'Test service', version: '1.2.3' }
const valid = (doc: OpenRpc.Document): true | string => {
  const verdict = validateOpenRPCDocument(doc)
  return verdict === true ? true : verdict.message
}

// A validator for one schema of a document, its `$ref`s into `#/components/schemas/` resolved.
const ajv = new Ajv({ strict: false, validateFormats: false })
const validatorIn = (doc: OpenRpc.Document, schema: JsonSchema.Schema) => ajv.compile({ ...schema, components: doc.components ?? {} })
const methodOf = (doc: OpenRpc.Document, name: string): OpenRpc.MethodObject => {
  const found = doc.methods.find((m) => 'name' in m && m.name === name)
  if (found === undefined || !('name' in found)) throw new Error(`no method ${name}`)
  return found
}

// -------------------------------------------------------------------------------------
// contracts of every shape
// -------------------------------------------------------------------------------------

interface Tree {
  readonly value: number
  readonly children: ReadonlyArray<Tree>
}
const Tree: t.Type<Tree> = t.recursion('Tree', () => t.type({ value: t.number, children: t.readonlyArray(Tree) }))
const Shape = t.union([t.type({ kind: t.literal('circle'), r: t.number }), t.type({ kind: t.literal('square'), side: t.number })], 'Shape')
const NotFound = RpcError.typed(404, t.type({ id: t.string }), 'NotFound')
const Conflict = t.type({ code: t.literal(409), message: t.literal('Conflict'), data: t.type({ version: t.Int }) })

const Depth = Method.make({ name: 'tree.depth', params: t.type({ tree: Tree }), result: t.number, description: 'How deep a tree is' })
const Area = Method.make({
  name: 'shape.area',
  params: t.type({ shape: Shape, precision: t.union([t.Int, t.undefined]) }),
  result: t.number,
  summary: 'The area of a shape',
  tags: ['geometry'],
  examples: [{ name: 'unit square', params: { shape: { kind: 'square', side: 1 }, precision: undefined }, result: 1 }],
})
const Biggest = Method.make({ name: 'shape.biggest', params: t.type({ shapes: t.readonlyArray(Shape) }), result: Shape })
const Fetch = Method.make({
  name: 'item.fetch',
  params: t.intersection([t.type({ id: t.string }), t.partial({ since: DateFromISOString })]),
  result: t.type({ id: t.string, at: DateFromISOString }),
  error: t.union([NotFound, Conflict]),
  deprecated: true,
  examples: [{ name: 'since epoch', params: { id: 'a', since: new Date(0) }, result: { id: 'a', at: new Date(1000) } }],
})
const Move = Method.make({
  name: 'move',
  params: t.tuple([t.number, t.number, t.union([t.string, t.undefined])]),
  result: t.void,
  examples: [{ name: 'right', params: [1, 0, undefined] }],
})
const Sum = Method.make({ name: 'sum', params: t.array(t.number), result: t.number, examples: [{ name: 'three', params: [1, 2, 3], result: 6 }] })
const Ping = Method.make({ name: 'ping' })
const Positional = Method.make({ name: 'positional', params: t.type({ a: t.string, b: t.number }), sendParamsBy: 'position', paramOrder: ['b', 'a'] })

const registry = pipe(
  Registry.empty,
  Registry.add(Depth, () => E.right(1)),
  Registry.add(Area, () => E.right(1)),
  Registry.add(Biggest, ({ shapes }) => E.right(shapes[0])),
  Registry.add(Fetch, ({ id }) => E.right({ id, at: new Date(0) })),
  Registry.add(Move, () => E.right(undefined)),
  Registry.add(Sum, (ns) => E.right(ns.reduce((a, b) => a + b, 0))),
  Registry.add(Ping, () => E.right('pong')),
  Registry.add(Positional, () => E.right(null)),
)
const doc = pipe(registry, OpenRpc.document({ ...info, description: 'every shape of contract', servers: [{ name: 'local', url: 'http://127.0.0.1:1/rpc' }] }))

describe('OpenRpc.document', () => {
  it("is a valid OpenRPC 1.3.2 document (OpenRPC's own validator)", () => {
    expect(doc.openrpc).toBe('1.3.2')
    expect(valid(doc)).toBe(true)
    expect(doc.info).toEqual({ title: 'Test service', version: '1.2.3', description: 'every shape of contract' })
    expect(doc.servers).toEqual([{ name: 'local', url: 'http://127.0.0.1:1/rpc' }])
  })

  it('lists the methods in the order they were added', () => {
    expect(doc.methods.map((m) => ('name' in m ? m.name : m.$ref))).toEqual([
      'tree.depth',
      'shape.area',
      'shape.biggest',
      'item.fetch',
      'move',
      'sum',
      'ping',
      'positional',
    ])
  })

  it('by-name params: one descriptor per param in the declared order, required unless the codec accepts absence, paramStructure either', () => {
    const area = methodOf(doc, 'shape.area')
    expect(area.paramStructure).toBe('either')
    expect(area.params).toEqual([
      { name: 'shape', required: true, schema: { $ref: '#/components/schemas/Shape' } },
      { name: 'precision', required: false, schema: { type: 'integer' } },
    ])
    expect(methodOf(doc, 'positional').params.map((p) => ('name' in p ? p.name : ''))).toEqual(['b', 'a'])
    const fetch = methodOf(doc, 'item.fetch')
    expect(fetch.params).toEqual([
      { name: 'id', required: true, schema: { type: 'string' } },
      { name: 'since', required: false, schema: { type: 'string', format: 'date-time' } },
    ])
  })

  it('tuple params are positional descriptors; other params are described whole under x-params', () => {
    const move = methodOf(doc, 'move')
    expect(move.paramStructure).toBe('by-position')
    expect(move.params).toEqual([
      { name: 'arg0', required: true, schema: { type: 'number' } },
      { name: 'arg1', required: true, schema: { type: 'number' } },
      { name: 'arg2', required: false, schema: { type: 'string' } },
    ])
    const sum = methodOf(doc, 'sum')
    expect(sum.paramStructure).toBe('by-position')
    expect(sum.params).toEqual([])
    expect(sum['x-params']).toEqual({ type: 'array', items: { type: 'number' } })
  })

  it('the result, null allowed when the codec accepts undefined (the server writes null)', () => {
    expect(methodOf(doc, 'tree.depth').result).toEqual({ name: 'result', schema: { type: 'number' } })
    expect(methodOf(doc, 'move').result).toEqual({ name: 'result', schema: { anyOf: [{ not: {} }, { type: 'null' }] } })
    expect(methodOf(doc, 'ping').result).toEqual({ name: 'result', schema: {} })
  })

  it('recursive and shared named schemas are components', () => {
    expect(Object.keys(doc.components?.schemas ?? {}).sort()).toEqual(['Shape', 'Tree'])
    expect(methodOf(doc, 'tree.depth').params[0]).toEqual({ name: 'tree', required: true, schema: { $ref: '#/components/schemas/Tree' } })
    expect(methodOf(doc, 'shape.biggest').result).toEqual({ name: 'result', schema: { $ref: '#/components/schemas/Shape' } })
    const tree = validatorIn(doc, { $ref: '#/components/schemas/Tree' })
    expect(tree({ value: 1, children: [{ value: 2, children: [] }] })).toBe(true)
    expect(tree({ value: 1, children: [{ value: '2', children: [] }] })).toBe(false)
  })

  it('errors: code and message of each declared error, the data schemas under x-error-data', () => {
    const fetch = methodOf(doc, 'item.fetch')
    expect(fetch.errors).toEqual([
      { code: 404, message: 'NotFound' },
      { code: 409, message: 'Conflict' },
    ])
    expect(fetch['x-error-data']).toEqual({
      '404': { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      '409': { type: 'object', properties: { version: { type: 'integer' } }, required: ['version'] },
    })
    expect(methodOf(doc, 'ping').errors).toBeUndefined()
  })

  it('description, summary, deprecated and tags', () => {
    expect(methodOf(doc, 'tree.depth').description).toBe('How deep a tree is')
    expect(methodOf(doc, 'ping').description).toBeUndefined()
    expect(methodOf(doc, 'shape.area')).toMatchObject({ summary: 'The area of a shape', tags: [{ name: 'geometry' }] })
    expect(methodOf(doc, 'item.fetch').deprecated).toBe(true)
  })

  it('examples, encoded with the codecs, by parameter name or position; each validates against its schema', () => {
    expect(methodOf(doc, 'shape.area').examples).toEqual([
      { name: 'unit square', params: [{ name: 'shape', value: { kind: 'square', side: 1 } }], result: { name: 'result', value: 1 } },
    ])
    expect(methodOf(doc, 'item.fetch').examples).toEqual([
      {
        name: 'since epoch',
        params: [
          { name: 'id', value: 'a' },
          { name: 'since', value: '1970-01-01T00:00:00.000Z' },
        ],
        result: { name: 'result', value: { id: 'a', at: '1970-01-01T00:00:01.000Z' } },
      },
    ])
    expect(methodOf(doc, 'move').examples).toEqual([
      {
        name: 'right',
        params: [
          { name: 'arg0', value: 1 },
          { name: 'arg1', value: 0 },
        ],
      },
    ])
    expect(methodOf(doc, 'sum').examples).toEqual([{ name: 'three', params: [{ name: 'params', value: [1, 2, 3] }], result: { name: 'result', value: 6 } }])
    for (const name of ['shape.area', 'item.fetch']) {
      const method = methodOf(doc, name)
      for (const example of method.examples ?? []) {
        if ('$ref' in example) continue
        for (const param of example.params) {
          const descriptor = method.params.find((p) => 'name' in p && 'name' in param && p.name === param.name)
          if (descriptor === undefined || !('schema' in descriptor) || !('value' in param)) throw new Error('an example names no param')
          expect(validatorIn(doc, descriptor.schema)(param.value)).toBe(true)
        }
      }
    }
  })

  it('lists the introspection methods when the registry answers them', () => {
    const withIntro = pipe(registry, Registry.withIntrospection, OpenRpc.document(info))
    expect(withIntro.methods.slice(-3).map((m) => ('name' in m ? m.name : ''))).toEqual(['system.listMethods', 'system.methodHelp', 'system.methodSignature'])
    expect(valid(withIntro)).toBe(true)
  })

  it('an override gives a codec the schema its owner chose', () => {
    const Even = new t.Type<number>(
      'Even',
      (u): u is number => typeof u === 'number',
      (u, c) => (typeof u === 'number' ? t.success(u) : t.failure(u, c)),
      t.identity,
    )
    const Half = Method.make({ name: 'half', params: t.type({ n: Even }), result: t.number })
    const overridden = pipe(
      Registry.empty,
      Registry.add(Half, ({ n }) => E.right(n / 2)),
      OpenRpc.document({ ...info, overrides: new Map<t.Mixed, JsonSchema.Schema>([[Even, { type: 'integer', multipleOf: 2 }]]) }),
    )
    expect(methodOf(overridden, 'half').params).toEqual([{ name: 'n', required: true, schema: { type: 'integer', multipleOf: 2 } }])
  })

  it('the document decodes with OpenRpc.Document, which keeps members it does not type', () => {
    expect(OpenRpc.Document.decode(doc)).toEqual(E.right(doc))
    const extended = { ...doc, 'x-vendor': 1, methods: [{ name: 'a', params: [], 'x-more': true }] }
    expect(OpenRpc.Document.decode(extended)).toEqual(E.right(extended))
    expect(E.isLeft(OpenRpc.Document.decode({ openrpc: '1.3.2', info: { title: 'x' }, methods: [] }))).toBe(true)
    expect(E.isLeft(OpenRpc.Document.decode({ openrpc: '1.3.2', info, methods: [{ params: [] }] }))).toBe(true)
  })
})

// -------------------------------------------------------------------------------------
// rpc.discover on the wire
// -------------------------------------------------------------------------------------

const discover = '{"jsonrpc":"2.0","method":"rpc.discover","id":7}'

describe('rpc.discover', () => {
  it('is answered -32601 unless the registry turns it on', async () => {
    expect(await Dispatch.make(registry).dispatch(discover)).toBe('{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":7}')
  })

  it('answers the registry document, the same one each time', async () => {
    const server = Dispatch.make(pipe(registry, Registry.withDiscovery(info)))
    const first = (await server.dispatch(discover)) as string
    expect(JSON.parse(first)).toEqual({ jsonrpc: '2.0', result: JSON.parse(JSON.stringify(pipe(registry, OpenRpc.document(info)))), id: 7 })
    expect(await server.dispatch(discover)).toBe(first)
    expect(await server.dispatch('{"jsonrpc":"2.0","method":"rpc.discover","params":{},"id":7}')).toBe(first)
    expect(await server.dispatch('{"jsonrpc":"2.0","method":"rpc.discover","params":[],"id":7}')).toBe(first)
  })

  it('cannot be registered by hand (rpc. names are reserved)', () => {
    expect(() =>
      pipe(
        Registry.empty,
        Registry.add(Method.make({ name: 'rpc.discover' }), () => E.right(1)),
      ),
    ).toThrow(TypeError)
  })

  it('is kept by concat and use', async () => {
    const on = pipe(
      Registry.empty,
      Registry.add(Ping, () => E.right('pong')),
      Registry.withDiscovery(info),
    )
    const other = pipe(
      Registry.empty,
      Registry.add(Sum, (ns) => E.right(ns.length)),
    )
    const joined = pipe(other, Registry.concat(on))
    const answer = JSON.parse((await Dispatch.make(joined).dispatch(discover)) as string) as { result: OpenRpc.Document }
    expect(answer.result.methods.map((m) => ('name' in m ? m.name : ''))).toEqual(['sum', 'ping'])
    const used = pipe(
      on,
      Registry.use((h) => h),
    )
    expect(used.discovery).toEqual(info)
  })

  it("is guarded by the registry's middleware, as every method", async () => {
    const guarded = pipe(
      Registry.empty,
      Registry.add(Ping, () => E.right('pong')),
      Registry.withDiscovery(info),
      Registry.use(
        Middleware.authenticate((ctx: { readonly token?: string }) => (ctx.token === 'ok' ? E.right(ctx) : E.left(RpcError.make(-32001, 'Unauthorized')))),
      ),
    )
    const server = Dispatch.make(guarded)
    expect(await server.dispatch(discover, {})).toBe('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":7}')
    expect(JSON.parse((await server.dispatch(discover, { token: 'ok' })) as string)).toHaveProperty('result.openrpc', '1.3.2')
  })

  it('over HTTP, a caller that authenticate refuses gets 401 and no document', async () => {
    const server = await listening(
      Http.serve({
        dispatcher: Dispatch.make(pipe(registry, Registry.withDiscovery(info))),
        host: '127.0.0.1',
        port: 0,
        authenticate: (req: IncomingMessage) => (req.headers.authorization === 'Bearer ok' ? E.right({}) : E.left(Rules.unauthenticated())),
      }),
    )
    try {
      const url = `http://127.0.0.1:${server.address.port}/`
      const post = (headers: Record<string, string>) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: discover })
      const refused = await post({})
      expect(refused.status).toBe(401)
      expect(await refused.text()).not.toContain('openrpc')
      const allowed = await post({ authorization: 'Bearer ok' })
      expect(allowed.status).toBe(200)
      expect(valid((JSON.parse(await allowed.text()) as { result: OpenRpc.Document }).result)).toBe(true)
    } finally {
      await server.close()
    }
  })
})

// -------------------------------------------------------------------------------------
// Client.discover
// -------------------------------------------------------------------------------------

describe('Client.discover', () => {
  it('gives the document, decoded', async () => {
    const client = Client.make(InMemory.fromDispatcher(Dispatch.make(pipe(registry, Registry.withDiscovery(info)))))
    const answer = await pipe(client, Client.discover())()
    expect(answer).toEqual(E.right(JSON.parse(JSON.stringify(pipe(registry, OpenRpc.document(info))))))
  })

  it('is a batch entry like any call', async () => {
    const client = Client.make(InMemory.fromDispatcher(Dispatch.make(pipe(registry, Registry.withDiscovery(info)))))
    const answer = await pipe(client, Client.batch(Client.discover(), Client.call(Sum, [1, 2])))()
    expect(E.isRight(answer) && E.isRight(answer.right[0]) && answer.right[0].right.info).toEqual(info)
    expect(E.isRight(answer) && answer.right[1]).toEqual(E.right(3))
  })

  it('answers -32601 as an RpcError when the server does not discover', async () => {
    const client = Client.make(InMemory.fromDispatcher(Dispatch.make(registry)))
    expect(await pipe(client, Client.discover())()).toEqual(E.left({ _tag: 'RpcError', error: { code: -32601, message: 'Method not found' } }))
  })

  it('gives ResultDecodeError for an answer that is not a document', async () => {
    const client = Client.make({ send: () => async () => E.right('{"jsonrpc":"2.0","result":{"openrpc":1},"id":1}') })
    const answer = await pipe(client, Client.discover())()
    expect(E.isLeft(answer) && answer.left._tag).toBe('ResultDecodeError')
  })
})

// -------------------------------------------------------------------------------------
// examples on contracts
// -------------------------------------------------------------------------------------

describe('Method.make checks its examples', () => {
  const params = t.type({ a: t.number })
  it('a bad params example throws a TypeError naming the example', () => {
    expect(() => Method.make({ name: 'm', params, examples: [{ name: 'bad', params: { a: 'x' } as never }] })).toThrow(
      new TypeError('method m: example "bad": its params do not match the params codec { a: number }'),
    )
  })
  it('a bad result example throws a TypeError', () => {
    expect(() => Method.make({ name: 'm', params, result: t.string, examples: [{ name: 'r', params: { a: 1 }, result: 3 as never }] })).toThrow(
      new TypeError('method m: example "r": its result does not match the result codec string'),
    )
  })
  it('an example without a name throws a TypeError', () => {
    expect(() => Method.make({ name: 'm', params, examples: [{ params: { a: 1 } } as never] })).toThrow(new TypeError('method m: example 1 needs a name'))
  })
  it('good examples are kept on the contract', () => {
    const m = Method.make({
      name: 'm',
      params,
      result: t.string,
      examples: [
        { name: 'ok', params: { a: 1 }, result: 'one' },
        { name: 'notification', params: { a: 2 } },
      ],
    })
    expect(m.examples).toEqual([
      { name: 'ok', params: { a: 1 }, result: 'one' },
      { name: 'notification', params: { a: 2 } },
    ])
  })
})

// -------------------------------------------------------------------------------------
// the dispatcher's built-in entry
// -------------------------------------------------------------------------------------

describe('rpc.discover among the built-in methods (internal/dispatch/Methods)', () => {
  it('is a built-in only when the registry turns discovery on, beside introspection', () => {
    const plain = pipe(
      Registry.empty,
      Registry.add(Ping, () => E.right('pong')),
    )
    expect(Methods.builtIns(plain)).toEqual([])
    expect(Methods.builtIns(pipe(plain, Registry.withDiscovery(info))).map((e) => e.method.name)).toEqual(['rpc.discover'])
    expect([...Methods.compileAll(pipe(plain, Registry.withIntrospection, Registry.withDiscovery(info))).keys()]).toEqual([
      'ping',
      'system.listMethods',
      'system.methodHelp',
      'system.methodSignature',
      'rpc.discover',
    ])
  })

  it('builds the document once, on the first call', () => {
    const entry = Methods.discoveryEntry(registry, info)
    const control = { signal: new AbortController().signal }
    const request = { jsonrpc: '2.0' as const, method: 'rpc.discover', id: 1 }
    const first = entry.handler({}, undefined, request, control)
    expect(first).toEqual(pipe(registry, OpenRpc.document(info)))
    expect(entry.handler({}, undefined, request, control)).toBe(first)
  })

  it('after concat, is guarded by the middleware of both registries, as every built-in', async () => {
    const token = (name: string) =>
      Middleware.authenticate((ctx: { readonly tokens?: ReadonlyArray<string> }) =>
        ctx.tokens?.includes(name) ? E.right(ctx) : E.left(RpcError.make(-32001, 'Unauthorized')),
      )
    const a = pipe(
      Registry.empty,
      Registry.add(Ping, () => E.right('pong')),
      Registry.use(token('a')),
    )
    const b = pipe(
      Registry.empty,
      Registry.add(Sum, (ns) => E.right(ns.length)),
      Registry.use(token('b')),
    )
    const server = Dispatch.make(pipe(a, Registry.concat(b), Registry.withDiscovery(info)))
    expect(await server.dispatch(discover, { tokens: ['a'] })).toBe('{"jsonrpc":"2.0","error":{"code":-32001,"message":"Unauthorized"},"id":7}')
    expect(JSON.parse((await server.dispatch(discover, { tokens: ['a', 'b'] })) as string)).toHaveProperty('result.methods.length', 2)
  })
})

// -------------------------------------------------------------------------------------
// the descriptors say what the server takes
// -------------------------------------------------------------------------------------

describe('the params descriptors agree with the server', () => {
  // By name: an object with the descriptors as properties, `required` as listed. By position: an
  // array whose elements are the descriptors in order, as many as the required ones at least and no
  // more than all of them. Exact codecs only (no DateFromISOString), so the verdicts must be equal.
  const byName = (method: OpenRpc.MethodObject): JsonSchema.Schema => {
    const descriptors = method.params.filter((p): p is OpenRpc.ContentDescriptor => 'schema' in p)
    return {
      type: 'object',
      properties: Object.fromEntries(descriptors.map((p) => [p.name, p.schema])),
      required: descriptors.filter((p) => p.required === true).map((p) => p.name),
    }
  }
  const byPosition = (method: OpenRpc.MethodObject): JsonSchema.Schema => {
    const descriptors = method.params.filter((p): p is OpenRpc.ContentDescriptor => 'schema' in p)
    const required = descriptors.reduce((n, p, i) => (p.required === true ? i + 1 : n), 0)
    return { type: 'array', items: descriptors.map((p) => p.schema), minItems: required, maxItems: descriptors.length }
  }
  const server = Dispatch.make(registry)
  const accepted = (name: string, params: unknown): boolean => {
    const answer = server.dispatch(JSON.stringify({ jsonrpc: '2.0', method: name, params, id: 1 })) as string
    return !answer.includes('"code":-32602')
  }

  for (const contract of [Area, Depth, Positional, Biggest]) {
    it(`${contract.name}: by name and by position`, () => {
      const method = methodOf(doc, contract.name)
      const named = validatorIn(doc, byName(method))
      const positional = validatorIn(doc, byPosition(method))
      const order = contract.paramOrder ?? []
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue({ maxDepth: 2 }), sent(contract.params)), (params) => {
          // Params that are not structured are the request's error (-32600), not the descriptors'.
          if (typeof params !== 'object' || params === null || Array.isArray(params)) return
          // Params holding a `__proto__` member are refused whatever the descriptors say (docs/security.md).
          if (hasProtoMember(params)) {
            expect(accepted(contract.name, params)).toBe(false)
            return
          }
          expect({ params, valid: named(params) }).toEqual({ params, valid: accepted(contract.name, params) })
          // The same values by position, trailing absent ones left out (as a client sends them).
          const values = order.map((name) => (params as Record<string, unknown>)[name])
          while (values.length > 0 && values[values.length - 1] === undefined) values.pop()
          if (values.includes(undefined)) return
          expect({ values, valid: positional(values) }).toEqual({ values, valid: accepted(contract.name, values) })
        }),
        { numRuns: 300 },
      )
    })
  }
})
