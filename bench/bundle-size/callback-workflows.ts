import { createCallback, defineWait } from 'hookwait/workflow';

/** A wait with string attributes only (no zod import of its own). */
const approved = defineWait({ name: 'approved', title: 'Wait for approval', attributes: ['decision'], timeout: '1h', onTimeout: 'branch' });

/** A plain workflow that uses only createCallback. */
export async function approval(): Promise<string> {
  const callback = await createCallback(approved);
  const result = await callback.wait();
  return result.ok ? result.attributes.decision : 'timeout';
}
