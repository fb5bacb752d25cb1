// Builds the two halves of the package from src/:
//
//   dist/esm  ES modules and their .d.ts (tsconfig.esm.json), read through the `import` condition
//   dist/cjs  CommonJS and its .d.ts (tsconfig.cjs.json), read through the `require` condition
//
// dist/cjs gets its own package.json, {"type": "commonjs"}, because the package itself is
// "type": "module": without it Node would load dist/cjs/*.js as ES modules. The same file tells
// TypeScript (node16/nodenext resolution) that dist/cjs/*.d.ts describe CommonJS modules, so no
// .d.cts copies are needed (test/pack.test.ts type-checks a CommonJS consumer to hold that).
//
// First the API explorer's page, stylesheet and script (written by hand in
// src/internal/http/explorer/) become a module of strings (scripts/explorer-assets.mjs), so that
// both builds serve them without reading a file. Both compilations run at once; any type error
// fails the build with tsc's own output.
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

const compile = (project) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', project, '--pretty'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', (error) => resolve({ project, code: 1, output: String(error) }))
    child.on('close', (code) => resolve({ project, code, output }))
  })

// The API explorer's files, as the module that serves them (src/internal/http/explorer/assets.ts).
const assets = await new Promise((resolve) => {
  const child = spawn(process.execPath, [join(root, 'scripts', 'explorer-assets.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  child.on('error', () => resolve(1))
  child.on('close', resolve)
})
if (assets !== 0) process.exit(1)

rmSync(join(root, 'dist'), { recursive: true, force: true })
const results = await Promise.all([compile('tsconfig.esm.json'), compile('tsconfig.cjs.json')])
const failed = results.filter((r) => r.code !== 0)
for (const r of failed) process.stderr.write(`tsc -p ${r.project} failed:\n${r.output}\n`)
if (failed.length > 0) {
  rmSync(join(root, 'dist'), { recursive: true, force: true })
  process.exit(1)
}

mkdirSync(join(root, 'dist', 'cjs'), { recursive: true })
writeFileSync(join(root, 'dist', 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n')
// The command line's entry is executable, so that `npx fp-jsonrpc` runs it in this repository too
// (npm makes an installed package's bin executable itself).
for (const half of ['esm', 'cjs']) chmodSync(join(root, 'dist', half, 'bin.js'), 0o755)
process.stdout.write('built dist/esm (ES modules) and dist/cjs (CommonJS), each with .d.ts\n')
