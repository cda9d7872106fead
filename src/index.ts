/**
 * hookwait: durable "Wait for Webhook" procedures on Temporal.
 *
 * - Declare procedures with {@link defineProcedure} in a pure module (shared by workflows and the gateway).
 * - Implement them with `procedure(...)` from `hookwait/workflow` in your workflows module.
 * - Add {@link hookwaitPlugin} to your worker; mount {@link createCallbackRouter} in your Express app
 *   or run {@link createGatewayApp}.
 */
export * from './definitions';
export type {
  CallbackSignalArgs,
  CallbackSource,
  CustomerMessage,
  HookwaitMemo,
  LedgerEntry,
  LedgerOutcome,
  ProcedureState,
  ProcedureStatus,
  WaitState,
  WaitStatus,
} from './workflows/messages';
export { callbackSignal, customerMessageSignal, stateQuery, MEMO_KEY } from './workflows/messages';
export type { ProcedureResult, ProcedureRun, WaitOutcome, WaitSuccess, WaitTimeout } from './workflows/procedure-runtime';
export * from './workflows/search-attributes';
export { redactCallbackUrl } from './workflows/current-details';
export * from './activities/activity-types';
export { HttpConversationChannel, LoggingConversationChannel, type ConversationChannel, type HttpConversationChannelOptions } from './activities/conversation-channel';
export { createHookwaitActivities, callbackUrl, type HookwaitActivitiesOptions } from './activities/create-activities';
export { CONNECTOR_BAD_RESPONSE, CONNECTOR_MISCONFIGURED, CONNECTOR_REJECTED, CONNECTOR_UNAVAILABLE } from './activities/data-connector';
export { hookwaitPlugin, type HookwaitPluginOptions } from './plugin';
export { callbackUrlsOf, checkProcedureInput, ProcedureInputError, startProcedure, type StartProcedureOptions } from './client/start-procedure';
export { createCallbackRouter, type CallbackAccepted, type CallbackRouterOptions } from './api/callback-route';
export { createGatewayApp, type GatewayAppOptions } from './api/gateway-app';
export type { Problem } from './api/problem';
export {
  generateKeyringSpec,
  mintCallbackToken,
  parseKeyring,
  redactToken,
  verifyCallbackToken,
  type CallbackTokenClaims,
  type TokenKeyring,
  type VerifiedCallbackToken,
} from './security/callback-token';
export { ConfigError, loadConfig, type HookwaitConfig } from './config';
export { createLogger, silentLogger, type Logger, type LogLevel } from './logging/logger';
export { createGatewayMetrics, type GatewayMetrics } from './api/gateway-metrics';
