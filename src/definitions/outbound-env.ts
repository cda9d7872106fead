/**
 * Definition-time checks shared by data connectors and outbound webhooks: the `env` allowlist and the `{{env.*}}`
 * placeholders it governs, and the shape of a form body. Internal: not exported from the package.
 */
import type { JsonTemplate } from './connector';
import { DefinitionError } from './definition-error';
import { placeholderPaths } from './template-placeholders';

/** hookwait's own configuration (signing keys, the Temporal connection and its API key): never readable by a template. */
const DENIED_ENV_PREFIXES = ['HOOKWAIT_', 'TEMPORAL_'] as const;
const ENV_ENTRY = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

export function deniedEnvName(name: string): boolean {
  const upper = name.toUpperCase();
  return DENIED_ENV_PREFIXES.some((p) => upper.startsWith(p));
}

/** Whether `name` is covered by the allowlist (a name or a `PREFIX*`), and not one of hookwait's own. */
export function envAllowed(allow: readonly string[], name: string): boolean {
  if (name === '' || deniedEnvName(name)) return false;
  return allow.some((entry) => (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry));
}

/** The templates of an outbound call: its URL, headers and body. */
export interface OutboundTemplates {
  readonly url: string;
  readonly headers?: { readonly [name: string]: string };
  readonly body?: JsonTemplate;
}

export function normalizeEnvAllowlist(env: unknown, field: string): string[] {
  if (env === undefined) return [];
  if (!Array.isArray(env)) throw new DefinitionError(field, "must be a list of variable names or prefixes, e.g. ['KYC_API_KEY', 'KYC_*']");
  return env.map((entry: unknown, i) => {
    if (typeof entry !== 'string' || !ENV_ENTRY.test(entry)) {
      throw new DefinitionError(`${field}[${i}]`, "must be a variable name (letters, digits, '_') or a prefix ending in '*', such as 'KYC_*'");
    }
    if (deniedEnvName(entry.replace(/\*$/, ''))) {
      throw new DefinitionError(`${field}[${i}]`, `HOOKWAIT_* and TEMPORAL_* variables are hookwait's own configuration; an outbound call never reads them`);
    }
    return entry;
  });
}

/** Each template string of a connector with the field it sits in (`…url`, `…headers.<name>`, `…body.a[1].b`). */
function templateStrings(decl: OutboundTemplates, field: string): [string, string][] {
  const out: [string, string][] = [[decl.url, `${field}.url`]];
  for (const [name, value] of Object.entries(decl.headers ?? {})) if (typeof value === 'string') out.push([value, `${field}.headers.${name}`]);
  const walk = (t: JsonTemplate | undefined, at: string): void => {
    if (typeof t === 'string') out.push([t, at]);
    else if (Array.isArray(t)) t.forEach((v: JsonTemplate, i) => walk(v, `${at}[${i}]`));
    else if (typeof t === 'object' && t !== null) for (const [k, v] of Object.entries(t)) walk(v as JsonTemplate, `${at}.${k}`);
  };
  walk(decl.body, `${field}.body`);
  return out;
}

/**
 * Refuses, at definition time, every `{{env…}}` placeholder the allowlist does not cover: `{{env}}` itself (the
 * whole environment), hookwait's own variables, and any variable the call does not declare.
 */
export function checkEnvPlaceholders(decl: OutboundTemplates, allow: readonly string[], field: string): void {
  for (const [text, at] of templateStrings(decl, field)) {
    for (const path of placeholderPaths(text)) {
      if (path === 'env') throw new DefinitionError(at, '{{env}} would expose the whole environment of the worker; name one declared variable, e.g. {{env.API_KEY}}');
      if (!path.startsWith('env.')) continue;
      const name = path.split('.')[1] ?? '';
      if (deniedEnvName(name)) {
        throw new DefinitionError(at, `{{${path}}}: HOOKWAIT_* and TEMPORAL_* variables are hookwait's own configuration; an outbound call never reads them`);
      }
      if (!envAllowed(allow, name)) {
        throw new DefinitionError(at, `{{${path}}} reads the environment variable '${name}', which ${field}.env does not declare; add '${name}' to ${field}.env`);
      }
    }
  }
}


/**
 * Checks a form body (`application/x-www-form-urlencoded`): an object whose values are strings (templates), numbers,
 * booleans or null, one level deep (a form has no nesting).
 */
export function normalizeFormBody(body: unknown, field: string): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DefinitionError(field, 'a form body is an object of key-value pairs');
  for (const [k, v] of Object.entries(body)) {
    if (v !== null && typeof v === 'object') throw new DefinitionError(`${field}.${k}`, 'a form field is a string, number, boolean or null (a form has no nesting)');
  }
}
