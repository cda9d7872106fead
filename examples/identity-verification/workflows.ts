import { procedure } from 'hookwait/workflow';
import { identityVerificationProcedure } from './procedures';

/** Tells the customer what is happening, starts a KYC check with the callback URL, waits, branches on the status. */
export const identityVerification = procedure(identityVerificationProcedure, async (run) => {
  await run.sendMessage("We're verifying your identity. Please complete the step in the link we've sent you.");
  const { verification_id } = await run.callConnector('startVerification');
  const { attributes } = await run.wait('idVerification', { timeout: run.input.waitTimeout });
  if (attributes.verification_status === 'verified') {
    await run.sendMessage('Thanks, your identity is verified. Let me carry on with your request.');
    return { verified: true, verificationId: verification_id, referenceId: attributes.reference_id };
  }
  await run.sendMessage("We couldn't verify your identity. Please check your document and try again.");
  return { verified: false, verificationId: verification_id, referenceId: attributes.reference_id };
});
