// Builds dist/esm (ES modules) and dist/cjs (CommonJS), each with .d.ts files.
// dist/cjs gets its own package.json so Node reads its .js files as CommonJS
// although the package itself is "type": "module".
import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'

const tsc = (project) => execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project], { stdio: 'inherit' })

rmSync('dist', { recursive: true, force: true })
tsc('tsconfig.esm.json')
tsc('tsconfig.cjs.json')
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }, null, 2) + '\n')
