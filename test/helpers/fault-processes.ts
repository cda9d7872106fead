import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with a message naming what took too long. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** The token of a callback URL, to post it to whichever gateway a test runs. */
export function tokenOf(callbackUrl: string): string {
  const token = callbackUrl.split('/callbacks/')[1];
  if (!token) throw new Error(`not a callback URL: ${callbackUrl}`);
  return token;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The server closed the connection after this answer. */
  readonly closed: boolean;
}

/**
 * One HTTP/1.1 exchange over a plain socket, written in parts, so a test controls exactly which bytes the
 * server has when (headers without their end, a body cut in half). `response()` resolves with the first
 * answer, or rejects if the connection ends without one.
 */
export class RawExchange {
  private readonly socket: Socket;
  private data = '';
  private ended = false;
  private error: Error | undefined;
  private readonly connected: Promise<void>;
  private readonly done: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.done = new Promise((resolve) => {
      this.socket.on('data', (chunk: string) => (this.data += chunk));
      this.socket.on('error', (err) => (this.error = err));
      this.socket.on('close', () => {
        this.ended = true;
        resolve();
      });
    });
  }

  async write(text: string): Promise<void> {
    await this.connected;
    await new Promise<void>((resolve, reject) => this.socket.write(text, (err) => (err ? reject(err) : resolve())));
  }

  /** Waits (bounded) for a complete answer; `closed` says whether the server then closed the connection. */
  async response(timeoutMs = 15_000): Promise<RawResponse> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse();
      if (parsed) {
        // Give the server a moment to close the connection if it means to.
        await Promise.race([this.done, sleep(1_000)]);
        return { ...parsed, closed: this.ended };
      }
      if (this.ended) throw new Error(`connection closed without a complete answer${this.error ? ` (${this.error.message})` : ''}: ${JSON.stringify(this.data.slice(0, 200))}`);
      if (Date.now() > end) throw new Error(`no answer within ${timeoutMs} ms: ${JSON.stringify(this.data.slice(0, 200))}`);
      await sleep(20);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): Omit<RawResponse, 'closed'> | undefined {
    const head = this.data.indexOf('\r\n\r\n');
    if (head < 0) return undefined;
    const [statusLine, ...lines] = this.data.slice(0, head).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? NaN);
    const body = this.data.slice(head + 4);
    if (Number.isFinite(length) ? Buffer.byteLength(body) < length : !this.ended) return undefined;
    return { status: Number(statusLine?.split(' ')[1]), headers, body };
  }
}

/** The head of a JSON POST to a callback URL, with its Content-Length; the caller writes the body. */
export function callbackRequestHead(port: number, token: string, body: string, requestId: string): string {
  return (
    `POST /callbacks/${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nuser-agent: hookwait-fault-test\r\n\r\n`
  );
}

/** A POST on a connection of its own (no pooled keep-alive socket): its status, or the network error's code. */
export async function postOnNewConnection(url: string, body: string, requestId: string): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-request-id': requestId }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(body);
  });
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** Every line the process wrote (stdout and stderr). */
  readonly lines: string[];
  /** Resolves when the process exits, with its code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** The JSON log lines whose `msg` is `msg`. */
  logged(msg: string): Record<string, unknown>[];
  /** Waits (bounded) until a JSON line with this `msg` is logged; rejects if the process exits first. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Spawns `node <script>` with the given environment added, and keeps its output as lines. */
export function spawnNode(script: string, env: Record<string, string>): GatewayProcess {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (): ((b: Buffer) => void) => {
    let partial = '';
    return (b: Buffer) => {
      const parts = (partial + b.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l.length > 0));
    };
  };
  child.stdout?.on('data', collect());
  child.stderr?.on('data', collect());
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const logged = (msg: string): Record<string, unknown>[] =>
    lines.flatMap((l) => {
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        return o.msg === msg ? [o] : [];
      } catch {
        return [];
      }
    });
  return {
    child,
    lines,
    exited,
    logged,
    async waitForLog(msg, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const found = logged(msg)[0];
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited before logging '${msg}':\n${lines.slice(-20).join('\n')}`);
        if (Date.now() > end) throw new Error(`'${msg}' not logged within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`);
        await sleep(20);
      }
    },
  };
}
