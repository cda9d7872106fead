/**
 * `run.respond`: a procedure started by a webhook trigger with `response: { type: 'fromProcedure' }` answers its sender.
 * The gateway asks with an update-with-start (`hookwait.triggerResponse`); the handler resolves once `respond` is
 * called. Only a run started by such a trigger (its start memo says so) records the answer in its memo, so the
 * command sequence of every other run is unchanged.
 */
import { ApplicationFailure, condition, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { TRIGGER_MEMO_KEY, TRIGGER_RESPONSE_MEMO_KEY, type TriggerInfo, type TriggerResponse } from '../core/run-state';
import { isRespondStatus } from '../definitions/trigger';
import { triggerResponseUpdate } from './messages';
import type { Runtime } from './runtime';

/** `run.respond`: see `ProcedureRun.respond`. */
export type TriggerResponder = (response: TriggerResponse) => Promise<boolean>;

/** The trigger that started this run, from its start memo (absent for runs started otherwise). */
export function triggerOfRun(): TriggerInfo | undefined {
  const info = workflowInfo().memo?.[TRIGGER_MEMO_KEY];
  if (typeof info !== 'object' || info === null || typeof (info as TriggerInfo).name !== 'string') return undefined;
  const t = info as TriggerInfo;
  return { name: t.name.slice(0, 64), ...(typeof t.deliveryId === 'string' ? { deliveryId: t.deliveryId.slice(0, 256) } : {}), ...(t.respond === true ? { respond: true } : {}) };
}

/** Installs the update handler and shows the trigger in the run's state; returns `run.respond`. */
export function installTriggerResponse(rt: Runtime): TriggerResponder {
  const trigger = triggerOfRun();
  if (trigger) rt.state = { ...rt.state, trigger: { name: trigger.name, ...(trigger.deliveryId !== undefined ? { deliveryId: trigger.deliveryId } : {}) } };
  let answered: TriggerResponse | undefined;
  setHandler(
    triggerResponseUpdate,
    async () => {
      await condition(() => answered !== undefined);
      return answered as TriggerResponse;
    },
    { description: "The procedure's answer to the webhook that started it (run.respond).", unfinishedPolicy: 'ABANDON' },
  );
  return async (response) => {
    if (answered !== undefined) throw ApplicationFailure.create({ type: 'HookwaitAlreadyResponded', message: 'run.respond was already called: a webhook gets one answer', nonRetryable: true });
    if (typeof response !== 'object' || response === null || !isRespondStatus(response.status)) {
      throw ApplicationFailure.create({ type: 'HookwaitInvalidResponse', message: `run.respond: status must be 2xx or 4xx, got ${JSON.stringify((response as { status?: unknown } | null)?.status)}`, nonRetryable: true });
    }
    answered = { status: response.status, ...(response.headers !== undefined ? { headers: response.headers } : {}), ...(response.body !== undefined ? { body: response.body } : {}) };
    if (!trigger?.respond) return false;
    // Kept for a delivery repeated after the run ended (the gateway reads it from the memo).
    upsertMemo({ [TRIGGER_RESPONSE_MEMO_KEY]: answered });
    return true;
  };
}
