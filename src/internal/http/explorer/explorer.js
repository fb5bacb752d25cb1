/* global document, window, localStorage, navigator, fetch, performance */
// The API explorer of fp-jsonrpc, in the browser: one ES module, written by hand, with no import and
// nothing fetched but the endpoint. It calls `rpc.discover` (an OpenRPC 1.3.2 document), lists the
// methods, checks params against their schemas, sends calls, notifications and batches, and keeps a
// history in localStorage.
//
// The pure part (the exports: the schema checker, the params of an example, a skeleton of a schema,
// the curl line) runs in Node too, where test/explorer-page.test.ts checks it; the page part runs
// only where there is a `document`.
//
// The checker covers the JSON Schema (draft-07) that fp-jsonrpc's schemas use: `type` (one or a
// list, `integer` included), `const`, `enum`, `properties`, `required`, `additionalProperties`
// (false or a schema), `propertyNames`' absence, `items` (a schema or a tuple's list),
// `additionalItems`, `minItems`, `maxItems`, `anyOf`, `oneOf`, `allOf`, `not`, `$ref` to
// `#/components/schemas/...` or `#/definitions/...` of the document, `minimum`, `maximum`,
// `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `minLength`, `maxLength`, `pattern`, and
// `true`/`false` schemas. Its limits: `format` is not checked (a `date-time` string is any string),
// nor are `if`/`then`/`else`, `dependencies`, `patternProperties`, `contains`, `uniqueItems` or a
// `$ref` out of the document; such a keyword is passed over, so the check may let through what the
// server refuses (the server checks again, with the codecs). It never refuses what the schema allows.

// -------------------------------------------------------------------------------------
// schemas
// -------------------------------------------------------------------------------------

const typeOf = (value) => {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

const isType = (value, type) => {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value)
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    default:
      return typeOf(value) === type
  }
}

const equal = (a, b) => {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]))
}

const show = (value) => (value === undefined ? 'nothing' : JSON.stringify(value))

const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k)

/** The schema a `$ref` points at in `root` (the OpenRPC document, or a schema with `definitions`). */
export const resolveRef = (ref, root) => {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return undefined
  let at = root
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    if (at === null || typeof at !== 'object' || !has(at, key)) return undefined
    at = at[key]
  }
  return at
}

