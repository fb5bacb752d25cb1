import * as E from 'fp-ts/lib/Either.js'
import { flow, pipe } from 'fp-ts/lib/function.js'
import * as fc from 'fast-check'
import * as t from 'io-ts'
import { describe, expect, it } from 'vitest'
import { Call, compile } from '../../src/internal/dispatch/Call.js'
import * as Limits from '../../src/internal/dispatch/Limits.js'
import * as _ from '../../src/internal/dispatch/Steps.js'
import * as Id from '../../src/Id.js'
import * as Method from '../../src/Method.js'
import * as RpcRequest from '../../src/RpcRequest.js'

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const methods = new Map([['subtract', compile(Subtract as Method.AnyMethod, () => 0)]])
const report = (issues: ReadonlyArray<unknown>) => issues.length

describe('Steps.chain', () => {
  it('is Either.chain', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer().map(E.right), fc.string().map(E.left)), (ma) => {
        const f = (n: number) => (n % 2 === 0 ? E.right(n / 2) : E.left('odd'))
        expect(_.chain(f)(ma)).toEqual(E.chain(f)(ma))
      }),
    )
  })
})

describe('Steps.flow', () => {
  it("is fp-ts's flow of three steps", () => {
    fc.assert(
      fc.property(fc.integer(), (n) => {
        const ab = (a: number) => a + 1
        const bc = (b: number) => String(b)
        const cd = (c: string) => `${c}!`
        expect(_.flow(ab, bc, cd)(n)).toBe(flow(ab, bc, cd)(n))
      }),
    )
  })
})

describe('Steps.validateRequest', () => {
  const step = _.validateRequest(undefined)
  it('takes a request and gives it back itself', () => {
    const request = { jsonrpc: '2.0', method: 'a', id: 1 }
    expect(step(request)).toEqual(E.right(request))
  })
  it('answers Invalid Request, with the id when it is valid, null otherwise', () => {
    expect(step({ jsonrpc: '2.0', method: 1, id: 7 })).toEqual(E.left({ id: 7, error: { code: -32600, message: 'Invalid Request' } }))
    expect(step({ jsonrpc: '2.0', method: 1, id: {} })).toEqual(E.left({ id: null, error: { code: -32600, message: 'Invalid Request' } }))
    expect(step('x')).toEqual(E.left({ id: null, error: { code: -32600, message: 'Invalid Request' } }))
  })
  it('uses a custom validator when given', () => {
    const strict = _.validateRequest(
      new t.Type<RpcRequest.RpcRequest>(
        'Strict',
        RpcRequest.isRpcRequest,
        (u, c) => (RpcRequest.isRpcRequest(u) && Object.keys(u).length <= 3 ? t.success(u) : t.failure(u, c)),
        t.identity,
      ),
    )
    expect(E.isRight(strict({ jsonrpc: '2.0', method: 'a', id: 1 }))).toBe(true)
    expect(strict({ jsonrpc: '2.0', method: 'a', id: 1, extra: 1 })).toEqual(E.left({ id: 1, error: { code: -32600, message: 'Invalid Request' } }))
  })
})

describe('Steps.lookupMethod', () => {
  const step = _.lookupMethod(methods)
  it('finds a registered method and makes its call, with the id (undefined for a notification)', () => {
    const request = { jsonrpc: '2.0', method: 'subtract', id: 'x' } as const
    const found = step(request)
    expect(found._tag === 'Right' && found.right).toBeInstanceOf(Call)
    // The call is its own Right: fp-ts reads it as one.
    expect(E.isRight(found) && found.right === found).toBe(true)
    expect(found).toMatchObject(E.right({ request, id: 'x', entry: methods.get('subtract'), params: undefined }))
    expect(step({ jsonrpc: '2.0', method: 'subtract' })).toMatchObject(E.right({ id: undefined }))
  })
  it('reads the id only as an own member: an inherited one makes a notification', () => {
    // What a custom deserializer might make: the envelope's members own, an `id` on the prototype.
    const inherited = Object.assign(Object.create({ id: 5 }) as object, { jsonrpc: '2.0', method: 'subtract' }) as RpcRequest.RpcRequest
    expect(step(inherited)).toMatchObject(E.right({ id: undefined }))
    expect(_.validateRequest(undefined)(inherited)).toEqual(E.right(inherited))
    const viaProto = Object.assign(Object.create({ id: 5 }) as object, { jsonrpc: '2.0', method: 'nope' }) as RpcRequest.RpcRequest
    expect(step(viaProto)).toEqual(E.left({ id: undefined, error: { code: -32601, message: 'Method not found' } }))
    // An own id holding `undefined` (JSON cannot say it) is not a valid id: the request is invalid.
    expect(_.validateRequest(undefined)({ jsonrpc: '2.0', method: 'subtract', id: undefined })).toEqual(
      E.left({ id: null, error: { code: -32600, message: 'Invalid Request' } }),
    )
  })
  it('answers Method not found, by own name only', () => {
    for (const method of ['nope', 'toString', '__proto__', 'constructor']) {
      expect(step({ jsonrpc: '2.0', method, id: 1 })).toEqual(E.left({ id: 1, error: { code: -32601, message: 'Method not found' } }))
    }
  })
})

