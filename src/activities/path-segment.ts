/**
 * Why a value may not fill one segment of a URL path, or `undefined` when it may.
 *
 * A value placed in a path position stands for exactly one segment. It is refused when it, or the value
 * percent-decoded once, is empty, `.` or `..`, or contains `/` or `\`.
 *
 * Why refuse the separators outright rather than only the dot pieces of `value.split(/[\/\\]/)`: the value is
 * sent percent-encoded (`encodeURIComponent`), but servers that decode before routing (nginx `proxy_pass` with a URI
 * part, IIS for `\`, frameworks that route on the decoded path) read `..%2Fadmin` as `../admin` and `a%2Fb` as two
 * segments. Dot pieces climb the path; even without dots, `42/delete` in `/users/{{id}}` reaches another endpoint
 * with the same credentials. An identifier that legitimately contains `/` or `\` belongs in the query string, where
 * values are plain data.
 *
 * Why also decoded once: the value's own `%` is encoded as `%25`, so a server that decodes once sees the value as
 * given, and one that decodes twice sees it decoded once (`%2e%2e` → `..`, `%2F` → `/`, `%5C` → `\`). The WHATWG
 * URL parser (`fetch`, `new URL`) also reads `%2e` as a dot. Encoding the dots cannot help, hence refusal.
 */
export function pathSegmentProblem(value: string): string | undefined {
  for (const text of new Set([value, decodeAsciiOnce(value)])) {
    if (text === '') return 'empty';
    if (text === '.' || text === '..') return 'a dot segment';
    if (/[/\\]/.test(text)) return 'contains a path separator';
  }
  return undefined;
}

/** The rule, as failure messages state it. */
export const PATH_SEGMENT_RULE = "an empty, '.' or '..' segment, or a '/' or '\\' (also percent-encoded), would change the path called";

/**
 * One round of percent-decoding, of ASCII escapes only (`%2e`, `%2F`, `%5c`, …), never throwing on malformed input.
 * Non-ASCII escapes stay as they are: they cannot decode to a dot or a separator, and a piece holding one is not empty.
 */
function decodeAsciiOnce(value: string): string {
  return value.replace(/%([0-7][0-9a-fA-F])/g, (_m: string, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A refused value as a failure message shows it: quoted, and cut after 64 characters. */
export function shownValue(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
