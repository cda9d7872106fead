import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { z } from 'zod';
import { redactCallbackUrl, type Logger } from 'hookwait';

/** One verification the mock provider was asked for. */
export interface MockVerification {
  readonly id: string;
  readonly customerId: string;
  readonly callbackUrl: string;
  readonly mode: 'auto' | 'never' | 'manual';
  readonly delayMs: number;
  readonly outcome: 'verified' | 'rejected';
  callback?: { readonly status: number; readonly at: string } | { readonly error: string; readonly at: string };
}

const request = z.object({
  customer_id: z.string().min(1),
  callback_url: z.url(),
  mode: z.enum(['auto', 'never', 'manual']).default('auto'),
  delay_ms: z.number().int().min(0).max(600_000).default(2_000),
  outcome: z.enum(['verified', 'rejected']).default('verified'),
});

export interface MockKycServer {
  readonly url: string;
  readonly verifications: Map<string, MockVerification>;
  stop(): Promise<void>;
}

/**
 * A stand-in KYC provider: `POST /verifications` stores the callback URL and, in `auto` mode, POSTs the result
 * there after `delay_ms`, with extra fields the procedure does not declare (they are dropped at the gateway).
 */
export async function startMockKycServer(options: { port?: number; host?: string; logger: Logger }): Promise<MockKycServer> {
  const verifications = new Map<string, MockVerification>();
  const timers = new Set<NodeJS.Timeout>();
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  app.post('/verifications', (req, res) => {
    const parsed = request.safeParse(req.body);
    if (!parsed.success) {
      res.status(422).type('application/problem+json').send(JSON.stringify({ title: 'invalid request', status: 422, detail: parsed.error.message }));
      return;
    }
    const r = parsed.data;
    const v: MockVerification = { id: `ver_${randomUUID()}`, customerId: r.customer_id, callbackUrl: r.callback_url, mode: r.mode, delayMs: r.delay_ms, outcome: r.outcome };
    verifications.set(v.id, v);
    options.logger.info({ id: v.id, mode: v.mode, delayMs: v.delayMs, callbackUrl: redactCallbackUrl(v.callbackUrl) }, 'mock kyc: verification started');
    if (v.mode === 'auto') {
      const t = setTimeout(() => {
        timers.delete(t);
        void callBack(v);
      }, v.delayMs);
      timers.add(t);
    }
    res.status(201).json({ verification_id: v.id });
  });
  app.get('/verifications', (_req, res) => {
    res.json([...verifications.values()].map((v) => ({ ...v, callbackUrl: redactCallbackUrl(v.callbackUrl) })));
  });

  async function callBack(v: MockVerification): Promise<void> {
    const at = new Date().toISOString();
    try {
      const res = await fetch(v.callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'mock-kyc/1.0' },
        body: JSON.stringify({
          verification_status: v.outcome,
          reference_id: `ref_${v.id.slice(4, 12)}`,
          customer_id: v.customerId,
          document: { type: 'passport', country: 'NL', checks: ['mrz', 'face-match'] },
        }),
      });
      v.callback = { status: res.status, at };
      options.logger.info({ id: v.id, status: res.status }, 'mock kyc: callback sent');
    } catch (err) {
      v.callback = { error: (err as Error).message, at };
      options.logger.warn({ id: v.id, error: err }, 'mock kyc: callback failed');
    }
  }

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    verifications,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
