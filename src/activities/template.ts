import type { JsonTemplate } from '../definitions/connector';

/** A placeholder names a variable that does not exist. Not retryable: the declaration or the data is wrong. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_$.-]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z0-9_$.-]+)\s*\}\}$/;

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

/**
 * Fills `{{ path }}` placeholders in a string. `encode` URL-encodes values, except `env.*` ones,
 * which are trusted configuration such as a base URL.
 */
export function renderString(template: string, vars: Record<string, unknown>, where: string, encode = false): string {
  return template.replace(PLACEHOLDER, (_, path: string) => {
    const text = asText(lookup(vars, path, where));
    return encode && !path.startsWith('env.') ? encodeURIComponent(text) : text;
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
