/**
 * Text from a server made safe for a terminal: control characters (C0 but line feed and tab, DEL,
 * C1) are written as `\uXXXX`, so an error message or a method name cannot move the cursor, recolour
 * the screen or retitle the window. Inside a JSON string the escape means the same character, so
 * JSON stays JSON and reads back to the same value.
 *
 * @internal
 */

// eslint-disable-next-line no-control-regex -- the control characters are what this matches
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** `text` with its control characters but `\n` and `\t` escaped as `\uXXXX`. */
export const printable = (text: string): string => text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
