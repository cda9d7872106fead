import { proxyActivities } from '@temporalio/workflow';
import { procedure } from '../src/workflows';
import { benchProcedure } from './bench-procedures';

export const benchWait = procedure(benchProcedure, async (run) => {
  await run.wait('done');
  // Workflow time is the start of the activation that resumed the procedure.
  return { resumedAt: Date.now() };
});

/** The activity a bare workflow parks on; the bench completes it asynchronously (by workflow id and activity id). */
export interface BenchActivities {
  benchPark(): Promise<string>;
}
const { benchPark } = proxyActivities<BenchActivities>({ startToCloseTimeout: '1h', activityId: 'park', retry: { maximumAttempts: 1 } });

/** A bare Temporal workflow, no hookwait: parks on one activity completed from outside, then returns. */
export async function bareWait(): Promise<{ resumedAt: number }> {
  await benchPark();
  return { resumedAt: Date.now() };
}