const join = (path, key) =>
  typeof key === 'number' ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`

/**
 * What is wrong with `value` under `schema`: a list of `{ path, message }`, empty when it conforms.
 * `root` is where `$ref`s are looked up. See the header for the keywords it reads.
 */
export const validate = (schema, value, root = schema, path = 'params', depth = 0) => {
  if (schema === true || schema === undefined) return []
  if (schema === false) return [{ path, message: `nothing is allowed here, got ${show(value)}` }]
  if (schema === null || typeof schema !== 'object') return []
  if (depth > 64) return []
  if (value === undefined) return [{ path, message: 'expected a value, got nothing' }]
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(schema.$ref, root)
    return target === undefined ? [] : validate(target, value, root, path, depth + 1)
  }
  const problems = []
  const add = (message) => problems.push({ path, message })
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type]
    if (!types.some((t) => isType(value, t))) {
      add(`expected ${types.join(' or ')}, got ${show(value)}`)
      return problems
    }
  }
  if (has(schema, 'const') && !equal(schema.const, value)) add(`expected ${show(schema.const)}, got ${show(value)}`)
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => equal(e, value))) add(`expected one of ${schema.enum.map(show).join(', ')}, got ${show(value)}`)
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) add(`expected at least ${schema.minimum}, got ${value}`)
    if (typeof schema.maximum === 'number' && value > schema.maximum) add(`expected at most ${schema.maximum}, got ${value}`)
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) add(`expected more than ${schema.exclusiveMinimum}, got ${value}`)
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) add(`expected less than ${schema.exclusiveMaximum}, got ${value}`)
    if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0 && !Number.isInteger(value / schema.multipleOf))
      add(`expected a multiple of ${schema.multipleOf}, got ${value}`)
  }
  if (typeof value === 'string') {
    const length = [...value].length
    if (typeof schema.minLength === 'number' && length < schema.minLength) add(`expected at least ${schema.minLength} characters, got ${length}`)
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) add(`expected at most ${schema.maxLength} characters, got ${length}`)
    if (typeof schema.pattern === 'string') {
      let re
      try {
        re = new RegExp(schema.pattern, 'u')
      } catch {
        re = undefined
      }
      if (re !== undefined && !re.test(value)) add(`expected a string matching /${schema.pattern}/, got ${show(value)}`)
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) add(`expected at least ${schema.minItems} items, got ${value.length}`)
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) add(`expected at most ${schema.maxItems} items, got ${value.length}`)
    if (Array.isArray(schema.items)) {
      schema.items.forEach((item, i) => {
        if (i < value.length) problems.push(...validate(item, value[i], root, join(path, i), depth + 1))
      })
      if (schema.additionalItems !== undefined)
        for (let i = schema.items.length; i < value.length; i++) problems.push(...validate(schema.additionalItems, value[i], root, join(path, i), depth + 1))
    } else if (schema.items !== undefined) {
      value.forEach((item, i) => problems.push(...validate(schema.items, item, root, join(path, i), depth + 1)))
    }
  }
  if (typeOf(value) === 'object') {
    const properties = schema.properties !== null && typeof schema.properties === 'object' ? schema.properties : {}
    if (Array.isArray(schema.required))
      for (const key of schema.required) if (!has(value, key)) problems.push({ path: join(path, key), message: 'expected a value, got nothing' })
    for (const key of Object.keys(value)) {
      if (has(properties, key)) problems.push(...validate(properties[key], value[key], root, join(path, key), depth + 1))
      else if (schema.additionalProperties !== undefined) {
        if (schema.additionalProperties === false) problems.push({ path: join(path, key), message: 'no such member is allowed' })
        else problems.push(...validate(schema.additionalProperties, value[key], root, join(path, key), depth + 1))
      }
    }
  }
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf) problems.push(...validate(s, value, root, path, depth + 1))
  if (Array.isArray(schema.anyOf) && schema.anyOf.length > 0) {
    const each = schema.anyOf.map((s) => validate(s, value, root, path, depth + 1))
    if (each.every((p) => p.length > 0)) problems.push(...closest(each, path, value))
  }
  if (Array.isArray(schema.oneOf) && schema.oneOf.length > 0) {
    const each = schema.oneOf.map((s) => validate(s, value, root, path, depth + 1))
    const passing = each.filter((p) => p.length === 0).length
    if (passing === 0) problems.push(...closest(each, path, value))
    else if (passing > 1) add(`expected exactly one of ${schema.oneOf.length} alternatives to match, ${passing} do`)
  }
  if (schema.not !== undefined && validate(schema.not, value, root, path, depth + 1).length === 0) add(`expected not to match a schema, got ${show(value)}`)
  return problems
}

// No alternative of a union matched: the problems of the one that came closest, or one line.
const closest = (each, path, value) => {
  const fewest = each.reduce((a, b) => (b.length < a.length ? b : a))
  return fewest.length === 1 && fewest[0].path !== path ? fewest : [{ path, message: `expected one of ${each.length} alternatives, got ${show(value)}` }]
}

// -------------------------------------------------------------------------------------
// methods
// -------------------------------------------------------------------------------------

// A method's params as content descriptors, `$ref`s to `components.contentDescriptors` resolved.
const descriptorsOf = (method, root) =>
  (Array.isArray(method.params) ? method.params : [])
    .map((d) => (d !== null && typeof d === 'object' && typeof d.$ref === 'string' ? resolveRef(d.$ref, root) : d))
    .filter((d) => d !== null && typeof d === 'object' && typeof d.name === 'string')

// fp-jsonrpc's extension: the schema of the whole params value, for params with no list of
// descriptors (an array of any length, a union).
const wholeParamsOf = (method) => (method['x-params'] !== null && typeof method['x-params'] === 'object' ? method['x-params'] : undefined)

/** Whether a method answers nothing worth waiting for: no result, or a result that is always `null`. */
export const isNotification = (method) => {
  const result = method.result
  if (result === undefined || result === null) return true
  const schema = result.schema
  return schema !== null && typeof schema === 'object' && (schema.type === 'null' || (has(schema, 'const') && schema.const === null))
}

/**
 * What is wrong with `params` (the parsed editor, `undefined` when empty) for an OpenRPC `method` of
 * the document `root`: the params' structure (`by-name`, `by-position`, `either`), each declared
 * param against its schema, the required ones present, and no more positions than declared.
 */
export const checkParams = (method, params, root) => {
  const descriptors = descriptorsOf(method, root)
  const structure = method.paramStructure ?? 'either'
  const whole = wholeParamsOf(method)
  if (whole !== undefined && descriptors.length === 0) return params === undefined ? [] : validate(whole, params, root)
  if (params === undefined) {
    const required = descriptors.filter((d) => d.required === true)
    return required.length === 0 ? [] : [{ path: 'params', message: `expected ${required.map((d) => d.name).join(', ')}, got nothing` }]
  }
  if (Array.isArray(params)) {
    if (structure === 'by-name') return [{ path: 'params', message: 'expected params by name (an object), got an array' }]
    const problems = []
    descriptors.forEach((d, i) => {
      if (i >= params.length) {
        if (d.required === true) problems.push({ path: join('params', i), message: `expected ${d.name}, got nothing` })
      } else problems.push(...validate(d.schema, params[i], root, join('params', i)))
    })
    if (params.length > descriptors.length) problems.push({ path: 'params', message: `expected at most ${descriptors.length} params, got ${params.length}` })
    return problems
  }
  if (typeOf(params) === 'object') {
    if (structure === 'by-position') return [{ path: 'params', message: 'expected params by position (an array), got an object' }]
    const problems = []
    for (const d of descriptors) {
      if (!has(params, d.name)) {
        if (d.required === true) problems.push({ path: join('params', d.name), message: 'expected a value, got nothing' })
      } else problems.push(...validate(d.schema, params[d.name], root, join('params', d.name)))
    }
    return problems
  }
  return [{ path: 'params', message: `expected an object or an array, got ${show(params)}` }]
}

/** The params of the method's first example, in the method's structure, or `undefined` when it has none. */
export const exampleParams = (method, index = 0) => {
  const example = Array.isArray(method.examples) ? method.examples[index] : undefined
  if (example === undefined || example === null || typeof example !== 'object' || !Array.isArray(example.params)) return undefined
  const pairs = example.params.filter((p) => p !== null && typeof p === 'object' && typeof p.name === 'string')
  // Params with no descriptors (under x-params): the example's one pairing is the whole value.
  if (wholeParamsOf(method) !== undefined && descriptorsOf(method, undefined).length === 0) return pairs.length === 1 ? pairs[0].value : undefined
  if (method.paramStructure === 'by-position') {
    const byName = new Map(pairs.map((p) => [p.name, p.value]))
    const names = descriptorsOf(method, undefined).map((d) => d.name)
    return names.length > 0 && names.every((n) => byName.has(n)) ? names.map((n) => byName.get(n)) : pairs.map((p) => p.value)
  }
  return Object.fromEntries(pairs.map((p) => [p.name, p.value]))
}

/** A value that has the shape of `schema`: zeros, empty strings, `false`, the required members. */
export const skeleton = (schema, root = schema, depth = 0) => {
  if (schema === null || typeof schema !== 'object' || depth > 8) return null
  if (typeof schema.$ref === 'string') return skeleton(resolveRef(schema.$ref, root), root, depth + 1)
  if (has(schema, 'const')) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  if (has(schema, 'default')) return schema.default
  for (const key of ['anyOf', 'oneOf']) if (Array.isArray(schema[key]) && schema[key].length > 0) return skeleton(schema[key][0], root, depth + 1)
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const parts = schema.allOf.map((s) => skeleton(s, root, depth + 1))
    return parts.every((p) => typeOf(p) === 'object') ? Object.assign({}, ...parts) : parts[0]
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      return typeof schema.minLength === 'number' ? 'x'.repeat(schema.minLength) : ''
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 0
    case 'boolean':
      return false
    case 'null':
      return null
    case 'array':
      return Array.isArray(schema.items) ? schema.items.map((s) => skeleton(s, root, depth + 1)) : []
    case 'object':
    case undefined: {
      if (schema.properties === undefined) return type === 'object' ? {} : null
      const required = Array.isArray(schema.required) ? schema.required : Object.keys(schema.properties)
      return Object.fromEntries(required.filter((k) => has(schema.properties, k)).map((k) => [k, skeleton(schema.properties[k], root, depth + 1)]))
    }
    default:
      return null
  }
}

/** The params skeleton of a method: by name unless it takes params by position only. */
export const paramsSkeleton = (method, root) => {
  const whole = wholeParamsOf(method)
  const descriptors = descriptorsOf(method, root)
  if (whole !== undefined && descriptors.length === 0) return skeleton(whole, root)
  if (method.paramStructure === 'by-position') return descriptors.map((d) => skeleton(d.schema, root))
  return Object.fromEntries(descriptors.filter((d) => d.required === true || descriptors.length <= 4).map((d) => [d.name, skeleton(d.schema, root)]))
}

/** The curl command that sends `body` to `url`, quoted for a POSIX shell. */
export const curlOf = (url, body) => {
  const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`
  return `curl -s ${quote(url)} -H 'content-type: application/json' -d ${quote(body)}`
}

