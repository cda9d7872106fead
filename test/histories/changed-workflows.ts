import { procedure } from '../../src/workflows';
import { approvalProcedure } from '../fixtures/procedures';

/**
 * The negative control of test/replay.test.ts: `approval` as a careless refactor might leave it, with one more
 * command (a customer message, i.e. an activity) before the wait. A run parked in the wait under the current code
 * cannot be resumed by this one: replaying its history must fail with a DeterminismViolationError. If it does not,
 * the replay test has stopped being able to see a broken parked run.
 */
export const approval = procedure(approvalProcedure, async (run) => {
  await run.sendMessage('A manager is reviewing your refund.');
  const result = await run.wait('approval', { timeout: run.input.waitTimeout });
  const { decision, amount, approver } = result.attributes;
  await run.sendMessage(`Your refund of ${amount} was ${decision} by ${approver}.`);
  return { decision, amount, approver };
});
