/**
 * The workflow-side API (`hookwait/workflow`): import it from your workflows module. It pulls in only
 * `@temporalio/workflow`, zod and hookwait's pure definition code, so it is safe in the workflow sandbox.
 */
export * from './definitions';
export * from './workflows';
