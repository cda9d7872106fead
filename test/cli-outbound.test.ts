import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { runCli } from '../src/cli/run-cli';

const SECRET = `whsec_${Buffer.from('cli-outbound-test-secret-0123456789').toString('base64')}`;

describe('hookwait webhook test / connector test against a local receiver', () => {
  let receiver: Server;
  let url: string;
  const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    receiver = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      received.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/down')) res.writeHead(500, { 'x-reason': 'maintenance' }).end('try later');
      else if (req.url?.startsWith('/form-connector')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"conn-7","extra":1}');
      else if (req.url?.startsWith('/evil')) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\u001b]52;c;aGk=\u0007');
      else res.writeHead(200, { 'content-type': 'application/json', 'x-receipt': 'r-1' }).end('{"received":true}');
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    env = {
      HOOKWAIT_PROCEDURES_MODULE: require.resolve('./fixtures/outbound-procedures'),
      HOOKWAIT_WORKFLOWS_MODULE: require.resolve('./fixtures/outbound-workflows'),
      HOOKWAIT_OUTBOUND_ALLOW: `127.0.0.1:${port}`,
      HOOKWAIT_WEBHOOK_SIGNING_SECRET: SECRET,
      RECEIVER_URL: url,
      RECEIVER_TOKEN: 'receiver-token-5678',
      RECEIVER_PORT: String(port),
    };
  });
  afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  async function cli(withEnv: NodeJS.ProcessEnv, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runCli(argv, withEnv, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }

  test('webhook test sends the rendered request, prints what came back, exits 0; secrets are redacted', async () => {
    const r = await cli(env, 'webhook', 'test', 'outbound', 'formHook', '--input', '{"hook":"formHook","path":"p","customer":"c-9"}', '--vars', '{"path":"cli-1"}');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain("PUT [env.RECEIVER_URL]/cli-1");
    expect(r.out).toMatch(/authorization: \[redacted\]/);
    expect(r.out).toContain('customer=c-9&n=7&note=a+b%26c%3Dcli-1');
    expect(r.out).toMatch(/webhook-signature: \[redacted\]/);
    expect(r.out).toMatch(/Response: 200/);
    expect(r.out).toMatch(/x-receipt: r-1/);
    expect(r.out).toContain('{"received":true}');
    expect(r.out).not.toContain('receiver-token-5678');
    const got = received.find((x) => x.path === '/cli-1');
    expect(got?.headers.authorization).toBe('Bearer receiver-token-5678');
    expect(got?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const h = got!.headers;
    const signed = { 'webhook-id': String(h['webhook-id']), 'webhook-timestamp': String(h['webhook-timestamp']), 'webhook-signature': String(h['webhook-signature']) };
    // The signature verifies; the JS package then JSON-parses the payload, which a form body is not (README: verify a
    // form body, then parse it yourself): a SyntaxError after verification, not a WebhookVerificationError.
    expect(() => new Webhook(SECRET).verify(got!.body, signed)).toThrow(SyntaxError);
    expect(() => new Webhook(SECRET).verify(`${got!.body}x`, signed)).toThrow(/No matching signature/);
  });

  test('against a 500: prints the answer, exits 4', async () => {
    const r = await cli(env, 'webhook', 'test', 'outbound', 'jsonHook', '--input', '{"hook":"jsonHook","path":"x"}', '--vars', '{"path":"down-cli"}');
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/Response: 500/);
    expect(r.out).toMatch(/x-reason: maintenance/);
    expect(r.out).toContain('try later');
    expect(received.filter((x) => x.path === '/down-cli')).toHaveLength(1); // one send, no retries
  });

  test('--dry-run prints the request and sends nothing', async () => {
    const before = received.length;
    const r = await cli(env, 'webhook', 'test', 'outbound', 'jsonHook', '--input', '{"hook":"jsonHook","path":"x"}', '--vars', '{"path":"dry"}', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Would send/);
    expect(r.out).toContain("POST [env.RECEIVER_URL]/dry");
    expect(r.out).toContain('"nested":{"ok":true}');
    expect(received.length).toBe(before);
  });

  test('received values are escaped for the terminal', async () => {
    const r = await cli(env, 'webhook', 'test', 'outbound', 'jsonHook', '--input', '{"hook":"jsonHook","path":"x"}', '--vars', '{"path":"evil"}');
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('\u001b');
    expect(r.out).toContain('\\u001b]52');
  });

  test('the SSRF guard applies: without the allow-list, refused, nothing sent, exit 4', async () => {
    const before = received.length;
    const r = await cli({ ...env, HOOKWAIT_OUTBOUND_ALLOW: '' }, 'webhook', 'test', 'outbound', 'jsonHook', '--input', '{"hook":"jsonHook","path":"x"}', '--vars', '{"path":"nope"}');
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/Not sent: .*refused to connect to 127\.0\.0\.1: a loopback address/);
    expect(received.length).toBe(before);
  });

  test('connector test prints the answer and the response mapping; --json gives the report', async () => {
    const r = await cli(env, 'connector', 'test', 'outbound', 'formConnector', '--input', '{"hook":"x","path":"x","customer":"c-3"}', '--vars', '{"path":"form-connector"}');
    expect(r.code).toBe(0);
    expect(r.out).toContain('customer=c-3&amount=12.5');
    expect(r.out).toMatch(/Response mapping: \{"id":"conn-7"\}/);
    const j = await cli(env, 'connector', 'test', 'outbound', 'formConnector', '--input', '{"hook":"x","path":"x"}', '--vars', '{"path":"form-connector"}', '--json');
    expect(JSON.parse(j.out)).toMatchObject({ kind: 'connector', sent: true, ok: true, response: { status: 200 }, mapping: { ok: true, value: { id: 'conn-7' } } });
  });

  test('bad usage exits 2, an unknown procedure 3; every command has --help', async () => {
    expect((await cli(env, 'webhook', 'test', 'outbound', 'nope', '--input', '{"hook":"x","path":"x"}')).code).toBe(2);
    expect((await cli(env, 'webhook', 'test', 'outbound', 'jsonHook', '--input', '{bad')).code).toBe(2);
    expect((await cli(env, 'webhook', 'test', 'outbound', 'jsonHook', '--input', '{"hook":1}')).code).toBe(2);
    expect((await cli(env, 'webhook', 'send', 'outbound', 'jsonHook')).code).toBe(2);
    expect((await cli(env, 'webhook', 'test', 'nobody', 'jsonHook')).code).toBe(3);
    expect((await cli(env, 'stats', '--since', 'soon')).code).toBe(2);
    for (const c of ['webhook', 'connector', 'stats']) {
      const help = await cli(env, c, '--help');
      expect(help.code).toBe(0);
      expect(help.out).toMatch(/^Usage: hookwait /);
    }
  });
});
