/**
 * Every `@example` in the doc comments of src/**\/*.ts is type-checked and run, so that none rots.
 *
 * Each example is written out as a module of its own under test/.tmp-examples/ (gitignored), with
 * this package's imports (`'fp-jsonrpc'`, `'fp-jsonrpc/http'`, ...) pointing at this checkout's
 * sources. All of them are type-checked in one `tsc` run with the project's compiler and options
 * (tsconfig.base.json: strict, exactOptionalPropertyTypes), unused locals aside, since an example
 * often only shows how a value is made. Then each is bundled with the sources it imports (esbuild,
 * the packages left as imports) and run in a node process of its own by test/fixtures/run-example.ts:
 * it must exit 0, so throw nothing, at once or in what it started. An example that declares what it needs
 * (`declare const client: Client.Client`) cannot run, and is only type-checked.
 *
 * A type error is reported at its line in the source file (`src/Client.ts:230`), so the message
 * points at the doc comment to fix. Set KEEP_TMP=1 to keep the generated modules.
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allExamples, readModules } from '../scripts/doc-comments.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dir = join(root, 'test', '.tmp-examples')

/** `'fp-jsonrpc'` and `'fp-jsonrpc/<sub>'` to the sources, from a module in test/.tmp-examples/. */
export const rewriteImports = (code: string): string =>
  code.replace(
    /(from\s+|import\s*\(\s*|import\s+)(['"])fp-jsonrpc(\/[\w-]+)?\2/g,
    (_, head: string, quote: string, sub: string | undefined) => `${head}${quote}../../src${sub ?? ''}/index.js${quote}`,
  )

const examples = allExamples(readModules(root)).map((e) => ({
  ...e,
  id: `${e.file
    .replace(/^src\//, '')
    .replace(/\.ts$/, '')
    .replaceAll('/', '_')}_${e.line}`,
  declares: /^declare\s/m.test(e.code),
}))

/** The type errors of each generated module, by id, as `src/File.ts:line:col message`. */
const typeErrors = new Map<string, Array<string>>()

beforeAll(() => {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  for (const e of examples) writeFileSync(join(dir, `${e.id}.ts`), rewriteImports(e.code) + (/^\s*(import|export)\s/m.test(e.code) ? '' : '\nexport {}\n'))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.base.json',
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, types: ['node'], noUnusedLocals: false, noUnusedParameters: false },
      include: ['*.ts'],
    }),
  )
  let output = ''
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: root,
      encoding: 'utf8',
    })
  } catch (e) {
    output = String((e as { stdout?: unknown }).stdout)
  }
  // Errors start a line (`test/.tmp-examples/<id>.ts(3,7): error TS2345: ...`); a message may go on over indented lines.
  let last: Array<string> | undefined
  for (const line of output.split('\n')) {
    const m = /^test\/\.tmp-examples\/([\w-]+)\.ts\((\d+),(\d+)\): (.*)$/.exec(line)
    if (m) {
      const e = examples.find((x) => x.id === m[1])
      const at = e === undefined ? `${m[1]}:${m[2]}` : `${e.file}:${e.codeLine + Number(m[2]) - 1}:${m[3]}`
      last = typeErrors.get(m[1]) ?? []
      typeErrors.set(m[1], last)
      last.push(`${at} ${m[4]}`)
    } else if (line.trim() !== '' && last !== undefined) last[last.length - 1] += '\n' + line
    else if (line.trim() !== '') typeErrors.set('(tsc)', [...(typeErrors.get('(tsc)') ?? []), line])
  }
  // One esbuild run for all: a tsx process per example took 2-4 s each on a busy machine.
  buildSync({
    absWorkingDir: root,
    entryPoints: [...examples.map((e) => join(dir, `${e.id}.ts`)), join(root, 'test', 'fixtures', 'run-example.ts')],
    outdir: join(dir, 'out'),
    entryNames: '[name]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  })
}, 120_000)

/** Runs one bundled example; its exit status and what it wrote on stderr. */
const run = (id: string): Promise<{ readonly status: number | null; readonly stderr: string }> =>
  new Promise((done) => {
    const child = spawn(process.execPath, [join(dir, 'out', 'run-example.mjs'), join(dir, 'out', `${id}.mjs`)], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('close', (status, signal) => done({ status: status ?? (signal === null ? null : -1), stderr }))
  })

afterAll(() => {
  if (process.env.KEEP_TMP === undefined) rmSync(dir, { recursive: true, force: true })
})

describe('@example in src/', () => {
  it('finds the examples of the doc comments', () => {
    expect(examples.length).toBeGreaterThanOrEqual(30)
  })

  it('type-checks them all with no error outside an example', () => {
    expect(typeErrors.get('(tsc)') ?? []).toEqual([])
  })

  it('points the package imports at the sources', () => {
    expect(rewriteImports("import { Client } from 'fp-jsonrpc'\nimport * as Ws from \"fp-jsonrpc/ws\"\nimport type { X } from 'fp-jsonrpc-other'")).toBe(
      "import { Client } from '../../src/index.js'\nimport * as Ws from \"../../src/ws/index.js\"\nimport type { X } from 'fp-jsonrpc-other'",
    )
  })

  describe.each(examples.map((e) => [`${e.file}:${e.line} (${e.name})`, e] as const))('%s', (_, e) => {
    it('type-checks', () => {
      expect(typeErrors.get(e.id) ?? []).toEqual([])
    })

    // What the example's own children write (a spawned program's stderr, say) may show on stderr;
    // the example failed only if its process did not exit 0. An example that declares what it
    // uses (`declare const client`) has nothing to run: it is type-checked only.
    if (!e.declares) {
      it('runs without throwing', async () => {
        const { status, stderr } = await run(e.id)
        expect(status, `exit status ${status}, stderr:\n${stderr}`).toBe(0)
      })
    }
  })
})
