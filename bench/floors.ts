/**
 * The floors of the dispatch benchmarks (bench/dispatch.ts, bench/instructions.ts): a hand-written
 * JSON-RPC answer per case, with no validation at all: JSON.parse, a Map lookup, the call,
 * JSON.stringify.
 */

type FloorMethod = (params: unknown) => unknown
interface FloorRequest {
  readonly method: string
  readonly params: unknown
  readonly id: unknown
}

const floorMethods = new Map<string, FloorMethod>([
  ['subtract', (params) => (params as [number, number])[0] - (params as [number, number])[1]],
  ['subtract_async', async (params) => (params as [number, number])[0] - (params as [number, number])[1]],
  ['subtract_object', (params) => ({ difference: (params as [number, number])[0] - (params as [number, number])[1] })],
])
const FLOOR_PARSE_ERROR = '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}'
const FLOOR_INVALID_REQUEST = '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}'

export const floorSingle = (input: string): string => {
  const req = JSON.parse(input) as FloorRequest
  const result = (floorMethods.get(req.method) as FloorMethod)(req.params)
  return JSON.stringify({ jsonrpc: '2.0', result, id: req.id })
}

export const floorBatch = (input: string): string => {
  const reqs = JSON.parse(input) as ReadonlyArray<FloorRequest>
  const out: Array<unknown> = []
  for (let i = 0; i < reqs.length; i++) {
    const req = reqs[i]
    out.push({ jsonrpc: '2.0', result: (floorMethods.get(req.method) as FloorMethod)(req.params), id: req.id })
  }
  return JSON.stringify(out)
}

export const floorNotification = (input: string): undefined => {
  const req = JSON.parse(input) as FloorRequest
  ;(floorMethods.get(req.method) as FloorMethod)(req.params)
  return undefined
}

export const floorInvalid = (input: string): string | undefined => {
  let u: unknown
  try {
    u = JSON.parse(input)
  } catch {
    return FLOOR_PARSE_ERROR
  }
  if (typeof u !== 'object' || u === null || typeof (u as { method?: unknown }).method !== 'string') return FLOOR_INVALID_REQUEST
  return floorSingle(input) // not reached by the `invalid` input
}

export const floorParseError = (input: string): string | undefined => {
  let u: unknown
  try {
    u = JSON.parse(input)
  } catch {
    return FLOOR_PARSE_ERROR
  }
  return u === undefined ? undefined : floorSingle(input) // not reached by the `parse_error` input
}

export const floorAsync = async (input: string): Promise<string> => {
  const req = JSON.parse(input) as FloorRequest
  const result = await (floorMethods.get(req.method) as FloorMethod)(req.params)
  return JSON.stringify({ jsonrpc: '2.0', result, id: req.id })
}
