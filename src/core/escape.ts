/**
 * Escaping for the places a sender's values are shown: an operator's terminal and the Web UI's markdown. A callback's
 * attribute values, its User-Agent and a wait key can hold anything but NUL, so they are escaped where shown, never
 * trusted. Pure (used in workflow code).
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const MARKDOWN = /[\\`*_[\]()<>|#!~{}]/g;

const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * For a terminal: control characters (ANSI/OSC escape sequences, line breaks, C1 controls) become visible `\uXXXX`
 * escapes, so a value cannot move the cursor, forge a line, set the clipboard or hide a link.
 *
 * @example
 * ```ts
 * forTerminal('ok\u001b]52;c;aGk=\u0007'); // 'ok\\u001b]52;c;aGk=\\u0007'
 * ```
 */
export function forTerminal(value: unknown): string {
  return String(value).replace(CONTROL, unicodeEscape);
}

/**
 * For markdown (the Web UI's current details): control characters escaped as for a terminal, and every character
 * markdown gives a meaning to (code spans, tables, links, emphasis, HTML) backslash-escaped.
 *
 * @example
 * ```ts
 * forMarkdown('x | [click](https://evil)'); // 'x \\| \\[click\\]\\(https://evil\\)'
 * ```
 */
export function forMarkdown(value: unknown): string {
  return forTerminal(value).replace(MARKDOWN, '\\$&');
}

/** JSON for a terminal: `JSON.stringify` leaves C1 controls and line separators raw; these are escaped too. */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, unicodeEscape);
}
