import { DefinitionError } from '../../src/definitions/definition-error';
import type { WaitDecl } from '../../src/definitions/wait-point';

/** Runs `fn` and returns the DefinitionError it throws; fails the test if it throws nothing or something else. */
export function definitionError(fn: () => unknown): DefinitionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DefinitionError) return err;
    throw err;
  }
  throw new Error('expected a DefinitionError');
}

/** The field a DefinitionError names, or undefined when `fn` does not throw. */
export function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof DefinitionError) return err.field;
    throw err;
  }
  return undefined;
}

/** A complete escalating wait declaration, with the given fields replaced. */
export function escalatingWait(overrides: Partial<WaitDecl> = {}): WaitDecl {
  return {
    title: 'Wait for it',
    attributes: ['status'],
    timeout: '1m',
    escalation: { message: 'A teammate will follow up.', assignee: { team: 'support' } },
    ...overrides,
  };
}
