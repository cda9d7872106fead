import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run-cli';

// Nothing listens here: help, version and usage errors never connect to Temporal.
const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, env, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const COMMANDS = ['start', 'list', 'show', 'complete', 'expire', 'revoke', 'setup'];

describe('hookwait CLI: help, version, global options', () => {
  test.each(COMMANDS)('%s --help and -h print the usage of that command and exit 0', async (command) => {
    for (const flag of ['--help', '-h']) {
      const r = await cli(command, flag);
      expect(r).toMatchObject({ code: 0, err: '' });
      expect(r.out).toMatch(new RegExp(`^Usage: hookwait ${command}\\b`));
      expect(r.out).toContain('--address <host:port>');
    }
  });

  test('help after other arguments, and `hookwait help <command>`', async () => {
    expect(await cli('start', 'identityVerification', '--input', '{}', '--help')).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: hookwait start /) });
    expect(await cli('help', 'complete')).toMatchObject({ code: 0, out: expect.stringMatching(/^Usage: hookwait complete /) });
  });

  test('--help, -h and help alone print the top-level usage and exit 0; no arguments is a usage error', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await cli(...argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: hookwait \[global options\] <command>/);
      for (const c of COMMANDS) expect(r.out).toContain(`  ${c}`);
      for (const flag of ['--address', '--namespace', '--api-key', '--profile', '--config-file', '--help', '--version']) expect(r.out).toContain(flag);
    }
    expect((await cli()).code).toBe(2);
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(await cli('--version')).toEqual({ code: 0, out: `hookwait ${version}\n`, err: '' });
  });

  test('a global option without a value, or an empty one, is a usage error naming it', async () => {
    expect(await cli('list', '--address')).toMatchObject({ code: 2, err: expect.stringMatching(/--address needs a value/) });
    expect(await cli('--namespace', '--json', 'list')).toMatchObject({ code: 2, err: expect.stringMatching(/--namespace needs a value/) });
    expect(await cli('--profile=', 'list')).toMatchObject({ code: 2, err: expect.stringMatching(/--profile must not be empty/) });
  });

  test('a bad connection setting given as an option is named as the option', async () => {
    const r = await cli('list', '--config-file', join(__dirname, 'no-such-temporal.toml'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--config-file: cannot read .*no-such-temporal\.toml/);
  });

  test('an unknown command is still a usage error, with or without --help', async () => {
    expect(await cli('frobnicate')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command 'frobnicate'/) });
    expect(await cli('frobnicate', '--help')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command 'frobnicate'/) });
  });
});
