import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes hookwait keeps up to date on every run (register them with `npm run dev` or `hookwait setup`). */
export const HookwaitProcedure = defineSearchAttributeKey('HookwaitProcedure', SearchAttributeType.KEYWORD);
export const HookwaitStatus = defineSearchAttributeKey('HookwaitStatus', SearchAttributeType.KEYWORD);
export const HookwaitWaitingFor = defineSearchAttributeKey('HookwaitWaitingFor', SearchAttributeType.KEYWORD);
export const HookwaitDeadline = defineSearchAttributeKey('HookwaitDeadline', SearchAttributeType.DATETIME);

/** The trigger that started the run (set at its start by the gateway; absent for runs started otherwise). */
export const HookwaitTrigger = defineSearchAttributeKey('HookwaitTrigger', SearchAttributeType.KEYWORD);

/** Every search attribute hookwait uses (`hookwait setup` registers them all). */
export const HOOKWAIT_SEARCH_ATTRIBUTES = [HookwaitProcedure, HookwaitStatus, HookwaitWaitingFor, HookwaitDeadline, HookwaitTrigger] as const;

/** The ones a run upserts itself (the worker checks only these; `HookwaitTrigger` is the gateway's, set at start). */
export const HOOKWAIT_RUN_SEARCH_ATTRIBUTES = [HookwaitProcedure, HookwaitStatus, HookwaitWaitingFor, HookwaitDeadline] as const;

/**
 * The run search attributes a namespace lacks, given its custom attributes (`listSearchAttributes`): the worker's
 * check. A namespace that lacks only `HookwaitTrigger` (an upgrade without `hookwait setup`) lacks none of them.
 *
 * @example
 * ```ts
 * missingRunSearchAttributes({ HookwaitProcedure: 1, HookwaitStatus: 1, HookwaitWaitingFor: 1, HookwaitDeadline: 5 }); // []
 * ```
 */
export function missingRunSearchAttributes(customAttributes: Readonly<Record<string, unknown>> | null | undefined): string[] {
  return HOOKWAIT_RUN_SEARCH_ATTRIBUTES.map((k) => k.name).filter((name) => !customAttributes?.[name]);
}
