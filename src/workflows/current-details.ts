import type { ProcedureState } from './messages';

/** Keeps a callback URL recognisable without showing the part that grants access. */
export function redactCallbackUrl(url: string): string {
  const i = url.lastIndexOf('/');
  if (i < 0) return '…';
  const token = url.slice(i + 1);
  return `${url.slice(0, i + 1)}${token.slice(0, 10)}…`;
}

/** The run's "current details" in the Web UI: what it waits for, since and until when, and what arrived. */
export function renderCurrentDetails(state: ProcedureState): string {
  const lines: string[] = [`**${state.procedure}** · status **${state.status}** · conversation \`${state.conversationId}\``, ''];
  for (const [name, w] of Object.entries(state.waits)) {
    lines.push(`### ${w.title} (\`${name}\`): ${w.status.replace('_', ' ')}`);
    if (w.waitingSince) lines.push(`- waiting since ${w.waitingSince}, until ${w.deadline ?? '?'}`);
    const url = state.callbackUrls[name];
    if (url) lines.push(`- callback URL: \`${redactCallbackUrl(url)}\``);
    if (w.attributes) {
      for (const [k, v] of Object.entries(w.attributes)) lines.push(`- \`${k}\` = \`${String(v)}\``);
    }
    lines.push('');
  }
  if (state.ledger.length > 0) {
    lines.push('### Callback ledger', '| time | wait | outcome | from |', '|---|---|---|---|');
    for (const e of state.ledger.slice(-20)) {
      lines.push(`| ${e.at} | ${e.wait} | ${e.outcome} | ${e.source.kind}${e.source.ip ? ` ${e.source.ip}` : ''} |`);
    }
  }
  if (state.customerMessages.length > 0) lines.push('', `${state.customerMessages.length} customer message(s) recorded while waiting.`);
  return lines.join('\n');
}
