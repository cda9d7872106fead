/**
 * Thrown when a procedure, wait point or connector is declared wrongly.
 * `field` names the offending setting, e.g. `waits.idVerification.escalation.assignee`.
 */
export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
