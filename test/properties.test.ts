/**
 * The laws, checked with fast-check: dispatch is total; a batch of n requests with k notifications
 * yields n - k responses; the codecs round-trip.
 */
import * as fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Dispatch, Id, Method, Registry, RpcError, RpcRequest, RpcResponse } from '../src/index.js'
import { hasProtoMember } from '../src/internal/object.js'
import * as SpecMethods from './fixtures/spec-methods.js'

// -------------------------------------------------------------------------------------
// a server with every kind of handler
// -------------------------------------------------------------------------------------

const Later = Method.make({ name: 'later', params: t.array(t.unknown), result: t.number })
const Task = Method.make({ name: 'task', params: t.type({ n: t.number }), result: t.number })
const Throws = Method.make({ name: 'throws' })
const Rejects = Method.make({ name: 'rejects' })
const Fails = Method.make({ name: 'fails', params: t.UnknownRecord })
const Big = Method.make({ name: 'big' })

const registry = pipe(
  SpecMethods.make().registry,
  Registry.add(Later, (xs) => Promise.resolve(xs.length)),
  Registry.add(Task, ({ n }) => TE.right(n + 1)),
  Registry.add(Throws, () => {
    throw new Error('x')
  }),
  Registry.add(Rejects, () => Promise.reject(new Error('x'))),
  Registry.add(Fails, () => E.left(RpcError.make(1, 'no'))),
  Registry.add(Big, () => E.right(1n)),
  Registry.withIntrospection,
)
const server = Dispatch.make(registry)
const names = [...Registry.names(registry), 'system.listMethods', 'system.methodHelp', 'nope', 'toString', '__proto__', 'rpc.x']

// -------------------------------------------------------------------------------------
// what a valid answer is
// -------------------------------------------------------------------------------------

const checkAnswer = (out: unknown): void => {
  if (out === undefined) return
  expect(typeof out).toBe('string')
  const parsed: unknown = JSON.parse(out as string)
  if (Array.isArray(parsed)) expect(RpcResponse.batchCodec.is(parsed), out as string).toBe(true)
  else expect(RpcResponse.isRpcResponse(parsed), out as string).toBe(true)
}

// Runs dispatch, turning a throw or a rejection into a test failure with the cause.
const total = async (d: Dispatch.Dispatcher<unknown>, input: string): Promise<unknown> => {
  let out: unknown
  try {
    out = d.dispatch(input)
  } catch (e) {
    throw new Error(`dispatch threw on ${JSON.stringify(input)}: ${String(e)}`, { cause: e })
  }
  try {
    return await out
  } catch (e) {
    throw new Error(`dispatch rejected on ${JSON.stringify(input)}: ${String(e)}`, { cause: e })
  }
}

// -------------------------------------------------------------------------------------
// arbitraries
// -------------------------------------------------------------------------------------

const requestLike = fc.record(
  {
    jsonrpc: fc.oneof({ weight: 4, arbitrary: fc.constant('2.0') }, fc.jsonValue({ maxDepth: 1 })),
    method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, fc.jsonValue({ maxDepth: 1 })),
    params: fc.oneof(
      fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom('minuend', 'subtrahend', 'n', 'name', 'x'), fc.jsonValue({ maxDepth: 1 })),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    id: fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant(null), fc.jsonValue({ maxDepth: 1 }), fc.constant(2 ** 53 + 2)),
  },
  { requiredKeys: [] },
)
const message = fc.oneof(
  requestLike,
  fc.array(fc.oneof({ weight: 3, arbitrary: requestLike }, fc.jsonValue({ maxDepth: 2 })), { maxLength: 6 }),
  fc.jsonValue(),
)

// -------------------------------------------------------------------------------------
// dispatch is total
// -------------------------------------------------------------------------------------

