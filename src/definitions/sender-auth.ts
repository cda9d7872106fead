import { DefinitionError } from './definition-error';

/**
 * How a wait's callbacks prove who sent them (optional). `secret` names an environment variable of the
 * gateway: secrets are configuration, never part of a definition or of workflow history.
 */
export type SenderAuthDecl =
  /** A static key in a header (default `x-api-key`). The variable may hold several keys, comma-separated (rotation). */
  | { readonly type: 'apiKey'; readonly secret: string; readonly header?: string }
  /** Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`); the variable holds `whsec_…` secrets, comma-separated. */
  | { readonly type: 'standardWebhooks'; readonly secret: string }
  /** `sha256=<hex>` HMAC of the raw body in a header (default `x-hub-signature-256`, as GitHub sends). */
  | { readonly type: 'hmacSha256'; readonly secret: string; readonly header?: string };

export type SenderAuth =
  | { readonly type: 'apiKey'; readonly secret: string; readonly header: string }
  | { readonly type: 'standardWebhooks'; readonly secret: string }
  | { readonly type: 'hmacSha256'; readonly secret: string; readonly header: string };

const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
const HEADER = /^[A-Za-z0-9-]{1,64}$/;

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
    default:
      throw new DefinitionError(`${field}.type`, "must be 'apiKey', 'standardWebhooks' or 'hmacSha256'");
  }
}
