import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes hookwait keeps up to date on every run (register them with `npm run dev` or `hookwait setup`). */
export const HookwaitProcedure = defineSearchAttributeKey('HookwaitProcedure', SearchAttributeType.KEYWORD);
export const HookwaitStatus = defineSearchAttributeKey('HookwaitStatus', SearchAttributeType.KEYWORD);
export const HookwaitWaitingFor = defineSearchAttributeKey('HookwaitWaitingFor', SearchAttributeType.KEYWORD);
export const HookwaitDeadline = defineSearchAttributeKey('HookwaitDeadline', SearchAttributeType.DATETIME);

/** The trigger that started the run (set at its start by the gateway; absent for runs started otherwise). */
export const HookwaitTrigger = defineSearchAttributeKey('HookwaitTrigger', SearchAttributeType.KEYWORD);

export const HOOKWAIT_SEARCH_ATTRIBUTES = [HookwaitProcedure, HookwaitStatus, HookwaitWaitingFor, HookwaitDeadline, HookwaitTrigger] as const;
