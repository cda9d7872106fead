import type { Response } from 'express';
import type { FieldError } from '../definitions/attributes';

/** An RFC 9457 problem document: every non-2xx answer of the gateway is one. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly requestId?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The problems the gateway answers with, by slug; `type` is `urn:hookwait:problem:<slug>`. */
export const PROBLEMS = {
  'bad-request': { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  gone: { status: 410, title: 'Gone' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'invalid-attributes': { status: 422, title: 'Payload does not fit the declared attributes' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'temporal-unavailable': { status: 503, title: 'Temporarily unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const;
export type ProblemSlug = keyof typeof PROBLEMS;

export function sendProblem(
  res: Response,
  slug: ProblemSlug,
  detail?: string,
  extra: { readonly errors?: readonly FieldError[]; readonly headers?: Record<string, string> } = {},
): void {
  const { status, title } = PROBLEMS[slug];
  const requestId = res.getHeader('x-request-id');
  const problem: Problem = {
    type: `urn:hookwait:problem:${slug}`,
    title,
    status,
    ...(detail ? { detail } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...(typeof requestId === 'string' ? { requestId } : {}),
  };
  for (const [k, v] of Object.entries(extra.headers ?? {})) res.setHeader(k, v);
  res.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
