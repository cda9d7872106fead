import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { stateQuery } from '../src/workflows/messages';
import { approval } from './fixtures/workflows';
import { freePort } from './helpers/free-port';
import { startHarness, type Harness } from './helpers/harness';
import { eventually, postCallback } from './helpers/http';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'test-artifacts');


/** Text of the page and of every frame (the UI renders current details as markdown in a sandboxed frame). */
async function allText(page: Page): Promise<string> {
  const parts = await Promise.all(page.frames().map((f) => f.locator('body').innerText().catch(() => '')));
  return parts.join('\n');
}

describe('the Temporal Web UI, in a real browser (Debian chromium + playwright-core)', () => {
  let h: Harness;
  let browser: Browser;
  let uiPort: number;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (CI does), or set CHROMIUM_PATH`);
    uiPort = await freePort();
    h = await startHarness({ uiPort });
    await h.startWorker();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.teardown();
  });

  test('filter by HookwaitStatus="waiting", open the run: its current details name the wait', async () => {
    const waiting = await h.env.client.workflow.start(approval, {
      taskQueue: h.taskQueue,
      workflowId: `ui-waiting-${randomUUID()}`,
      args: [{}],
      staticSummary: 'Refund approval for conversation c-1042',
    });
    const done = await h.env.client.workflow.start(approval, { taskQueue: h.taskQueue, workflowId: `ui-done-${randomUUID()}`, args: [{}] });
    for (const handle of [waiting, done]) {
      await eventually(async () => ((await handle.query(stateQuery)).waits.approval?.status === 'waiting' ? true : undefined));
    }
    const url = (await done.query(stateQuery)).callbackUrls.approval as string;
    await postCallback(url, { decision: 'approved', refund: { amount: 9 }, approver: { email: 'a@b.c' } });
    await done.result();

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const query = encodeURIComponent('HookwaitStatus="waiting"');
    await page.goto(`http://127.0.0.1:${uiPort}/namespaces/default/workflows?query=${query}`);
    const link = page.getByRole('link', { name: waiting.workflowId });
    // Visibility catches up within moments; reload until the waiting run is listed.
    await eventually(async () => {
      if (await link.isVisible()) return true;
      await page.reload();
      await link.waitFor({ timeout: 2_000 }).catch(() => undefined);
      return (await link.isVisible()) ? true : undefined;
    }, 30_000, 500);
    expect(await page.getByRole('link', { name: done.workflowId }).count()).toBe(0);

    await link.click();
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    const text = await eventually(async () => {
      const t = await allText(page);
      return /Wait for refund approval \(approval\): waiting until \d{4}-/.test(t) ? t : undefined;
    }, 30_000, 500);
    expect(text).toContain('Refund approval for conversation c-1042');
    expect(text).toMatch(/since \d{4}-\d\d-\d\dT/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui-waiting-run.png') });
    await waiting.terminate('test done');
  });
});
