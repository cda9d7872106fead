import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logging/logger';
import { sendProblem } from './problem';

interface HttpError {
  readonly status?: number;
  readonly statusCode?: number;
  readonly message?: string;
}

/**
 * Express error middleware that answers with problem+json. Body-reading errors come from the sender (size,
 * encoding, aborted uploads, corrupt gzip): 4xx, never 500. Anything else is a bug of ours: logged, then 500.
 * The callback router installs it itself, so a host app's own error handler never sees a sender's mistake.
 */
export function problemErrorHandler(logger: Logger, bodyLimitBytes: number): ErrorRequestHandler {
  return (err: unknown, _req, res, next) => {
    if (res.headersSent) return next(err);
    const e = (err ?? {}) as HttpError;
    const status = e.status ?? e.statusCode;
    res.locals.outcome = status === 413 ? 'payload-too-large' : status === 415 ? 'unsupported-media-type' : status !== undefined && status < 500 ? 'bad-body' : 'error';
    if (status === 413) return sendProblem(res, 'payload-too-large', `the body is over the limit of ${bodyLimitBytes} bytes`);
    if (status === 415) return sendProblem(res, 'unsupported-media-type', e.message);
    if (status !== undefined && status >= 400 && status < 500) return sendProblem(res, 'bad-request', e.message);
    logger.error('unexpected error', { error: err });
    return sendProblem(res, 'internal', 'unexpected error');
  };
}
