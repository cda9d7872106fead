import { runCli } from '../../src/cli/run-cli';

// `hookwait triggers` reads the procedures module only: nothing connects to Temporal.
test('hookwait triggers --json escapes C1 controls and line separators (review finding 11)', async () => {
  let out = '';
  let err = '';
  const code = await runCli(['triggers', '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:1', HOOKWAIT_PROCEDURES_MODULE: require.resolve('../fixtures/hostile-trigger-title') }, { out: (s) => (out += s), err: (s) => (err += s) });
  expect({ code, err }).toEqual({ code: 0, err: '' });
  expect(out).not.toMatch(/[\u0080-\u009f\u2028\u2029]/);
  expect(out).toContain('\\u009b');
  expect((JSON.parse(out) as { title: string }[])[0]?.title).toBe('Orders \u009b31m red \u2028 next');
});
