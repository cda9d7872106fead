import { mintCallbackToken, parseKeyring } from '../../src/security/callback-token';
import { redactCallbackUrl, renderCurrentDetails } from '../../src/workflows/current-details';
import type { ProcedureState } from '../../src/workflows/messages';

const keyring = parseKeyring(`k1:${Buffer.alloc(32, 5).toString('base64')}`);
const token = mintCallbackToken(keyring, { namespace: 'default', procedure: 'kycCheck', workflowId: 'conv-7', runId: 'run-1', wait: 'kyc' });
const otherToken = mintCallbackToken(keyring, { namespace: 'default', procedure: 'kycCheck', workflowId: 'conv-7', runId: 'run-1', wait: 'manager' });
const url = `https://hooks.example.com/callbacks/${token}`;
const mac = token.slice(token.lastIndexOf('.') + 1);

const state = (overrides: Partial<ProcedureState> = {}): ProcedureState => ({
  procedure: 'kycCheck',
  workflowId: 'conv-7',
  runId: 'run-1',
  conversationId: 'conv-7',
  status: 'waiting',
  startedAt: '2030-01-01T00:00:00.000Z',
  callbackUrls: { kyc: url, manager: `https://hooks.example.com/callbacks/${otherToken}` },
  waits: {
    kyc: { title: 'Wait for ID verification', status: 'waiting', waitingSince: '2030-01-01T00:00:01.000Z', deadline: '2030-01-01T00:30:01.000Z' },
    manager: { title: 'Wait for manager', status: 'pending' },
  },
  customerMessages: [],
  ledger: [],
  ...overrides,
});

describe('redactCallbackUrl', () => {
  test('keeps the URL up to the token and its first 10 characters', () => {
    expect(redactCallbackUrl(url)).toBe(`https://hooks.example.com/callbacks/${token.slice(0, 10)}…`);
  });

  test('the token, its claims and its MAC never appear', () => {
    const r = redactCallbackUrl(url);
    expect(r).not.toContain(token);
    expect(r).not.toContain(mac.slice(0, 8));
    expect(r).not.toContain(token.split('.')[2]?.slice(0, 8));
    expect(r.length).toBeLessThan(url.length - 50);
  });

  test('never more than 10 characters after the last slash, for any length', () => {
    for (let n = 0; n <= token.length; n++) {
      const r = redactCallbackUrl(`https://h.test/callbacks/${token.slice(0, n)}`);
      const shown = r.slice('https://h.test/callbacks/'.length, -1);
      expect(r.endsWith('…')).toBe(true);
      expect(shown.length).toBeLessThanOrEqual(10);
    }
  });

  test('a base URL with a path or query is kept', () => {
    expect(redactCallbackUrl(`https://h.test/tenant-a?x=1/callbacks/${token}`)).toBe(`https://h.test/tenant-a?x=1/callbacks/${token.slice(0, 10)}…`);
  });

  test('a string without a slash is fully hidden', () => {
    expect(redactCallbackUrl(token)).toBe('…');
  });
});

