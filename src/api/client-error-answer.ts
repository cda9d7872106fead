import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE } from './problem';

/** What Node's HTTP parser reports, and how we answer it: the request never reached Express. */
const ANSWERS: Record<string, { status: number; reason: string; slug: string; title: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', slug: 'request-timeout', title: 'Request timeout', detail: 'the request did not arrive in time' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', slug: 'headers-too-large', title: 'Request header fields too large', detail: 'the request headers are too large' },
};
const MALFORMED = { status: 400, reason: 'Bad Request', slug: 'bad-request', title: 'Bad request', detail: 'the request is not valid HTTP/1.1' };

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
  const body = JSON.stringify({ type: `urn:hookwait:problem:${a.slug}`, title: a.title, status: a.status, detail: a.detail });
  socket.end(
    `HTTP/1.1 ${a.status} ${a.reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
