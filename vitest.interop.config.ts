import { defineConfig } from 'vitest/config'

// The interop suite (`npm run test:interop`): fp-jsonrpc against other JSON-RPC implementations,
// run for real (Python's jsonrpclib-pelix and pylsp-jsonrpc from Debian, jayson and json-rpc-2.0
// from npm) over loopback HTTP and child processes' stdio. Kept out of `npm test`, whose config
// only takes test/**/*.test.ts, since it needs the Debian packages (see docs/interop.md).
export default defineConfig({
  test: {
    include: ['test/interop/**/*.interop.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