describe('renderCurrentDetails', () => {
  test('leads with what the run waits for and until when, then the redacted callback URL', () => {
    const text = renderCurrentDetails(state());
    const lines = text.split('\n');
    expect(lines[0]).toBe('**Wait for ID verification** (kyc): waiting until **2030-01-01T00:30:01.000Z**, since 2030-01-01T00:00:01.000Z');
    expect(lines[2]).toBe(`Callback URL: \`https://hooks.example.com/callbacks/${token.slice(0, 10)}…\``);
    expect(text).toContain('Procedure kycCheck · status **waiting** · conversation conv-7');
  });

  test('the full token of any wait never appears, nor its MAC', () => {
    const text = renderCurrentDetails(state());
    for (const t of [token, otherToken]) {
      expect(text).not.toContain(t);
      expect(text).not.toContain(t.slice(t.lastIndexOf('.') + 1, t.lastIndexOf('.') + 9));
      expect(text).not.toContain(t.split('.')[2] as string);
    }
  });

  test('when nothing is waiting, the status leads and no callback URL is shown', () => {
    const s = state({
      status: 'completed',
      waits: { kyc: { title: 'Wait for ID verification', status: 'received', receivedAt: 'x', attributes: { status: 'approved', score: 9, ok: true } } },
    });
    const text = renderCurrentDetails(s);
    expect(text.split('\n')[0]).toBe('**kycCheck** is **completed**');
    expect(text).not.toContain('Callback URL');
    expect(text).not.toContain(token);
    expect(text).toContain('| Wait for ID verification (kyc) | received |  | status = approved, score = 9, ok = true |');
  });

  test('a table row per wait, with status words', () => {
    const s = state({
      waits: {
        a: { title: 'A', status: 'timed_out', deadline: 'd1' },
        b: { title: 'B', status: 'waiting', deadline: 'd2', waitingSince: 's2' },
      },
      callbackUrls: {},
    });
    const text = renderCurrentDetails(s);
    expect(text).toContain('| A (a) | timed out | d1 |  |');
    expect(text).toContain('| B (b) | waiting | d2 |  |');
    expect(text).not.toContain('Callback URL');
    expect(text.split('\n')[0]).toContain('(b)');
  });

  test('unknown deadlines are shown as ?', () => {
    const s = state({ waits: { kyc: { title: 'T', status: 'waiting' } } });
    expect(renderCurrentDetails(s).split('\n')[0]).toBe('**T** (kyc): waiting until **?**, since ?');
  });

  test('the ledger shows at most the last 20 entries, and where each came from', () => {
    const ledger = Array.from({ length: 25 }, (_, i) => ({
      at: `t${i}`,
      wait: 'kyc',
      outcome: 'rejected' as const,
      source: { kind: 'http' as const, ip: `10.0.0.${i}`, userAgent: 'curl/8' },
    }));
    ledger.push({ at: 't25', wait: 'kyc', outcome: 'rejected', source: { kind: 'operator', operator: 'ada' } } as never);
    const text = renderCurrentDetails(state({ ledger }));
    expect(text).toContain('**Callback ledger**');
    expect(text).not.toContain('| t5 |');
    expect(text).toContain('| t6 | kyc | rejected | http 10.0.0.6 curl/8 |');
    expect(text).toContain('| t25 | kyc | rejected | operator ada |');
    expect(text.match(/^\| t\d+ \|/gm)).toHaveLength(20);
    expect(text).not.toContain(token);
  });

  test('no ledger section without entries; customer messages are counted, not shown', () => {
    expect(renderCurrentDetails(state())).not.toContain('Callback ledger');
    const text = renderCurrentDetails(state({ customerMessages: [{ text: 'hello, my card number is 4111' }, { text: 'still there?' }] }));
    expect(text).toContain('2 customer message(s) recorded while waiting.');
    expect(text).not.toContain('4111');
  });
});

describe('values from outside are escaped for markdown', () => {
  test('a sender cannot break out of a table cell, add a link or forge a ledger row', () => {
    const s = {
      procedure: 'p', workflowId: 'w', runId: 'r', conversationId: 'c`x', status: 'waiting' as const, startedAt: 't', callbackUrls: {},
      customerMessages: [],
      waits: { 'w:k|1': { title: 'T', status: 'received' as const, attributes: { note: 'ok` | **x** [click](https://evil.example)\n| forged | row |' } } },
      ledger: [{ at: 't1', wait: 'w:k|1', outcome: 'accepted' as const, source: { kind: 'http' as const, ip: '10.0.0.1', userAgent: 'ua\n| t9 | w | accepted | operator boss |' } }],
    };
    const text = renderCurrentDetails(s);
    const rows = text.split('\n').filter((l) => l.startsWith('| t') && !l.startsWith('| time'));
    expect(rows).toHaveLength(1);
    expect(text).not.toContain('[click](');
    expect(text).toContain('\\[click\\]\\(https://evil.example\\)');
    expect(text).toContain('w:k\\|1');
    expect(text).toContain('\\u000a');
    for (const line of text.split('\n').filter((l) => l.startsWith('|') && !l.startsWith('|---'))) {
      // Every table row keeps its 4 cells: no unescaped pipe inside a value.
      expect(line.replace(/\\\|/g, '').split('|').length - 2).toBe(4);
    }
  });
});

