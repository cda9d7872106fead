import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort } from './helpers/free-port';
import { join, resolve } from 'node:path';


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
    child = spawn(process.execPath, [resolve(__dirname, '../lib/src/dev/main.js')], {
      cwd: dir,
      env: {
        ...process.env,
        HOOKWAIT_DEV_TEMPORAL_PORT: String(temporalPort),
        HOOKWAIT_DEV_UI_PORT: String(uiPort),
        PORT: String(port),
        HOST: '127.0.0.1',
        HOOKWAIT_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        MOCK_KYC_PORT: String(kycPort),
        TEMPORAL_ADDRESS: '',
        HOOKWAIT_TOKEN_KEYS: '',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));

    const deadline = Date.now() + 90_000;
    while (!/Demo run finished/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(out).toMatch(/Temporal Web UI\s+http:\/\/localhost:\d+/);
    expect(out).toMatch(/Demo run finished: .*"status":"completed".*"verified":true/);
    expect(out).toMatch(/Callback ledger: idVerification accepted from mock-kyc/);
    // The Web UI is up on its port.
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    // The signing key was kept under .hookwait/, not printed.
    expect(out).not.toMatch(/dev1:[A-Za-z0-9_-]{20,}/);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 120_000);
});
