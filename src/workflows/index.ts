export * from './callback';
export * from './current-details';
export * from './messages';
export * from './procedure-runtime';
export { WaitEscalated } from './runtime';
export * from './search-attributes';
export { callConnector, pollConnector, type PollOptions, type PollResult } from './connector-calls';
export { sendWebhook, WEBHOOK_FAILED_TYPE } from './webhook';
export * from './trigger-response';
