import { loadProcessConfig, processLogger } from '../app/process-config';
import { loadProcedureModule, workerProcedureModules } from '../app/procedure-modules';
import { ConfigError, loadConfig } from '../config';
import { installTemporalRuntime } from '../app/temporal-runtime';
import { startWorker } from './run-worker';
import { createOutboundMetrics } from '../activities/outbound-metrics';
import { serveOutboundMetrics } from './outbound-metrics-server';

// `npm run worker`: the standalone worker (one of many replicas; all state lives in Temporal).
async function main(): Promise<void> {
  // The worker listens on nothing of its own: of the process variables, only LOG_LEVEL is its.
  const processConfig = loadProcessConfig({ LOG_LEVEL: process.env.LOG_LEVEL });
  const config = loadConfig();
  // Fails fast, before connecting, when HOOKWAIT_WORKFLOWS_MODULE is unset: this worker never serves the demo.
  const modules = workerProcedureModules();
  const procedures = modules.proceduresModule ? loadProcedureModule(modules.proceduresModule).procedures : [];
  const logger = processLogger(processConfig, 'hookwait-worker');
  installTemporalRuntime(logger, { ...(config.workerMetricsPort !== undefined ? { metricsPort: config.workerMetricsPort } : {}) });
  const metrics = createOutboundMetrics();
  const metricsServer = config.outboundMetrics ? await serveOutboundMetrics(metrics, config.outboundMetrics, logger) : undefined;
  const started = await startWorker(config, procedures, modules.workflowsModule, logger, { metrics });
  void started.done.finally(() => metricsServer?.close());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void started.stop());
  await started.done;
}

main().catch((err: Error) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
