/**
 * The one way bytes become message text, on every transport: strictly, so bytes that are not UTF-8
 * are refused (never replaced), and with a leading byte order mark kept, so that `JSON.parse` sees
 * it and the message is a Parse error, as on HTTP, streams and WebSocket text frames (RFC 8259 lets
 * a parser refuse it, and no JSON-RPC peer we test against sends one).
 *
 * @internal
 */

// A decode without `stream` keeps no state between calls, so one decoder serves every message.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The bytes as text when they are UTF-8, `undefined` when they are not. */
export const decodeUtf8 = (bytes: Uint8Array): string | undefined => {
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}