/** A JSON-RPC request (with `id`) or notification (`id` undefined) as a plain object. */
export const requestOf = (method, params, id) => {
  const request = { jsonrpc: '2.0', method }
  if (params !== undefined) request.params = params
  if (id !== undefined) request.id = id
  return request
}

// -------------------------------------------------------------------------------------
// the page
// -------------------------------------------------------------------------------------

const HISTORY_LIMIT = 50

const start = () => {
  const $ = (id) => document.getElementById(id)
  const h = (tag, props = {}, ...children) => {
    const el = document.createElement(tag)
    for (const [k, v] of Object.entries(props)) {
      if (k === 'class') el.className = v
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
      else if (v !== undefined && v !== false) el.setAttribute(k, v === true ? '' : String(v))
    }
    for (const c of children.flat()) if (c !== undefined && c !== null) el.append(typeof c === 'string' ? c : c)
    return el
  }
  const pretty = (value) => JSON.stringify(value, null, 2)

  const meta = document.querySelector('meta[name="fp-jsonrpc-endpoint"]')
  const endpoint = new URL(meta === null ? '' : meta.getAttribute('content') || '', window.location.href).href
  const historyKey = `fp-jsonrpc-explorer:history:${endpoint}`
  $('endpoint').textContent = `Endpoint: POST ${endpoint}`

  const state = { doc: undefined, methods: [], selected: undefined, nextId: 1, batch: [], history: loadHistory() }

  function loadHistory() {
    try {
      const saved = JSON.parse(localStorage.getItem(historyKey) ?? '[]')
      return Array.isArray(saved) ? saved : []
    } catch {
      return []
    }
  }
  const saveHistory = () => {
    try {
      localStorage.setItem(historyKey, JSON.stringify(state.history.slice(0, HISTORY_LIMIT)))
    } catch {
      // Storage full or refused: the history lasts as long as the page.
    }
  }

  // One POST to the endpoint, timed; never rejects.
  const post = async (body) => {
    const started = performance.now()
    try {
      const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      const text = await response.text()
      return { status: response.status, statusText: response.statusText, text, ms: performance.now() - started }
    } catch (e) {
      return { status: 0, statusText: `the request failed: ${e instanceof Error ? e.message : String(e)}`, text: '', ms: performance.now() - started }
    }
  }

  // -- the exchange panel and the history

  const outcomeOf = (text) => {
    if (text === '') return [h('span', { class: 'note' }, 'no answer (a notification)')]
    let parsed
    try {
      parsed = JSON.parse(text)
    } catch {
      return [h('span', { class: 'bad' }, 'the body is not JSON')]
    }
    const one = (r) => {
      if (r === null || typeof r !== 'object') return h('div', { class: 'bad' }, 'not a JSON-RPC response')
      const id = `id ${JSON.stringify(r.id)}: `
      if (has(r, 'error'))
        return h(
          'div',
          { class: 'answer bad' },
          `${id}error ${r.error?.code} ${r.error?.message ?? ''}`,
          r.error !== null && typeof r.error === 'object' && has(r.error, 'data') ? h('pre', { class: 'error-data' }, pretty(r.error.data)) : null,
        )
      return h('div', { class: 'answer good' }, `${id}result `, h('code', { class: 'result' }, JSON.stringify(r.result)))
    }
    return Array.isArray(parsed) ? parsed.map(one) : [one(parsed)]
  }

  const showExchange = (entry) => {
    $('exchange').hidden = false
    $('status').textContent = `HTTP ${entry.status}${entry.statusText ? ` ${entry.statusText}` : ''}`
    $('status').className = entry.status >= 200 && entry.status < 300 ? 'good' : 'bad'
    $('elapsed').textContent = `${entry.ms.toFixed(1)} ms`
    let request = entry.body
    try {
      request = pretty(JSON.parse(entry.body))
    } catch {
      // shown as sent
    }
    $('raw-request').textContent = request
    let response = entry.text
    try {
      if (entry.text !== '') response = pretty(JSON.parse(entry.text))
    } catch {
      // shown as received
    }
    $('raw-response').textContent = response === '' ? '(empty body)' : response
    $('outcome').replaceChildren(...outcomeOf(entry.text))
    $('curl').textContent = curlOf(endpoint, entry.body)
  }

  const renderHistory = () => {
    $('history').replaceChildren(
      ...state.history.map((entry) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'link', onclick: () => showExchange(entry) },
            `${entry.label}: HTTP ${entry.status}, ${entry.ms.toFixed(0)} ms, ${new Date(entry.at).toLocaleTimeString()}`,
          ),
        ),
      ),
    )
  }

  const send = async (body, label) => {
    const answer = await post(body)
    const entry = { label, body, ...answer, at: Date.now() }
    state.history.unshift(entry)
    state.history.length = Math.min(state.history.length, HISTORY_LIMIT)
    saveHistory()
    renderHistory()
    showExchange(entry)
    return entry
  }

  // -- the method view and the editor

  const schemaText = (schema) => (schema === undefined ? '(any)' : pretty(schema))

  const problemsOf = () => {
    const m = state.selected
    const text = $('params-editor').value.trim()
    if (text === '') return { params: undefined, problems: checkParams(m, undefined, state.doc) }
    let params
    try {
      params = JSON.parse(text)
    } catch (e) {
      return { params: undefined, problems: [{ path: 'params', message: `not JSON: ${e instanceof Error ? e.message : String(e)}` }], unparsable: true }
    }
    return { params, problems: checkParams(m, params, state.doc) }
  }

  const showProblems = (problems) => {
    $('problems').replaceChildren(...problems.map((p) => h('li', {}, `${p.path}: ${p.message}`)))
  }

  const select = (method) => {
    state.selected = method
    for (const li of $('methods').children) li.classList.toggle('selected', li.dataset.name === method.name)
    $('method').hidden = false
    $('method-name').textContent = method.name
    $('method-flags').replaceChildren(
      ...(method.deprecated === true ? [h('span', { class: 'badge bad' }, 'deprecated')] : []),
      ...(Array.isArray(method.tags)
        ? method.tags.map((t) => h('span', { class: 'badge' }, typeof t === 'object' && t !== null ? String(t.name) : String(t)))
        : []),
    )
    $('method-summary').textContent = method.summary ?? ''
    $('method-description').textContent = method.description ?? ''
    const descriptors = descriptorsOf(method, state.doc)
    const whole = wholeParamsOf(method)
    $('param-structure').textContent =
      whole !== undefined && descriptors.length === 0
        ? 'params: one value, of the schema below'
        : `params ${method.paramStructure === 'by-position' ? 'by position' : method.paramStructure === 'by-name' ? 'by name' : 'by name or by position'}`
    $('params')
      .querySelector('tbody')
      .replaceChildren(
        ...(descriptors.length === 0
          ? [h('tr', {}, h('td', { colspan: 3 }, whole === undefined ? 'none' : h('pre', {}, schemaText(whole))))]
          : descriptors.map((d) =>
              h(
                'tr',
                {},
                h('td', {}, h('code', {}, d.name), d.description ? h('div', { class: 'note' }, d.description) : null),
                h('td', {}, d.required === true ? 'yes' : 'no'),
                h('td', {}, h('pre', {}, schemaText(d.schema))),
              ),
            )),
      )
    const result =
      method.result !== null && typeof method.result === 'object' && typeof method.result.$ref === 'string'
        ? resolveRef(method.result.$ref, state.doc)
        : method.result
    $('result-schema').textContent = result === undefined || result === null ? '(none: a notification)' : schemaText(result.schema)
    const errors = Array.isArray(method.errors) ? method.errors : []
    $('errors').replaceChildren(
      ...(errors.length === 0
        ? [h('li', { class: 'note' }, 'none declared')]
        : errors.map((e) => {
            const resolved = typeof e.$ref === 'string' ? (resolveRef(e.$ref, state.doc) ?? e) : e
            const dataSchemas = method['x-error-data'] !== null && typeof method['x-error-data'] === 'object' ? method['x-error-data'] : {}
            const data = dataSchemas[String(resolved.code)]
            return h(
              'li',
              {},
              h('code', {}, String(resolved.code)),
              ` ${resolved.message ?? ''}`,
              data === undefined ? null : h('div', { class: 'note' }, 'data:'),
              data === undefined ? null : h('pre', {}, schemaText(data)),
            )
          })),
    )
    $('as-notification').checked = isNotification(method)
    $('fill-example').disabled = exampleParams(method) === undefined
    const example = exampleParams(method)
    $('params-editor').value = pretty(example !== undefined ? example : paramsSkeleton(method, state.doc))
    showProblems([])
    $('send-anyway').hidden = true
  }

  const renderMethods = () => {
    const query = $('search').value.trim().toLowerCase()
    const shown = state.methods.filter(
      (m) => query === '' || m.name.toLowerCase().includes(query) || `${m.summary ?? ''} ${m.description ?? ''}`.toLowerCase().includes(query),
    )
    $('methods').replaceChildren(
      ...shown.map((m) => {
        const li = h(
          'li',
          { class: state.selected?.name === m.name ? 'selected' : '' },
          h('button', { type: 'button', class: 'method', onclick: () => select(m) }, m.name),
          m.summary || m.description ? h('div', { class: 'note' }, m.summary ?? m.description) : null,
        )
        li.dataset.name = m.name
        return li
      }),
    )
    if (shown.length === 0 && state.methods.length > 0) $('methods').append(h('li', { class: 'note' }, 'no method matches'))
  }

  // The request the editor describes, or undefined (with the problems shown) when it is not sendable.
  const editorRequest = (force) => {
    const { params, problems, unparsable } = problemsOf()
    showProblems(problems)
    $('send-anyway').hidden = problems.length === 0 || unparsable === true
    if (unparsable === true || (problems.length > 0 && !force)) return undefined
    $('send-anyway').hidden = true
    const notification = $('as-notification').checked
    return requestOf(state.selected.name, params, notification ? undefined : state.nextId++)
  }

  const sendEditor = (force) => {
    if (state.selected === undefined) return
    const request = editorRequest(force)
    if (request !== undefined) void send(JSON.stringify(request), request.id === undefined ? `${request.method} (notification)` : request.method)
  }

  const renderBatch = () => {
    $('batch-count').textContent = state.batch.length === 0 ? '(empty)' : `(${state.batch.length})`
    $('batch').replaceChildren(
      ...state.batch.map((r, i) =>
        h(
          'li',
          {},
          h('code', {}, `${r.method}${r.id === undefined ? ' (notification)' : ` #${r.id}`} ${JSON.stringify(r.params ?? null)}`),
          ' ',
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                state.batch.splice(i, 1)
                renderBatch()
              },
            },
            'remove',
          ),
        ),
      ),
    )
    $('send-batch').disabled = state.batch.length === 0
    $('clear-batch').disabled = state.batch.length === 0
  }

  $('search').addEventListener('input', renderMethods)
  $('fill-example').addEventListener('click', () => {
    const example = state.selected === undefined ? undefined : exampleParams(state.selected)
    if (example !== undefined) $('params-editor').value = pretty(example)
  })
  $('fill-skeleton').addEventListener('click', () => {
    if (state.selected !== undefined) $('params-editor').value = pretty(paramsSkeleton(state.selected, state.doc))
  })
  $('params-editor').addEventListener('input', () => $('send-anyway').hidden || showProblems(problemsOf().problems))
  $('send').addEventListener('click', () => sendEditor(false))
  $('send-anyway').addEventListener('click', () => sendEditor(true))
  $('add-to-batch').addEventListener('click', () => {
    if (state.selected === undefined) return
    const request = editorRequest(false)
    if (request === undefined) return
    state.batch.push(request)
    renderBatch()
  })
  $('send-batch').addEventListener('click', () => {
    if (state.batch.length === 0) return
    const batch = state.batch.splice(0)
    renderBatch()
    void send(JSON.stringify(batch), `batch of ${batch.length}`)
  })
  $('clear-batch').addEventListener('click', () => {
    state.batch.length = 0
    renderBatch()
  })
  $('copy-curl').addEventListener('click', () => {
    const text = $('curl').textContent ?? ''
    if (navigator.clipboard !== undefined) void navigator.clipboard.writeText(text).catch(() => undefined)
    const range = document.createRange()
    range.selectNodeContents($('curl'))
    window.getSelection()?.removeAllRanges()
    window.getSelection()?.addRange(range)
  })
  $('clear-history').addEventListener('click', () => {
    state.history = []
    saveHistory()
    renderHistory()
  })

  renderBatch()
  renderHistory()
  if (state.history.length > 0) showExchange(state.history[0])

  // -- discovery

  const discover = async () => {
    const answer = await post(JSON.stringify(requestOf('rpc.discover', undefined, 0)))
    let doc
    try {
      const parsed = JSON.parse(answer.text)
      if (parsed !== null && typeof parsed === 'object' && has(parsed, 'result')) doc = parsed.result
      else if (parsed !== null && typeof parsed === 'object' && has(parsed, 'error'))
        throw new Error(`rpc.discover answered error ${parsed.error?.code} ${parsed.error?.message ?? ''}: is discovery on?`)
    } catch (e) {
      $('discovery').textContent = e instanceof Error && !(e instanceof SyntaxError) ? e.message : `rpc.discover: HTTP ${answer.status} ${answer.statusText}`
      $('discovery').className = 'bad'
      return
    }
    if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.methods)) {
      $('discovery').textContent = 'rpc.discover did not answer an OpenRPC document'
      $('discovery').className = 'bad'
      return
    }
    state.doc = doc
    state.methods = doc.methods
      .map((m) => (typeof m.$ref === 'string' ? resolveRef(m.$ref, doc) : m))
      .filter((m) => m !== null && typeof m === 'object' && typeof m.name === 'string')
      .sort((a, b) => a.name.localeCompare(b.name))
    const info = doc.info ?? {}
    if (typeof info.title === 'string') {
      $('title').textContent = info.title
      document.title = `${info.title}: JSON-RPC explorer`
    }
    $('subtitle').textContent = [
      typeof info.version === 'string' ? `version ${info.version}` : '',
      `OpenRPC ${doc.openrpc ?? '?'}`,
      typeof info.description === 'string' ? info.description : '',
    ]
      .filter((s) => s !== '')
      .join(' · ')
    $('discovery').textContent = `${state.methods.length} methods (rpc.discover, ${answer.ms.toFixed(0)} ms)`
    $('discovery').className = 'note'
    renderMethods()
  }
  void discover()
}

if (typeof document !== 'undefined') start()