describe('dispatch is total: it never throws, never rejects, and answers a valid response or nothing', () => {
  it('on arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.json()), async (input) => {
        checkAnswer(await total(server, input))
      }),
      { numRuns: 300 },
    )
  })

  it('on arbitrary JSON values and request-shaped objects', async () => {
    await fc.assert(
      fc.asyncProperty(message, async (value) => {
        checkAnswer(await total(server, JSON.stringify(value)))
      }),
      { numRuns: 500 },
    )
  })

  it('on any value a custom deserializer gives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), message), async (value) => {
        const d = Dispatch.make(registry, { deserialize: () => value })
        checkAnswer(await total(d, 'ignored'))
      }),
      { numRuns: 300 },
    )
  })
})

// -------------------------------------------------------------------------------------
// batches
// -------------------------------------------------------------------------------------

interface Call {
  readonly method: string
  readonly params: unknown
}

const validCall: fc.Arbitrary<Call> = fc.oneof(
  fc.tuple(fc.integer(), fc.integer()).map(([a, b]) => ({ method: 'subtract', params: [a, b] })),
  fc.record({ minuend: fc.integer(), subtrahend: fc.integer() }).map((params) => ({ method: 'subtract', params })),
  fc.array(fc.integer(), { maxLength: 4 }).map((params) => ({ method: 'sum', params })),
  fc.constant({ method: 'get_data', params: [] }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }).map((params) => ({ method: 'later', params })),
  fc.integer().map((n) => ({ method: 'task', params: { n } })),
  fc.constant({ method: 'throws', params: [] }),
  fc.constant({ method: 'rejects', params: [] }),
  fc.constant({ method: 'fails', params: {} }),
)

describe('a batch of n requests with k notifications yields n - k responses, with the same ids', () => {
  it('answers each request once, in order, and no notification', async () => {
    const batch = fc
      .uniqueArray(fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), { minLength: 1, maxLength: 12 })
      .chain((ids) =>
        fc.tuple(
          fc.constant(ids),
          fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length }),
          fc.array(validCall, { minLength: ids.length, maxLength: ids.length }),
        ),
      )
    await fc.assert(
      fc.asyncProperty(batch, async ([ids, isNotification, calls]) => {
        const items = calls.map((c, i) => (isNotification[i] ? { jsonrpc: '2.0', ...c } : { jsonrpc: '2.0', ...c, id: ids[i] }))
        const expectedIds = ids.filter((_, i) => !isNotification[i])
        const out = await total(server, JSON.stringify(items))
        if (expectedIds.length === 0) {
          expect(out).toBeUndefined()
          return
        }
        const responses = JSON.parse(out as string) as ReadonlyArray<RpcResponse.RpcResponse>
        expect(responses.map((r) => r.id)).toEqual(expectedIds)
      }),
      { numRuns: 300 },
    )
  })
})

// -------------------------------------------------------------------------------------
// codecs round-trip
// -------------------------------------------------------------------------------------

const id: fc.Arbitrary<Id.Id> = fc.oneof(
  fc.string(),
  fc.constant(null),
  fc.maxSafeInteger(),
  fc.double({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, noNaN: true }),
)
const params: fc.Arbitrary<RpcRequest.Params> = fc.oneof(fc.array(fc.jsonValue(), { maxLength: 4 }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }))
const rpcError: fc.Arbitrary<RpcError.RpcError> = fc.record(
  { code: fc.integer(), message: fc.string(), data: fc.jsonValue() },
  { requiredKeys: ['code', 'message'] },
)
const request: fc.Arbitrary<RpcRequest.RpcRequest> = fc.oneof(
  fc.record({ method: fc.string(), params: fc.option(params, { nil: undefined }), id }).map(({ method, params, id }) => RpcRequest.request(method, params, id)),
  fc.record({ method: fc.string(), params: fc.option(params, { nil: undefined }) }).map(({ method, params }) => RpcRequest.notification(method, params)),
)
const response: fc.Arbitrary<RpcResponse.RpcResponse> = fc.oneof(
  fc.tuple(fc.jsonValue(), id).map(([result, id]) => RpcResponse.success(result, id)),
  fc.tuple(rpcError, id).map(([error, id]) => RpcResponse.failure(error, id)),
)

