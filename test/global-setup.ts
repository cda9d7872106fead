import { findTemporalCli } from '../src/dev/temporal-cli';
import { findTemporalServer } from '../src/dev/temporal-server';
import { findTemporalTestServer } from '../src/app/temporal-test-server';

// Runs once before all test files; workers inherit the environment it sets.
export default async function globalSetup(): Promise<void> {
  process.env.TEMPORAL_CLI_PATH = await findTemporalCli();
  process.env.TEMPORAL_TEST_SERVER_PATH = await findTemporalTestServer();
  // The Temporal server 1.29.1 and its sql tool, for test/cluster.test.ts (built once into the cache).
  const { server, sqlTool } = await findTemporalServer();
  process.env.TEMPORAL_SERVER_PATH = server;
  process.env.TEMPORAL_SQL_TOOL_PATH = sqlTool;
}
