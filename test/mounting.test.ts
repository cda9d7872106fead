import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { createCallbackRouter } from '../src/api/callback-route';
import { createLogger } from '../src/logging/logger';
import { verifyCustomer } from './fixtures/plain-workflows';
import { testProcedures } from './fixtures/procedures';
import { testWaits } from './fixtures/waits';
import { startHarness, TEST_SECRETS, type Harness } from './helpers/harness';
import { postCallback } from './helpers/http';
import { callbackUrlOf, uniqueId, untilWaitStatus } from './helpers/runs';

// How the router behaves in apps as people write them: a global express.json() first, a prefix, an error handler.
let h: Harness;
const servers: Server[] = [];

beforeAll(async () => {
  h = await startHarness();
  await h.startWorker();
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  await h?.teardown();
});

async function serve(app: express.Express): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function router(log: string[]) {
  return createCallbackRouter({
    client: h.env.client,
    namespace: 'default',
    procedures: testProcedures,
    waits: testWaits,
    keyring: h.keyring,
    secrets: TEST_SECRETS,
    rateLimits: false,
    logger: createLogger({ level: 'debug', write: (line) => log.push(line) }),
  });
}

/** A run of the plain fixture workflow, parked at its wait; its URL re-based on another app. */
async function parked(base: string, prefix = ''): Promise<string> {
  const handle = await h.env.client.workflow.start(verifyCustomer, { taskQueue: h.taskQueue, workflowId: uniqueId('mount'), args: [{}] });
  const url = await callbackUrlOf(handle, 'idVerified');
  await untilWaitStatus(handle, 'idVerified', 'waiting');
  return `${base}${prefix}/callbacks/${url.slice(url.lastIndexOf('/') + 1)}`;
}

const body = { status: 'verified', data: { reference: { id: 'r1' } } };

describe('mounting the router in an existing app', () => {
  test('a global express.json() before the router: the sender gets no 4xx (500 misconfigured, retried later), the log says how to fix it', async () => {
    const log: string[] = [];
    const app = express();
    app.use(express.json());
    app.use(router(log));
    const url = await parked(await serve(app));
    const res = await postCallback(url, body);
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ type: 'urn:hookwait:problem:misconfigured' });
    const errors = log.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error');
    expect(errors.some((l) => String(l.msg).includes('mount createCallbackRouter before express.json()'))).toBe(true);
    // A form callback is not touched by express.json(): it still works in the same app.
    const form = await postCallback(url, { status: 'verified', 'data.reference.id': 'r2' }, { contentType: 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(202);
  });

  test('express.json() that keeps the raw bytes (req.rawBody) before the router: callbacks work', async () => {
    const app = express();
    app.use(
      express.json({
        verify: (req, _res, buf) => {
          (req as unknown as { rawBody: Buffer }).rawBody = Buffer.from(buf);
        },
      }),
    );
    app.use(router([]));
    const res = await postCallback(await parked(await serve(app)), body);
    expect(res.status).toBe(202);
  });

  test('under a prefix, with a host error handler that would answer 500: sender mistakes are still problem+json 4xx', async () => {
    const app = express();
    app.use('/hooks', router([]));
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).send('host handler'));
    const url = await parked(await serve(app), '/hooks');
    const bad = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect((await postCallback(url, body)).status).toBe(202);
  });
});
