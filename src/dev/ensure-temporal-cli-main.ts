import { findTemporalCli } from './temporal-cli';

// `npm run temporal:ensure`: prints the CLI's path, building it first if needed.
findTemporalCli()
  .then((path) => process.stdout.write(`${path}\n`))
  .catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
