import { findTemporalTestServer } from '../app/temporal-test-server';

// `npm run temporal:ensure-test-server`: prints the time-skipping test server's path, fetching it first if needed.
findTemporalTestServer()
  .then((path) => process.stdout.write(`${path}\n`))
  .catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
