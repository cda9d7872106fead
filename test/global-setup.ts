import { findTemporalCli } from '../src/dev/temporal-cli';

// Runs once before all test files; workers inherit the environment it sets.
export default async function globalSetup(): Promise<void> {
  process.env.TEMPORAL_CLI_PATH = await findTemporalCli();
}
