import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/run-cli';

if (!process.env.TEMPORAL_TEST_SERVER_PATH) throw new Error('TEMPORAL_TEST_SERVER_PATH is not set: point it at the temporal-test-server binary (test/global-setup.ts sets it)');
jest.setTimeout(120_000);

// The demo, as the CLI finds it in a clone (and named explicitly, as an app would).
const env: NodeJS.ProcessEnv = {
  TEMPORAL_TEST_SERVER_PATH: process.env.TEMPORAL_TEST_SERVER_PATH,
  HOOKWAIT_PROCEDURES_MODULE: require.resolve('../examples/identity-verification/procedures'),
  HOOKWAIT_WORKFLOWS_MODULE: require.resolve('../examples/identity-verification/workflows'),
};
const base = ['simulate', 'identityVerification', '--input', '{"customerId":"c1"}', '--connector', 'startVerification={"verification_id":"v-1"}'];
const VERIFIED_PATH = 'message,connector:startVerification,wait:idVerification,callback:idVerification:accepted,message,completed';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, env, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hookwait-sim-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a verified callback from a file: the path and outcome as expected, exit 0', async () => {
  const file = join(dir, 'verified.json');
  writeFileSync(file, JSON.stringify({ after: '3m', body: { verification_status: 'verified', reference_id: 'ref-1' } }));
  const r = await cli(...base, '--callback', `idVerification=@${file}`, '--expect', 'completed', '--expect-path', VERIFIED_PATH);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out.split('\n').map((l) => l.trim())).toEqual(expect.arrayContaining([...VERIFIED_PATH.split(','), 'As expected.']));
  expect(r.out).toMatch(/Simulated identityVerification \((18\d|19\d|2\d\d) s on the workflow's clock\)/);
});

test('--json: { ok, path, result, expected }', async () => {
  const r = await cli(...base, '--callback', 'idVerification={"verification_status":"verified","reference_id":"ref-2"}', '--expect-path', VERIFIED_PATH, '--json');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out)).toEqual({
    ok: true,
    path: VERIFIED_PATH.split(','),
    result: { status: 'completed', output: { verified: true, verificationId: 'v-1', referenceId: 'ref-2' }, attributes: { idVerification: { verification_status: 'verified', reference_id: 'ref-2' } } },
    expected: { path: VERIFIED_PATH.split(',') },
  });
});

test('--callback <wait>=timeout --expect escalated: exit 0; --expect completed on that path: exit 1, saying what differed', async () => {
  const escalated = await cli(...base, '--callback', 'idVerification=timeout', '--expect', 'escalated');
  expect(escalated.code).toBe(0);
  expect(escalated.out).toMatch(/timeout:idVerification\n {2}message\n {2}assigned:team kyc-review\n {2}escalated\n/);

  const wrong = await cli(...base, '--callback', 'idVerification=timeout', '--expect', 'completed', '--json');
  expect(wrong.code).toBe(1);
  const body = JSON.parse(wrong.out) as { ok: boolean; path: string[]; expected: unknown; differences: string[] };
  expect(body).toMatchObject({ ok: false, expected: { outcome: 'completed' } });
  expect(body.path[body.path.length - 1]).toBe('escalated');
  expect(body.differences).toEqual(['expected the run to end completed; it ended escalated']);

  const human = await cli(...base, '--callback', 'idVerification=timeout', '--expect', 'completed');
  expect(human.code).toBe(1);
  expect(human.out).toMatch(/Not as expected:\n {2}expected the run to end completed; it ended escalated\n/);
});

test('a payload the gateway refuses (wrong attribute type): exit 1, naming the field', async () => {
  const r = await cli(...base, '--callback', 'idVerification={"verification_status":42,"reference_id":"r"}', '--expect', 'completed');
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/refused the mock callback for 'idVerification' \(422 invalid-attributes\)/);
  expect(r.err).toMatch(/verification_status/);

  const json = await cli(...base, '--callback', 'idVerification={"verification_status":42,"reference_id":"r"}', '--json');
  expect(json.code).toBe(1);
  expect(JSON.parse(json.out)).toMatchObject({ ok: false, error: { reason: 'invalid-attributes', status: 422, fields: ['verification_status'] } });
});

describe('bad usage: exit 2, before any simulation', () => {
  test.each([
    ['bad JSON in --callback', ['--callback', 'idVerification={not json'], /--callback idVerification: not valid JSON/],
    ['an unreadable @file', ['--callback', 'idVerification=@/nonexistent/payload.json'], /cannot read \/nonexistent\/payload\.json/],
    ['an unknown wait', ['--callback', 'nosuchWait=timeout'], /unknown wait 'nosuchWait' \(identityVerification declares: idVerification\)/],
    ['an unknown connector', ['--connector', 'nope={}'], /unknown connector 'nope'/],
    ['an unknown outcome', ['--expect', 'done'], /--expect must be completed, escalated, failed/],
    ['an unknown flag', ['--frobnicate'], /frobnicate/],
    ['timeout and a callback for one wait', ['--callback', 'idVerification=timeout', '--callback', 'idVerification={}'], /cannot be combined/],
    ['a query that is not an object of strings', ['--callback', 'idVerification={"method":"GET","query":{"code":1}}'], /--callback idVerification: 'query' must be an object of strings/],
  ])('%s', async (_label, extra, message) => {
    const r = await cli(...base, ...extra);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  test('bad --input JSON, and input that does not fit the schema', async () => {
    expect(await cli('simulate', 'identityVerification', '--input', '{')).toMatchObject({ code: 2, err: expect.stringMatching(/--input is not valid JSON/) });
    expect(await cli('simulate', 'identityVerification', '--input', '{"customerId":5}')).toMatchObject({ code: 2, err: expect.stringMatching(/invalid --input: input\.customerId/) });
  });

  test('an unknown procedure: exit 3', async () => {
    expect(await cli('simulate', 'nope')).toMatchObject({ code: 3, err: expect.stringMatching(/unknown procedure 'nope' \(known: identityVerification\)/) });
  });
});

test('--help and the top-level usage', async () => {
  const help = await cli('simulate', '--help');
  expect(help.code).toBe(0);
  expect(help.out).toMatch(/^Usage: hookwait simulate <procedure>/);
  expect(help.out).toMatch(/--expect-path/);
  expect((await cli('--help')).out).toMatch(/simulate <procedure> --input <json>/);
});
