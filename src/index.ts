/**
 * hookwait: durable "Wait for Webhook" procedures on Temporal.
 *
 * - Declare procedures with {@link defineProcedure} in a pure module (shared by workflows and the gateway).
 * - Implement them with {@link procedure} in your workflows module, importing it from `hookwait/workflow`
 *   (the same function, without the gateway's and worker's node dependencies in the workflow bundle).
 * - Add {@link hookwaitPlugin} to your worker; mount {@link createCallbackRouter} in your Express app
 *   or run {@link createGatewayApp}.
 */
export * from './definitions';
export type {
  CallbackSignalArgs,
  CallbackSource,
  CustomerMessage,
  ExpireSignalArgs,
  HookwaitMemo,
  LedgerEntry,
  LedgerOutcome,
  ProcedureState,
  ProcedureStatus,
  RevokeSignalArgs,
  WaitState,
  WaitStatus,
} from './core/run-state';
export { MEMO_KEY, waitId } from './core/run-state';
export { callbackSignal, callbackUrlsUpdate, customerMessageSignal, expireSignal, revokeSignal, stateQuery, syncUpdate, triggerResponseUpdate, TRIGGER_RESPONSE_UPDATE_ID } from './workflows/messages';
export { TRIGGER_MEMO_KEY, TRIGGER_RESPONSE_MEMO_KEY, type TriggerInfo, type TriggerResponse } from './core/run-state';
// Also here so that the whole public API is in one place; a workflows module should import it from
// `hookwait/workflow`, which keeps express and node modules out of the workflow bundle.
export { procedure, type ProcedureResult, type ProcedureRun, type WaitOutcome, type WaitSuccess, type WaitTimeout } from './workflows/procedure-runtime';
export { createCallback, type Callback, type CallbackOutcome, type CreateCallbackOptions, type DefinedConnectorPoll, type WaitPoll } from './workflows/callback';
export { callConnector, pollConnector, type PollOptions, type PollResult } from './workflows/connector-calls';
export { WaitEscalated } from './workflows/runtime';
export { createConnectorWorkers, type ConnectorWorkersOptions, limitedConnectors, type LimitedConnector } from './worker/connector-workers';
export type { ConnectorThrottledEvent } from './activities/data-connector';
export * from './workflows/search-attributes';
export { redactCallbackUrl } from './workflows/current-details';
export * from './activities/activity-types';
export {
  HttpConversationChannel,
  LoggingConversationChannel,
  type ConversationChannel,
  type HttpConversationChannelOptions,
  type LoggingConversationChannelOptions,
} from './activities/conversation-channel';
export { createHookwaitActivities, callbackUrl, type HookwaitActivitiesOptions } from './activities/create-activities';
export { CONNECTOR_BAD_RESPONSE, CONNECTOR_MISCONFIGURED, CONNECTOR_REJECTED, CONNECTOR_UNAVAILABLE, OUTBOUND_REFUSED } from './activities/data-connector';
export { sendWebhook, WEBHOOK_FAILED_TYPE } from './workflows/webhook';
export { createOutboundMetrics, type OutboundMetrics, type OutboundOutcome } from './activities/outbound-metrics';
export {
  classifyAddress,
  guardedFetch,
  OutboundAllowListError,
  OutboundRefusedError,
  parseOutboundAllowList,
  type BlockedRange,
  type GuardedFetchOptions,
  type LookupAll,
  type OutboundAllowList,
} from './security/outbound-guard';
export { outboundStats, type OutboundStats, type OutboundStatsOptions, type OutboundStatsRow } from './client/outbound-stats';
export { testSend, TestSendUsageError, type ShownRequest, type TestSendOptions, type TestSendReport } from './client/outbound-test-send';
export { HOOKWAIT_PRELOAD_MODULES, hookwaitPlugin, type HookwaitPluginOptions, type OpenTelemetryWorkerPlugin } from './plugin';
export { DuplicateTemporalSdkError, type DuplicatePackage, type PackageCopy } from './checks/sdk-copies';
export { ProcedureExportError, type ProcedureExportProblem } from './checks/procedure-exports';
export {
  callbackUrlsOf,
  checkProcedureInput,
  ProcedureInputError,
  SearchAttributesNotRegisteredError,
  startProcedure,
  type StartProcedureOptions,
} from './client/start-procedure';
export {
  DEFAULT_WORKER_TIMEOUT_MS,
  HookwaitClient,
  type ActionOutcome,
  type CompleteResult,
  type ExpireResult,
  type HookwaitClientOptions,
  type HookwaitStartOptions,
  type OperatorActionOptions,
  type ProcedureInputOf,
  type ProcedureWorkflow,
  type RevokeOptions,
  type RevokeResult,
  type RunSummary,
  type StartedRun,
  type UrlsFrom,
  type WorkerWaitOptions,
} from './client/hookwait-client';
export {
  CallbackDataError,
  HookwaitArgumentError,
  HookwaitConflictError,
  HookwaitNotFoundError,
  type HookwaitConflict,
  type HookwaitMissing,
} from './client/errors';
export {
  createCallbackService,
  type CallbackAccepted,
  type CallbackAnswer,
  type CallbackRequest,
  type CallbackService,
  type CallbackServiceOptions,
  type RateLimits,
} from './service/callback-service';
export { OUTCOMES, problemOf, type Outcome, type OutcomeSpec, type Problem } from './service/outcomes';
export { createCallbackRouter, type CallbackRouterOptions } from './api/callback-route';
export {
  createTriggerService,
  triggerWorkflowId,
  type TriggerAnswer,
  type TriggerHead,
  type TriggerRequest,
  type TriggerService,
  type TriggerServiceOptions,
} from './service/trigger-service';
export {
  createAdminApp,
  createGatewayApp,
  createGatewayApps,
  createReadinessCheck,
  DEFAULT_READINESS_CACHE_MS,
  type GatewayAppOptions,
  type GatewayApps,
  type ReadinessCheck,
} from './api/gateway-app';
export {
  CallbackTokenTooLongError,
  checkCallbackTokenLength,
  generateKeyringSpec,
  mintCallbackToken,
  parseKeyring,
  redactToken,
  verifyCallbackToken,
  type CallbackTokenClaims,
  type TokenKeyring,
  type VerifiedCallbackToken,
} from './security/callback-token';
export { ConfigError, loadConfig, type HookwaitConfig, type LoadConfigOptions, type TemporalSettings } from './config';
export { createLogger, hookwaitLogger, silentLogger, type LogFields, type Logger, type LogLevel } from './logging/logger';
export { createGatewayMetrics, type GatewayMetrics } from './api/gateway-metrics';
