import { z } from 'zod';
import { defineProcedure, defineTrigger, waitTimeoutInput } from 'hookwait/workflow';

/**
 * The demo procedure's declaration: pure, imported by the workflow (to run it) and the gateway (to check
 * callbacks at the edge). It imports from 'hookwait/workflow', as an app of your own does (this repository resolves
 * its own package name: tsconfig `paths`, jest's moduleNameMapper and Node's package self-reference).
 */
export const identityVerificationProcedure = defineProcedure({
  name: 'identityVerification',
  title: 'Identity verification (KYC)',
  input: z.object({
    customerId: z.string().min(1),
    conversationId: z.string().min(1).optional(),
    /** How the mock KYC provider behaves: call back after a delay, never, or leave it to a person. */
    kyc: z
      .object({
        mode: z.enum(['auto', 'never', 'manual']).default('auto'),
        delayMs: z.number().int().min(0).max(600_000).default(2_000),
        outcome: z.enum(['verified', 'rejected']).default('verified'),
      })
      .default({ mode: 'auto', delayMs: 2_000, outcome: 'verified' }),
    /** Overrides the wait's timeout for this run, e.g. "5s". */
    waitTimeout: waitTimeoutInput.optional(),
  }),
  connectors: {
    startVerification: {
      title: 'Start ID verification at the KYC provider',
      method: 'POST',
      url: '{{env.KYC_PROVIDER_URL}}/verifications',
      // The worker's environment variables the templates read; nothing else of it is reachable.
      env: ['KYC_PROVIDER_URL'],
      body: {
        customer_id: '{{input.customerId}}',
        callback_url: '{{callbackUrls.idVerification}}',
        mode: '{{input.kyc.mode}}',
        delay_ms: '{{input.kyc.delayMs}}',
        outcome: '{{input.kyc.outcome}}',
      },
      response: z.object({ verification_id: z.string() }),
    },
  },
  waits: {
    idVerification: {
      title: 'Wait for ID verification callback',
      attributes: {
        verification_status: z.enum(['verified', 'rejected']),
        reference_id: z.string().min(1),
      },
      timeout: '10m',
      escalation: {
        message: "We couldn't confirm your identity automatically. A teammate from our verification team will pick this up shortly.",
        assignee: { team: 'kyc-review' },
      },
    },
  },
});

/**
 * `POST /hooks/kyc/start` with `{ "customerId": "c-42" }` starts a verification: the gateway answers 201 with the run's
 * workflow id and run id.
 */
export const kycStartTrigger = defineTrigger({
  name: 'kycStart',
  title: 'Start an identity verification',
  path: 'kyc/start',
  procedure: identityVerificationProcedure,
  expect: { body: z.object({ customerId: z.string().min(1).max(128) }) },
  input: { customerId: 'body.customerId' },
  // The callback URL stays between the run and the KYC provider: the trigger's sender gets only the run's ids.
  response: { status: 201, body: { status: 'started', workflowId: '{{workflowId}}', runId: '{{runId}}' } },
});

/** Every procedure this module provides (read by the standalone worker, gateway and CLI). */
export const procedures = [identityVerificationProcedure];

/** The webhook triggers the gateway serves at `/hooks/<path>`. */
export const triggers = [kycStartTrigger];
