import type { Socket } from 'node:net';
import { type Outcome, PROBLEM_CONTENT_TYPE, problemOf } from '../service/outcomes';

/** What Node's HTTP parser reports, and how we answer it: the request never reached Express. */
const ANSWERS: Record<string, { outcome: Outcome; reason: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { outcome: 'request-timeout', reason: 'Request Timeout', detail: 'the request did not arrive in time' },
  HPE_HEADER_OVERFLOW: { outcome: 'headers-too-large', reason: 'Request Header Fields Too Large', detail: 'the request headers are too large' },
};
const MALFORMED = { outcome: 'bad-body' as const, reason: 'Bad Request', detail: 'the request is not valid HTTP/1.1' };

/**
 * A `clientError` listener for the gateway's HTTP server: requests Node's parser refuses (slow or oversized
 * headers, malformed HTTP) are answered as problem+json too, like everything else, and the connection is closed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // A response already under way (Node tracks it on the socket) must not be interleaved with another.
  const busy = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy();
    return;
  }
  const a = (err.code && ANSWERS[err.code]) || MALFORMED;
  const problem = problemOf(a.outcome, a.detail);
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${a.reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
