import { findTemporalCli } from '../src/dev/temporal-cli';
import { findTemporalTestServer } from '../src/app/temporal-test-server';

// Runs once before all test files; workers inherit the environment it sets.
export default async function globalSetup(): Promise<void> {
  process.env.TEMPORAL_CLI_PATH = await findTemporalCli();
  process.env.TEMPORAL_TEST_SERVER_PATH = await findTemporalTestServer();
}
