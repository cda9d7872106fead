/**
 * The `{{ path }}` placeholder syntax of connector templates, shared by the definition-time checks
 * (definitions/connector.ts) and the renderer (activities/template.ts), so both see the same placeholders.
 * Internal: not exported from the package.
 */
export const PLACEHOLDER_SOURCE = '\\{\\{\\s*([A-Za-z0-9_$.-]+)\\s*\\}\\}';

/** The paths of the placeholders in `text`, in order (`'{{ env.KEY }}/{{input.id}}'` → `['env.KEY', 'input.id']`). */
export function placeholderPaths(text: string): string[] {
  return [...text.matchAll(new RegExp(PLACEHOLDER_SOURCE, 'g'))].map((m) => m[1] as string);
}
