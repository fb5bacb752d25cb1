/**
 * `npm start`: the demo service. See examples/demo/server.ts.
 */
import './demo/server.js'
