import type { Response } from 'express';
import { type Outcome, OUTCOMES, PROBLEM_CONTENT_TYPE, problemOf } from '../service/outcomes';

export { PROBLEM_CONTENT_TYPE, type Problem } from '../service/outcomes';

/** Answers with the outcome's problem document (for the standalone app's own routes: 404, /readyz). */
export function sendProblem(res: Response, outcome: Outcome, detail?: string, headers: Record<string, string> = {}): void {
  const requestId = res.getHeader('x-request-id');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  // A body left unread is not offered for reuse (see sendAnswer in callback-route).
  if (!res.req.complete) res.setHeader('Connection', 'close');
  res.status(OUTCOMES[outcome].status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemOf(outcome, detail, typeof requestId === 'string' ? { requestId } : {})));
}