describe('Steps.validateParams', () => {
  const step = _.validateParams(Limits.read({ maxDepth: 2 }), report)
  const found = (params: unknown) =>
    new Call(
      { jsonrpc: '2.0', method: 'subtract', params, id: 1 } as RpcRequest.RpcRequest,
      1,
      methods.get('subtract') as ReturnType<typeof compile<unknown>>,
      undefined,
    )
  it('decodes params into a Call, by position or by name', () => {
    const byPosition = step(found([42, 23]))
    expect(byPosition._tag === 'Right' && byPosition.right).toBeInstanceOf(Call)
    expect(byPosition._tag === 'Right' && byPosition.right.params).toEqual({ minuend: 42, subtrahend: 23 })
    const byName = step(found({ minuend: 1, subtrahend: 2 }))
    expect(byName._tag === 'Right' && byName.right.params).toEqual({ minuend: 1, subtrahend: 2 })
  })
  it('answers Invalid params with what the reporter makes of the issues', () => {
    expect(step(found(['a']))).toMatchObject(E.left({ id: 1, error: { code: -32602, message: 'Invalid params' } }))
    const left = step(found(['a']))
    expect(left._tag === 'Left' && typeof left.left.error.data).toBe('number')
  })
  it('refuses params deeper than the limit before the codec sees them', () => {
    expect(step(found([[[1]], 2]))).toEqual(
      E.left({ id: 1, error: { code: -32602, message: 'Invalid params', data: ['params: nested deeper than 2 levels'] } }),
    )
  })
})

describe('Steps.guarded', () => {
  it('turns a throw into Internal error, reported, with nothing for a notification', () => {
    const seen: Array<unknown> = []
    const step = _.guarded(
      () => {
        throw new Error('boom')
      },
      (cause, request) => void seen.push(cause, request),
    )
    expect(step({ jsonrpc: '2.0', method: 'a', id: 3 })).toEqual(E.left({ id: 3, error: { code: -32603, message: 'Internal error' } }))
    expect(step({ jsonrpc: '2.0', method: 'a' })).toEqual(E.left({ id: undefined, error: { code: -32603, message: 'Internal error' } }))
    expect(step('junk')).toEqual(E.left({ id: null, error: { code: -32603, message: 'Internal error' } }))
    expect(seen.length).toBe(6)
    expect(seen[1]).toEqual({ jsonrpc: '2.0', method: 'a', id: 3 })
    expect(seen[5]).toBeUndefined()
  })
  it('passes what the steps give through', () => {
    expect(
      pipe(
        { jsonrpc: '2.0', method: 'a', id: 1 },
        _.guarded(_.validateRequest(undefined), () => undefined),
      )._tag,
    ).toBe('Right')
  })
})

describe('Steps.reject', () => {
  it('answers the error with the id, and nothing for a notification', () => {
    const error = { code: -32601, message: 'Method not found' }
    expect(_.reject({ id: 1, error })).toEqual({ jsonrpc: '2.0', error, id: 1 })
    expect(_.reject({ id: null, error })).toEqual({ jsonrpc: '2.0', error, id: null })
    expect(_.reject({ id: undefined, error })).toBeUndefined()
  })
})

// The envelope's id is read as an own member; the dispatcher tests `'id' in u` before asking
// `Object.hasOwn`, which must not change a verdict. The references below ask `Object.hasOwn` alone.
describe("RpcRequest's reading of the id", () => {
  // The id's value is judged by Id.isId in both: what is compared is how the member is found.
  const isId = Id.isId
  const referenceIsRpcRequest = (u: unknown): boolean => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) return false
    const r = u as Record<string, unknown>
    if (r['jsonrpc'] !== '2.0' || typeof r['method'] !== 'string') return false
    const params = r['params']
    if (params !== undefined && (typeof params !== 'object' || params === null)) return false
    return Object.hasOwn(r, 'id') ? isId(r['id']) : true
  }
  const referenceDetectId = (u: unknown): unknown => {
    if (typeof u !== 'object' || u === null || Array.isArray(u) || !Object.hasOwn(u, 'id')) return null
    const id = (u as Record<string, unknown>)['id']
    return isId(id) ? id : null
  }
  const idValue = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.object())
  // Envelopes with an id that is absent, own (any value, `undefined` included) or inherited.
  const envelope = fc
    .tuple(
      fc.record(
        {
          jsonrpc: fc.constantFrom('2.0', '1.0'),
          method: fc.oneof(fc.string(), fc.integer()),
          params: fc.oneof(fc.constant(undefined), fc.array(fc.integer()), fc.string()),
        },
        { requiredKeys: ['jsonrpc', 'method'] },
      ),
      fc.constantFrom('absent', 'own', 'inherited', 'both'),
      idValue,
      idValue,
    )
    .map(([members, where, own, inherited]) => {
      const base = where === 'inherited' || where === 'both' ? (Object.create({ id: inherited }) as object) : {}
      return Object.assign(base, members, where === 'own' || where === 'both' ? { id: own } : {})
    })
  it('isRpcRequest, detectId and isNotification read an own id only, whatever the prototype holds', () => {
    fc.assert(
      fc.property(fc.oneof(envelope, fc.anything()), (u) => {
        expect(RpcRequest.isRpcRequest(u)).toBe(referenceIsRpcRequest(u))
        expect(RpcRequest.detectId(u)).toEqual(referenceDetectId(u))
        if (RpcRequest.isRpcRequest(u)) expect(RpcRequest.isNotification(u)).toBe(!Object.hasOwn(u, 'id'))
      }),
      { numRuns: 2000 },
    )
  })
})
