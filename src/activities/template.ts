import type { JsonTemplate } from '../definitions/connector';
import { PLACEHOLDER_SOURCE } from '../definitions/template-placeholders';
import { PATH_SEGMENT_RULE, pathSegmentProblem, shownValue } from './path-segment';

/**
 * A placeholder names a variable that does not exist, or fills a URL path with a value that would change it.
 * Not retryable: the declaration or the data is wrong.
 */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const PLACEHOLDER = new RegExp(PLACEHOLDER_SOURCE, 'g');
const WHOLE = new RegExp(`^${PLACEHOLDER_SOURCE}$`);

function lookup(vars: Record<string, unknown>, path: string, where: string): unknown {
  let current: unknown = vars;
  for (const segment of path.split('.')) {
    if (typeof current === 'object' && current !== null && Object.prototype.hasOwnProperty.call(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      throw new TemplateError(`${where}: {{${path}}} names nothing (variables: ${Object.keys(vars).join(', ')})`);
    }
  }
  if (current === undefined) throw new TemplateError(`${where}: {{${path}}} is undefined`);
  return current;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Fills `{{ path }}` placeholders in a string (a header value, a string in a body), values as they are. */
export function renderString(template: string, vars: Record<string, unknown>, where: string): string {
  return template.replace(PLACEHOLDER, (_, path: string) => asText(lookup(vars, path, where)));
}

/** Options of {@link renderUrl}. */
export interface RenderUrlOptions {
  /**
   * Leave `{{env.*}}` placeholders as written instead of filling them in: the URL as failure messages and logs
   * show it, so that a secret placed in a URL never reaches workflow history or a log line.
   */
  readonly keepEnv?: boolean;
}

/**
 * Fills the placeholders of a URL template. Values are URL-encoded (`encodeURIComponent`), except `env.*` ones,
 * which are trusted configuration such as a base URL.
 *
 * A value in the path (before the template's first `?` or `#`) must stand for one segment: one that is empty, `.` or
 * `..`, or contains `/` or `\`, also once percent-decoded (`%2e%2e`, `%2F`, `%5C`), is refused with a
 * {@link TemplateError} (the rule and why: {@link pathSegmentProblem}). `customers/{{id}}/profile` with `../admin`
 * would otherwise climb the path of a call that carries the connector's credentials on any server that decodes
 * before routing. Refusing is the only safe answer: percent-encoding does not help, because the WHATWG URL parser
 * (`fetch`, `new URL`) treats `%2e` as a dot and many servers decode `%2F` and `%5C` before routing. In the query
 * string these values are ordinary data and pass through.
 */
export function renderUrl(template: string, vars: Record<string, unknown>, where: string, options: RenderUrlOptions = {}): string {
  const queryAt = template.search(/[?#]/);
  return template.replace(PLACEHOLDER, (_match: string, path: string, offset: number) => {
    if (path.startsWith('env.')) return options.keepEnv ? `{{${path}}}` : asText(lookup(vars, path, where));
    const text = asText(lookup(vars, path, where));
    const inPath = queryAt < 0 || offset < queryAt;
    const problem = inPath ? pathSegmentProblem(text) : undefined;
    if (problem) {
      throw new TemplateError(`${where}: {{${path}}} is ${shownValue(text)} (${problem}), which is refused in a URL path (${PATH_SEGMENT_RULE})`);
    }
    return encodeURIComponent(text);
  });
}

/** Fills a JSON template. A string that is exactly one placeholder takes the value as is (a number stays a number). */
export function renderJson(template: JsonTemplate, vars: Record<string, unknown>, where: string): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    return whole && whole[1] !== undefined ? lookup(vars, whole[1], where) : renderString(template, vars, where);
  }
  if (Array.isArray(template)) return template.map((t, i) => renderJson(t as JsonTemplate, vars, `${where}[${i}]`));
  if (typeof template === 'object' && template !== null) {
    const out: Record<string, unknown> = {};
    // defineProperty: a key such as __proto__ stays a plain key of the body.
    for (const [k, v] of Object.entries(template)) {
      Object.defineProperty(out, k, { value: renderJson(v as JsonTemplate, vars, `${where}.${k}`), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return template;
}
