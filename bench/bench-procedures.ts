import { defineProcedure } from '../src/definitions';

/** One wait, completed by the benchmark; `branch` so a stray timeout never escalates. */
export const benchProcedure = defineProcedure({
  name: 'benchWait',
  waits: { done: { title: 'Wait for the benchmark callback', attributes: ['value'], timeout: '1h', onTimeout: 'branch' } },
});
export const procedures = [benchProcedure];
