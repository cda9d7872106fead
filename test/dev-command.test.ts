import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './helpers/free-port';

/** Whether something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      r(true);
    });
    socket.once('error', () => r(false));
  });
}

/** Runs the dev entry point in `cwd` with `env` added; collects its output. */
function startDev(cwd: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [resolve(__dirname, '../lib/src/dev/main.js')], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function until(what: RegExp, dev: ReturnType<typeof startDev>, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what.test(dev.output()) && Date.now() < deadline && dev.child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
}

// The README's first quick-start command, as a user runs it (`npm run dev` = build + this entry point).
describe('npm run dev', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  afterAll(() => {
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('starts the dev server, worker, gateway and mock provider, runs the demo to completion, and stops cleanly on Ctrl-C', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hookwait-dev-'));
    const [temporalPort, uiPort, port, kycPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const dev = startDev(dir, {
      HOOKWAIT_DEV_TEMPORAL_PORT: String(temporalPort),
      HOOKWAIT_DEV_UI_PORT: String(uiPort),
      PORT: String(port),
      HOST: '127.0.0.1',
      HOOKWAIT_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      MOCK_KYC_PORT: String(kycPort),
      TEMPORAL_ADDRESS: '',
      HOOKWAIT_TOKEN_KEYS: '',
      LOG_LEVEL: 'warn',
    });
    child = dev.child;
    await until(/Demo run finished/, dev);
    const out = dev.output();
    expect(out).toMatch(/Temporal Web UI\s+http:\/\/localhost:\d+/);
    expect(out).toMatch(/Demo run finished: .*"status":"completed".*"verified":true/);
    expect(out).toMatch(/Callback ledger: idVerification accepted from mock-kyc/);
    // The Web UI is up on its port.
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    // The signing key was kept under .hookwait/, not printed.
    expect(out).not.toMatch(/dev1:[A-Za-z0-9_-]{20,}/);

    expect(await listening(temporalPort)).toBe(true);

    child.kill('SIGINT');
    expect(await dev.exited).toBe(0);
    // Everything it started is gone: the dev server (frontend and UI), the gateway and the mock provider.
    await new Promise((r) => setTimeout(r, 500));
    expect(await Promise.all([temporalPort, uiPort, port, kycPort].map(listening))).toEqual([false, false, false, false]);
  }, 120_000);

  test('with TEMPORAL_ADDRESS set it uses that server and starts none of its own; callback URLs follow PORT', async () => {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const external = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH as string } } });
    const cwd = mkdtempSync(join(tmpdir(), 'hookwait-dev-ext-'));
    const [port, kycPort] = [await freePort(), await freePort()];
    const dev = startDev(cwd, {
      TEMPORAL_ADDRESS: external.address,
      PORT: String(port),
      // Unset: the dev gateway listens on loopback by default.
      HOST: '',
      // Unset: the callback URLs must lead to the gateway on PORT, not to the default 3000.
      HOOKWAIT_PUBLIC_BASE_URL: '',
      MOCK_KYC_PORT: String(kycPort),
      HOOKWAIT_TOKEN_KEYS: '',
      // pino's names are accepted too (fatal logs as error).
      LOG_LEVEL: 'fatal',
    });
    try {
      await until(/Demo run finished/, dev);
      const out = dev.output();
      expect(out).toMatch(/Demo run finished: .*"status":"completed"/);
      expect(out).toContain(`Temporal          ${external.address}`);
      expect(out).toContain(`Callback gateway  http://127.0.0.1:${port}   (public base URL http://127.0.0.1:${port})`);
      // The mock provider reached the gateway through the callback URL the run minted.
      expect(out).toMatch(/Callback ledger: idVerification accepted from mock-kyc/);
      expect(out).not.toMatch(/Temporal dev server on|Temporal Web UI/);
      expect(out).toMatch(/Registered search attributes: HookwaitProcedure/);
      // The demo run is on the external server.
      const runs = [];
      for await (const w of external.client.workflow.list({ query: 'WorkflowType="identityVerification"' })) runs.push(w.status.name);
      expect(runs).toEqual(['COMPLETED']);
      dev.child.kill('SIGINT');
      expect(await dev.exited).toBe(0);
    } finally {
      if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
      await external.teardown();
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 150_000);
});
