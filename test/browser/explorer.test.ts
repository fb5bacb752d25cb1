/**
 * The API explorer in a real browser: Debian's chromium (/usr/bin/chromium; `.ci/run` installs it),
 * driven headless by playwright-core (which never downloads a browser), against the demo service
 * (`npm start`) on 127.0.0.1, as a user meets it: the page at the demo's root, the method list from
 * `rpc.discover`, a call, a refused param, a batch, the history after a reload. It takes the
 * screenshot that docs/discovery.md and the README show (written to docs/explorer.png with
 * `SCREENSHOT=1`).
 *
 * Without /usr/bin/chromium it fails, saying how to install it: it never skips.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
// The demo is run by node itself with tsx's loader (not tsx's command line, which would run it in a
// child of its own that a SIGKILL of the command line leaves running).
const executablePath = process.env['CHROMIUM'] ?? '/usr/bin/chromium'

let demo: ChildProcess
let output = ''
let base = ''
let context: BrowserContext
let page: Page
let userDataDir = ''

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(
      `no chromium at ${executablePath}: install Debian's (apt-get install -y --no-install-recommends chromium; .ci/run does), or set CHROMIUM to another binary`,
    )
  }
  demo = spawn(process.execPath, ['--import', 'tsx', join(root, 'examples', 'demo.ts')], { cwd: root, env: { ...process.env, PORT: '0' } })
  demo.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  demo.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const started = Date.now()
  while (!/Explorer:\s+(\S+)/.test(output)) {
    if (demo.exitCode !== null || Date.now() - started > 20_000) throw new Error(`the demo did not start:\n${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  base = (/Explorer:\s+(\S+)/.exec(output) as RegExpExecArray)[1]

  userDataDir = mkdtempSync(join(tmpdir(), 'fp-jsonrpc-chromium-'))
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 900 },
  })
  page = context.pages()[0] ?? (await context.newPage())
})

afterAll(async () => {
  await context?.close()
  if (demo?.exitCode === null) demo.kill('SIGKILL')
  if (userDataDir !== '') rmSync(userDataDir, { recursive: true, force: true })
})

// What the page reported against itself: a script refused by the CSP, an error thrown.
const problems: Array<string> = []

const methodButton = (name: string) => page.locator('#methods button.method', { hasText: new RegExp(`^${name.replace('.', '\\.')}$`) })

const open = async (name: string): Promise<void> => {
  await page.fill('#search', name)
  await methodButton(name).click()
  await expect.poll(() => page.textContent('#method-name')).toBe(name)
}

describe('the API explorer in chromium, against the demo', () => {
  it('lists the methods rpc.discover gives, and searches them', async () => {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`)
    })
    const response = await page.goto(base)
    expect(response?.status()).toBe(200)
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
    await page.waitForSelector('#methods button.method')
    const names = await page.locator('#methods button.method').allTextContents()
    expect(names).toEqual(expect.arrayContaining(['subtract', 'sum', 'sleep', 'withdraw', 'log']))
    expect(await page.textContent('#discovery')).toMatch(/^\d+ methods \(rpc\.discover/)

    await page.fill('#search', 'withd')
    expect(await page.locator('#methods button.method').allTextContents()).toEqual(['withdraw'])
    await page.fill('#search', '')
  })

  it('shows a method: description, params, result and errors, with its example in the editor', async () => {
    await open('withdraw')
    expect(await page.textContent('#method-description')).toContain('Takes amount from a balance of 100')
    expect(await page.textContent('#params tbody')).toContain('amount')
    expect(await page.textContent('#errors')).toContain('1001')
    await open('subtract')
    expect(JSON.parse((await page.inputValue('#params-editor')) || 'null')).not.toBeNull()
  })

  it('calls subtract with [42, 23] and shows 19, the status, the time, the raw exchange and a curl line', async () => {
    await open('subtract')
    await page.fill('#params-editor', '[42, 23]')
    await page.click('#send')
    await expect.poll(() => page.textContent('#outcome')).toContain('result 19')
    expect(await page.textContent('#outcome .result')).toBe('19')
    expect(await page.textContent('#status')).toBe('HTTP 200 OK')
    expect(await page.textContent('#elapsed')).toMatch(/^\d+\.\d ms$/)
    const request = JSON.parse((await page.textContent('#raw-request')) ?? '')
    expect(request).toEqual({ jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: expect.any(Number) })
    expect(JSON.parse((await page.textContent('#raw-response')) ?? '')).toEqual({ jsonrpc: '2.0', result: 19, id: request.id })
    expect(await page.textContent('#curl')).toBe(`curl -s '${new URL('rpc', base).href}' -H 'content-type: application/json' -d '${JSON.stringify(request)}'`)
  })

  it('refuses a bad param before sending, then shows the Invalid params data when sent anyway', async () => {
    await open('subtract')
    await page.fill('#params-editor', '{"minuend": "a", "subtrahend": 23}')
    await page.click('#send')
    expect(await page.textContent('#problems')).toContain('params.minuend: expected number, got "a"')
    await page.click('#send-anyway')
    await expect.poll(() => page.textContent('#outcome')).toContain('-32602 Invalid params')
    expect(JSON.parse((await page.textContent('#outcome .error-data')) ?? '')).toEqual(['params.minuend: expected number, got "a"'])
  })

  it('builds a batch of a call and a notification and a call, and shows both answers', async () => {
    await open('subtract')
    await page.fill('#params-editor', '{"minuend": 1, "subtrahend": 2}')
    await page.click('#add-to-batch')
    await open('log')
    await page.check('#as-notification')
    await page.fill('#params-editor', '{"line": "from the explorer"}')
    await page.click('#add-to-batch')
    await open('sum')
    await page.fill('#params-editor', '[10, 20]')
    await page.click('#add-to-batch')
    expect(await page.textContent('#batch-count')).toBe('(3)')
    await page.click('#send-batch')
    await expect.poll(async () => (await page.locator('#outcome .answer').allTextContents()).length).toBe(2)
    const answers = await page.locator('#outcome .answer').allTextContents()
    expect(answers[0]).toMatch(/^id \d+: result -1$/)
    expect(answers[1]).toMatch(/^id \d+: result 30$/)
    const sent = JSON.parse((await page.textContent('#raw-request')) ?? '') as Array<{ readonly method: string }>
    expect(sent.map((r) => r.method)).toEqual(['subtract', 'log', 'sum'])
    expect(sent[1]).not.toHaveProperty('id')
    expect(await page.textContent('#batch-count')).toBe('(empty)')
  })

  it('keeps the history across a reload', async () => {
    const before = await page.locator('#history li').allTextContents()
    expect(before.length).toBeGreaterThanOrEqual(3)
    await page.reload()
    await page.waitForSelector('#methods button.method')
    expect(await page.locator('#history li').allTextContents()).toEqual(before)
    // The latest exchange is shown again: the batch.
    expect(await page.locator('#outcome .answer').allTextContents()).toHaveLength(2)

    await open('subtract')
    await page.fill('#params-editor', '[42, 23]')
    await page.click('#send')
    await expect.poll(() => page.textContent('#outcome .result')).toBe('19')
    await page.fill('#search', '')
    await page.evaluate(() => window.scrollTo(0, 0))
    // The screenshot the docs show is rewritten only when asked (`SCREENSHOT=1 npx vitest run
    // test/browser`): the port and the history's times differ per run, so every run would leave
    // docs/explorer.png modified. Otherwise it goes to a temporary file, and is checked all the same.
    const shot = process.env['SCREENSHOT'] === '1' ? join(root, 'docs', 'explorer.png') : join(userDataDir, 'explorer.png')
    const png = await page.screenshot({ path: shot })
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    expect(png.length).toBeGreaterThan(10_000)
  })

  it('sends log alone as a notification: HTTP 204, no answer, and the demo logged the line', async () => {
    await open('log')
    await page.check('#as-notification')
    await page.fill('#params-editor', '{"line": "a lone notification"}')
    await page.click('#send')
    await expect.poll(() => page.textContent('#outcome')).toContain('no answer (a notification)')
    expect(await page.textContent('#status')).toBe('HTTP 204 No Content')
    expect(JSON.parse((await page.textContent('#raw-request')) ?? '')).toEqual({ jsonrpc: '2.0', method: 'log', params: { line: 'a lone notification' } })
    await expect.poll(() => output).toContain('log: a lone notification')
  })

  it('ran with nothing refused by the Content-Security-Policy and no script error', () => {
    expect(problems).toEqual([])
  })
})
