import { DefinitionError } from './definition-error';

/**
 * How a wait's callbacks prove who sent them (optional). `secret` names an environment variable of the
 * gateway: secrets are configuration, never part of a definition or of workflow history.
 *
 * Replay: `standardWebhooks` and `hmacSha256Timestamped` sign a timestamp, so a captured request verifies only within
 * the tolerance, and the gateway refuses it for any other run (or wait) within that window. `hmacSha256` signs the
 * body alone: a captured request verifies forever. Prefer a timestamped mode, or bind the wait to the run
 * (`bind` on the wait) so that a body meant for one run cannot complete another.
 *
 * @example
 * ```ts
 * auth: { type: 'hmacSha256Timestamped', secret: 'WAREHOUSE_SECRET', header: 'x-warehouse-signature', toleranceSeconds: 300 }
 * // the sender sends   x-warehouse-signature: t=1700000000,v1=<hex HMAC-SHA256 of "1700000000.<raw body>">
 * ```
 */
export type SenderAuthDecl =
  /** A static key in a header (default `x-api-key`). The variable may hold several keys, comma-separated (rotation). */
  | { readonly type: 'apiKey'; readonly secret: string; readonly header?: string }
  /** Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`); the variable holds `whsec_…` secrets, comma-separated. */
  | { readonly type: 'standardWebhooks'; readonly secret: string }
  /** `sha256=<hex>` HMAC of the raw body in a header (default `x-hub-signature-256`, as GitHub sends). Replayable: see above. */
  | { readonly type: 'hmacSha256'; readonly secret: string; readonly header?: string }
  /**
   * `t=<unix seconds>,v1=<hex>` in a header (default `x-hookwait-signature`), Stripe style: `v1` is the hex HMAC-SHA256
   * of `<t>.<raw body>`; several `v1` may be given (the sender's key rotation). Refused outside `toleranceSeconds`
   * (default 300, both ways; 1 to 3600).
   */
  | { readonly type: 'hmacSha256Timestamped'; readonly secret: string; readonly header?: string; readonly toleranceSeconds?: number };

export type SenderAuth =
  | { readonly type: 'apiKey'; readonly secret: string; readonly header: string }
  | { readonly type: 'standardWebhooks'; readonly secret: string }
  | { readonly type: 'hmacSha256'; readonly secret: string; readonly header: string }
  | { readonly type: 'hmacSha256Timestamped'; readonly secret: string; readonly header: string; readonly toleranceSeconds: number };

/** The tolerance of `standardWebhooks` (fixed by the spec) and the default of `hmacSha256Timestamped`. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;
const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
const HEADER = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Checks a wait's `auth` declaration and fills in its defaults.
 * @throws {@link DefinitionError} naming the field.
 * @example
 * ```ts
 * normalizeSenderAuth({ type: 'hmacSha256Timestamped', secret: 'S' }, 'waits.w.auth');
 * // { type: 'hmacSha256Timestamped', secret: 'S', header: 'x-hookwait-signature', toleranceSeconds: 300 }
 * ```
 */
export function normalizeSenderAuth(decl: SenderAuthDecl, field: string): SenderAuth {
  if (typeof decl !== 'object' || decl === null) throw new DefinitionError(field, 'must be { type, secret }');
  if (typeof decl.secret !== 'string' || !ENV_NAME.test(decl.secret)) {
    throw new DefinitionError(`${field}.secret`, 'must name an environment variable (e.g. KYC_CALLBACK_SECRET), never hold the secret itself');
  }
  const header = 'header' in decl ? decl.header : undefined;
  if (header !== undefined && !HEADER.test(header)) throw new DefinitionError(`${field}.header`, 'must be a header name');
  switch (decl.type) {
    case 'apiKey':
      return { type: 'apiKey', secret: decl.secret, header: (header ?? 'x-api-key').toLowerCase() };
    case 'standardWebhooks':
      return { type: 'standardWebhooks', secret: decl.secret };
    case 'hmacSha256':
      return { type: 'hmacSha256', secret: decl.secret, header: (header ?? 'x-hub-signature-256').toLowerCase() };
    case 'hmacSha256Timestamped': {
      const tolerance = decl.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
      if (!Number.isInteger(tolerance) || tolerance < 1 || tolerance > 3600) {
        throw new DefinitionError(`${field}.toleranceSeconds`, `must be a whole number of seconds from 1 to 3600, got ${JSON.stringify(tolerance)}`);
      }
      return { type: 'hmacSha256Timestamped', secret: decl.secret, header: (header ?? 'x-hookwait-signature').toLowerCase(), toleranceSeconds: tolerance };
    }
    default:
      throw new DefinitionError(`${field}.type`, "must be 'apiKey', 'standardWebhooks', 'hmacSha256' or 'hmacSha256Timestamped'");
  }
}

/**
 * The request headers a signature covers besides the body, when `auth` is a signature (every type but `apiKey`, which
 * vouches for the whole request): Standard Webhooks signs `webhook-id` and `webhook-timestamp`, the HMACs none.
 * `undefined` for `apiKey`: anything the request carries is the key holder's.
 *
 * @example
 * ```ts
 * signedHeaders({ type: 'hmacSha256', secret: 'S', header: 'x-hub-signature-256' }); // []
 * signedHeaders({ type: 'apiKey', secret: 'K', header: 'x-api-key' });                // undefined
 * ```
 */
export function signedHeaders(auth: SenderAuth): readonly string[] | undefined {
  switch (auth.type) {
    case 'apiKey':
      return undefined;
    case 'standardWebhooks':
      return ['webhook-id', 'webhook-timestamp'];
    default:
      return [];
  }
}

/**
 * Refuses what a signature would not prove (a GET, a value read from the query string or an unsigned header) beside
 * a signature-based `auth`: anyone holding one signed request could send it again with other values there.
 * @throws {@link DefinitionError} naming the field.
 */
export function checkSignedParts(
  auth: SenderAuth | undefined,
  authField: string,
  parts: { readonly methods: readonly string[]; readonly methodsField: string; readonly reads: readonly { readonly source: 'body' | 'query' | 'header'; readonly name?: string; readonly field: string }[] },
): void {
  if (!auth) return;
  const signed = signedHeaders(auth);
  if (signed === undefined) return;
  const why = `${auth.type} (${authField}) signs the body only${signed.length > 0 ? ` and ${signed.join(', ')}` : ''}`;
  const get = parts.methods.findIndex((m) => m.toUpperCase() === 'GET');
  if (get >= 0) throw new DefinitionError(`${parts.methodsField}[${get}]`, `a GET has no body, so ${why}: it would prove nothing. Use apiKey auth for a GET, or POST`);
  for (const r of parts.reads) {
    if (r.source === 'body' || (r.source === 'header' && r.name !== undefined && signed.includes(r.name.toLowerCase()))) continue;
    throw new DefinitionError(r.field, `${why}: a value from the ${r.source === 'query' ? 'query string' : 'header'} is not covered and could be changed in a replayed request. Read it from the body, or use apiKey auth`);
  }
}
