import { procedure } from '../src/workflows';
import { benchProcedure } from './bench-procedures';

export const benchWait = procedure(benchProcedure, async (run) => {
  await run.wait('done');
  // Workflow time is the start of the activation that resumed the procedure.
  return { resumedAt: Date.now() };
});