const roundTrips = <A, O>(codec: t.Type<A, O, unknown>, arb: fc.Arbitrary<A>): void =>
  fc.assert(
    fc.property(arb, (a) => {
      expect(codec.decode(codec.encode(a))).toEqual(E.right(a))
    }),
    { numRuns: 300 },
  )

describe('the response text is JSON.stringify of the response', () => {
  // The dispatcher writes the envelope around the result's text, and a number, boolean or null
  // result without JSON.stringify: the text must still be byte for byte what JSON.stringify gives.
  const Echo = Method.make({ name: 'echo', params: t.type({ value: t.unknown }) })
  const echo = Dispatch.make(
    pipe(
      Registry.empty,
      Registry.add(Echo, ({ value }) => E.right(value)),
    ),
  )
  const edgeNumbers = fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, -1.5, 2 ** 53, Number.MAX_VALUE, 0.1 + 0.2, 123456789012345680000)

  it('for any JSON result and id, single and in a batch', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.double(), edgeNumbers, fc.boolean(), fc.constant(null)), id, (value, requestId) => {
        const request = { jsonrpc: '2.0', method: 'echo', params: { value }, id: requestId }
        // Params holding a `__proto__` member are refused before any codec sees them (docs/security.md).
        const response = hasProtoMember(value)
          ? { jsonrpc: '2.0', error: { code: -32602, message: 'Invalid params', data: ['params: a member named "__proto__" is not accepted'] }, id: requestId }
          : { jsonrpc: '2.0', result: JSON.parse(JSON.stringify(value)) as unknown, id: requestId }
        expect(echo.dispatch(JSON.stringify(request))).toBe(JSON.stringify(response))
        expect(echo.dispatch(JSON.stringify([request, request]))).toBe(JSON.stringify([response, response]))
      }),
      { numRuns: 500 },
    )
  })

  it('for numbers straight from a handler: non-finite ones are null, -0 is 0', () => {
    const Value = Method.make({ name: 'value', params: t.type({ which: t.number }) })
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 1e21, 5e-324]
    const d = Dispatch.make(
      pipe(
        Registry.empty,
        Registry.add(Value, ({ which }) => E.right(values[which])),
      ),
    )
    values.forEach((v, which) => {
      expect(d.dispatch(JSON.stringify({ jsonrpc: '2.0', method: 'value', params: [which], id: 1 }))).toBe(JSON.stringify({ jsonrpc: '2.0', result: v, id: 1 }))
    })
  })
})

describe('codecs round-trip: decode(encode(a)) = right(a)', () => {
  it('Id.codec', () => roundTrips(Id.codec, id))
  it('RpcError.codec', () => roundTrips(RpcError.codec, rpcError))
  it('RpcRequest.codec', () => roundTrips(RpcRequest.codec, request))
  it('RpcResponse.codec', () => roundTrips(RpcResponse.codec, response))
  it('RpcResponse.batchCodec', () => roundTrips(RpcResponse.batchCodec, fc.array(response, { minLength: 1, maxLength: 4 })))
})

describe('codecs refuse what the model does not hold', () => {
  it('Id.codec refuses numbers beyond the safe-integer range, and non-finite ones', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: 2 ** 53, noNaN: true }), fc.double({ max: -(2 ** 53), noNaN: true }), fc.constant(Number.NaN)), (n) => {
        expect(E.isLeft(Id.codec.decode(n))).toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  it('RpcRequest.codec refuses a request whose params is not structured', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null)), (p) => {
        expect(E.isLeft(RpcRequest.codec.decode({ jsonrpc: '2.0', method: 'm', params: p, id: 1 }))).toBe(true)
      }),
      { numRuns: 100 },
    )
  })
})
