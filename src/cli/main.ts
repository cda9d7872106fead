import { runCli } from './run-cli';

runCli(process.argv.slice(2), process.env, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`hookwait: ${err.message}\n`);
    process.exit(1);
  },
);
