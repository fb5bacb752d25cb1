/**
 * The parts of a peer, each alone: the pending calls of this side (internal/peer/Calls), the other
 * side's work (internal/peer/Inbox), the cheap abort signal (internal/peer/Cancel) and the message
 * readers (internal/peer/messages). test/Peer.test.ts holds them together through `Peer.make`.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Dispatch, Method, Registry, RpcError } from '../src/index.js'
import * as Calls from '../src/internal/peer/Calls.js'
import { Cancel } from '../src/internal/peer/Cancel.js'
import * as Inbox from '../src/internal/peer/Inbox.js'
import { cancelledId, cancelText, NOT_JSON, requestId } from '../src/internal/peer/messages.js'

const makeCalls = (options: Partial<Calls.CallsOptions> = {}) => {
  const written: Array<string> = []
  const unmatched: Array<unknown> = []
  const calls = Calls.make({
    write: (text) => {
      written.push(text)
      return Calls.WRITTEN
    },
    timeoutMs: Infinity,
    cancellation: true,
    onUnmatched: (u) => void unmatched.push(u),
    ...options,
  })
  return { calls, written, unmatched }
}

const answerOf = (calls: Calls.Calls, text: string): void => {
  const u: unknown = JSON.parse(text)
  expect(Calls.isResponseMessage(calls, u)).toBe(true)
  Calls.settle(calls, u, text)
}

describe('internal/peer/messages', () => {
  it('requestId: the string or number id of a single request, nothing else', () => {
    expect(requestId({ jsonrpc: '2.0', method: 'm', id: 1 })).toBe(1)
    expect(requestId({ jsonrpc: '2.0', method: 'm', id: 'a' })).toBe('a')
    expect(requestId({ jsonrpc: '2.0', method: 'm', id: null })).toBeUndefined()
    expect(requestId({ jsonrpc: '2.0', method: 'm' })).toBeUndefined()
    expect(requestId({ jsonrpc: '2.0', result: 1, id: 1 })).toBeUndefined()
    expect(requestId([{ jsonrpc: '2.0', method: 'm', id: 1 }])).toBeUndefined()
    expect(requestId(NOT_JSON)).toBeUndefined()
  })
  it('cancelledId: the id a $/cancelRequest notification names; a request of that name is not one', () => {
    expect(cancelledId({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 7 } })).toBe(7)
    expect(cancelledId({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 7 }, id: 1 })).toBeUndefined()
    expect(cancelledId({ jsonrpc: '2.0', method: '$/cancelRequest', params: [7] })).toBeUndefined()
    expect(cancelledId({ jsonrpc: '2.0', method: 'other', params: { id: 7 } })).toBeUndefined()
  })
  it('cancelText is the notification vscode-jsonrpc sends', () => {
    expect(cancelText(3)).toBe('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}')
    expect(JSON.parse(cancelText('a"b'))).toEqual({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 'a"b' } })
  })
})

describe('internal/peer/Cancel', () => {
  it('aborts once: listeners run in order, then are let go; none is added once aborted', () => {
    const cancel = new Cancel()
    const seen: Array<string> = []
    const b = (): void => void seen.push('b')
    cancel.addEventListener('abort', () => seen.push('a'))
    cancel.addEventListener('abort', b)
    cancel.addEventListener('abort', () => seen.push('c'))
    cancel.removeEventListener('abort', b)
    cancel.abort('why')
    cancel.abort('again')
    cancel.addEventListener('abort', () => seen.push('late'))
    expect(seen).toEqual(['a', 'c'])
    expect(cancel.aborted).toBe(true)
    expect(cancel.reason).toBe('why')
    expect(cancel.listeners).toBeUndefined()
  })
})

describe('internal/peer/Calls', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a call is written, then settled by the answer with its id, with text and value', async () => {
    const { calls, written } = makeCalls()
    const answer = Calls.exchange(calls, '{"call":1}', { ids: [1] })
    expect(written).toEqual(['{"call":1}'])
    expect(Calls.pending(calls)).toBe(1)
    answerOf(calls, '{"jsonrpc":"2.0","result":2,"id":1}')
    expect(await answer).toEqual(E.right({ text: '{"jsonrpc":"2.0","result":2,"id":1}', value: { jsonrpc: '2.0', result: 2, id: 1 } }))
    expect(Calls.pending(calls)).toBe(0)
  })

  it('a notification is done once written; a write that throws fails it with WriteFailed', async () => {
    const { calls } = makeCalls()
    expect(await Calls.exchange(calls, 'n', { ids: [] })).toEqual(E.right(undefined))
    const boom = new Error('boom')
    const failing = Calls.make({ write: () => boom, timeoutMs: Infinity, cancellation: true, onUnmatched: undefined })
    expect(await Calls.exchange(failing, 'c', { ids: [1] })).toEqual(E.left({ _tag: 'WriteFailed', cause: boom }))
    expect(Calls.pending(failing)).toBe(0)
  })

  it('a batch is one call under each of its ids; an id in flight is refused (DuplicateId)', async () => {
    const { calls } = makeCalls()
    const batch = Calls.exchange(calls, '[...]', { ids: [1, 'a'] })
    expect(Calls.pending(calls)).toBe(1)
    expect(await Calls.exchange(calls, 'x', { ids: ['a'] })).toEqual(E.left({ _tag: 'DuplicateId', id: 'a' }))
    answerOf(calls, '[{"jsonrpc":"2.0","result":1,"id":"a"},{"jsonrpc":"2.0","result":2,"id":1}]')
    expect(E.isRight(await batch)).toBe(true)
    expect(Calls.pending(calls)).toBe(0)
  })

  it('1 and "1" are different ids; an answer to no call goes to onUnmatched', async () => {
    const { calls, unmatched } = makeCalls()
    const answer = Calls.exchange(calls, 'c', { ids: [1] })
    answerOf(calls, '{"jsonrpc":"2.0","result":0,"id":"1"}')
    expect(unmatched).toEqual([{ jsonrpc: '2.0', result: 0, id: '1' }])
    expect(Calls.pending(calls)).toBe(1)
    Calls.close(calls)
    expect(await answer).toEqual(E.left({ _tag: 'Closed' }))
  })

  it('an error with id null settles the only call pending, and nothing when two are', async () => {
    const { calls, unmatched } = makeCalls()
    const one = Calls.exchange(calls, 'c', { ids: [1] })
    answerOf(calls, '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    expect(E.isRight(await one)).toBe(true)
    void Calls.exchange(calls, 'c', { ids: [2] })
    void Calls.exchange(calls, 'c', { ids: [3] })
    answerOf(calls, '{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
    expect(unmatched).toHaveLength(1)
    expect(Calls.pending(calls)).toBe(2)
  })

  it('what is an answer: a result or an error and no method, or the id alone of a pending call', () => {
    const { calls } = makeCalls()
    void Calls.exchange(calls, 'c', { ids: [5] })
    expect(Calls.isResponseMessage(calls, { jsonrpc: '2.0', id: 5 })).toBe(true)
    expect(Calls.isResponseMessage(calls, { jsonrpc: '2.0', id: 6 })).toBe(false)
    expect(Calls.isResponseMessage(calls, { jsonrpc: '2.0', result: 1, id: 6 })).toBe(true)
    expect(Calls.isResponseMessage(calls, { jsonrpc: '2.0', method: 'm', result: 1, id: 6 })).toBe(false)
    expect(Calls.isResponseMessage(calls, [])).toBe(false)
    expect(
      Calls.isResponseMessage(calls, [
        { jsonrpc: '2.0', result: 1, id: 6 },
        { jsonrpc: '2.0', method: 'm' },
      ]),
    ).toBe(false)
  })

  it("the peer's timeout fails the call with Timeout and sends $/cancelRequest; a late answer is unmatched", async () => {
    vi.useFakeTimers()
    const { calls, written, unmatched } = makeCalls({ timeoutMs: 100 })
    const answer = Calls.exchange(calls, 'c', { ids: [9] })
    vi.advanceTimersByTime(150)
    expect(await answer).toEqual(E.left({ _tag: 'Timeout', ms: 100 }))
    expect(written).toEqual(['c', cancelText(9)])
    answerOf(calls, '{"jsonrpc":"2.0","result":1,"id":9}')
    expect(unmatched).toHaveLength(1)
  })

  it("a call's own timeoutMs replaces the peer's; without cancellation nothing is sent", async () => {
    vi.useFakeTimers()
    const { calls, written } = makeCalls({ timeoutMs: 10, cancellation: false })
    const answer = Calls.exchange(calls, 'c', { ids: [1], timeoutMs: 50 })
    vi.advanceTimersByTime(20)
    expect(Calls.pending(calls)).toBe(1)
    vi.advanceTimersByTime(40)
    expect(await answer).toEqual(E.left({ _tag: 'Timeout', ms: 50 }))
    expect(written).toEqual(['c'])
  })

  it('an aborted signal fails the call with Aborted and tells the other side; one aborted before is never written', async () => {
    const { calls, written } = makeCalls()
    const controller = new AbortController()
    const answer = Calls.exchange(calls, 'c', { ids: [1], signal: controller.signal })
    controller.abort('enough')
    expect(await answer).toEqual(E.left({ _tag: 'Aborted', reason: 'enough' }))
    expect(written).toEqual(['c', cancelText(1)])
    expect(await Calls.exchange(calls, 'd', { ids: [2], signal: controller.signal })).toEqual(E.left({ _tag: 'Aborted', reason: 'enough' }))
    expect(written).toHaveLength(2)
  })

  it('close fails every call with Closed, and later ones at once; no $/cancelRequest once closed', async () => {
    const { calls, written } = makeCalls()
    const a = Calls.exchange(calls, 'a', { ids: [1] })
    const b = Calls.exchange(calls, 'b', { ids: [2, 3] })
    Calls.close(calls)
    Calls.close(calls)
    expect(await Promise.all([a, b])).toEqual([E.left({ _tag: 'Closed' }), E.left({ _tag: 'Closed' })])
    expect(await Calls.exchange(calls, 'c', { ids: [4] })).toEqual(E.left({ _tag: 'Closed' }))
    expect(written).toEqual(['a', 'b'])
  })
})

const Wait = Method.make({ name: 'wait', params: t.type({ key: t.string }), result: t.string })
const Now = Method.make({ name: 'now', params: t.type({}), result: t.number })

// A dispatcher whose `wait` handlers finish when the test says, and whose `now` answers at once.
const makeInbox = (options: Partial<Inbox.InboxOptions<unknown>> = {}) => {
  const release = new Map<string, () => void>()
  const aborted: Array<string> = []
  const registry = pipe(
    Registry.empty,
    Registry.add(Wait, ({ key }, _context, _request, control) => {
      control.signal.addEventListener('abort', () => aborted.push(key))
      return new Promise<string>((resolve) => release.set(key, () => resolve(key)))
    }),
    Registry.add(Now, () => 1),
  )
  const answers: Array<unknown> = []
  const pauses: Array<string> = []
  const inbox = Inbox.make<unknown>({
    dispatcher: Dispatch.make<unknown>(registry),
    context: undefined,
    answer: (text) => void answers.push(JSON.parse(text)),
    maxInFlight: 2,
    refuse: false,
    maxQueued: 2,
    busyError: RpcError.serverBusy(),
    cancellation: true,
    cancelledError: RpcError.requestCancelled(),
    pause: () => void pauses.push('pause'),
    resume: () => void pauses.push('resume'),
    ...options,
  })
  const take = (u: unknown): void => Inbox.take(inbox, JSON.stringify(u), u)
  const wait = (key: string, id: number): void => take({ jsonrpc: '2.0', method: 'wait', params: { key }, id })
  const finish = async (key: string): Promise<void> => {
    release.get(key)?.()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  return { inbox, take, wait, finish, answers, pauses, aborted }
}

describe('internal/peer/Inbox', () => {
  it('a synchronous answer is written at once and takes no place', () => {
    const { inbox, take, answers } = makeInbox()
    for (let id = 1; id <= 10; id++) take({ jsonrpc: '2.0', method: 'now', params: {}, id })
    expect(answers).toHaveLength(10)
    expect(Inbox.size(inbox)).toBe(0)
  })

  it('past maxInFlight messages wait in order; past maxQueued the transport is paused, and resumed once fewer than half of maxQueued wait', async () => {
    const { inbox, wait, finish, answers, pauses } = makeInbox()
    for (let i = 1; i <= 4; i++) wait(`k${i}`, i)
    expect(Inbox.size(inbox)).toBe(4)
    expect(pauses).toEqual(['pause'])
    await finish('k1')
    expect(answers).toEqual([{ jsonrpc: '2.0', result: 'k1', id: 1 }])
    // k3 took the place; k4 still waits, and half of maxQueued (1) is not yet under.
    expect(pauses).toEqual(['pause'])
    await finish('k2')
    expect(pauses).toEqual(['pause', 'resume'])
    await finish('k3')
    await finish('k4')
    expect(answers.map((a) => (a as { id: number }).id)).toEqual([1, 2, 3, 4])
    await Inbox.drained(inbox)
    expect(Inbox.size(inbox)).toBe(0)
  })

  it('refuse: past maxQueued each request gets the busy error, notifications are dropped, reading never stops', () => {
    const { inbox, wait, take, answers, pauses } = makeInbox({ refuse: true, maxQueued: 1 })
    for (let i = 1; i <= 3; i++) wait(`k${i}`, i)
    take({ jsonrpc: '2.0', method: 'wait', params: { key: 'n' } })
    wait('k4', 4)
    expect(answers).toEqual([{ jsonrpc: '2.0', error: { code: RpcError.serverBusy().code, message: RpcError.serverBusy().message }, id: 4 }])
    expect(Inbox.size(inbox)).toBe(3)
    expect(pauses).toEqual([])
  })

  it('$/cancelRequest aborts a request at work and answers it at once, once; one still waiting is answered without running', async () => {
    const { inbox, wait, finish, answers, aborted } = makeInbox()
    wait('a', 1)
    wait('b', 2)
    wait('c', 3)
    Inbox.cancel(inbox, 1)
    Inbox.cancel(inbox, 3)
    Inbox.cancel(inbox, 99)
    expect(aborted).toEqual(['a'])
    const cancelled = { code: RpcError.requestCancelled().code, message: RpcError.requestCancelled().message }
    expect(answers).toEqual([{ jsonrpc: '2.0', error: cancelled, id: 1 }])
    await finish('a')
    // The handler's own answer is dropped; `c` took the place and was answered without running.
    expect(answers).toEqual([
      { jsonrpc: '2.0', error: cancelled, id: 1 },
      { jsonrpc: '2.0', error: cancelled, id: 3 },
    ])
    await finish('b')
    expect(answers).toHaveLength(3)
    await Inbox.drained(inbox)
  })

  it('drained settles only once nothing is at work or waiting', async () => {
    const { inbox, wait, finish } = makeInbox()
    wait('a', 1)
    let done = false
    void Inbox.drained(inbox).then(() => (done = true))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(done).toBe(false)
    await finish('a')
    expect(done).toBe(true)
  })
})
