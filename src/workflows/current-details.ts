import { forMarkdown } from '../core/escape';
import type { ProcedureState } from './messages';

/** Keeps a callback URL recognisable without showing the part that grants access. */
export function redactCallbackUrl(url: string): string {
  const i = url.lastIndexOf('/');
  if (i < 0) return '…';
  const token = url.slice(i + 1);
  return `${url.slice(0, i + 1)}${token.slice(0, 10)}…`;
}

/**
 * The run's "current details" in the Web UI. The UI shows only the first lines without scrolling, so they say
 * what the run waits for and until when; the waits, captured attributes and the callback ledger follow.
 */
export function renderCurrentDetails(state: ProcedureState): string {
  // Every value is escaped for markdown: attribute values, User-Agents and keys come from outside.
  const m = forMarkdown;
  const waits = Object.entries(state.waits);
  const current = waits.find(([, w]) => w.status === 'waiting');
  const lines: string[] = [];
  if (current) {
    const [name, w] = current;
    lines.push(`**${m(w.title)}** (${m(name)}): waiting until **${m(w.deadline ?? '?')}**, since ${m(w.waitingSince ?? '?')}`);
    const url = state.callbackUrls[name];
    // The redacted URL is ours (configured base URL, base64url token): a code span, so it reads as one.
    if (url) lines.push('', `Callback URL: \`${redactCallbackUrl(url).replace(/`/g, '')}\``);
  } else {
    lines.push(`**${m(state.procedure)}** is **${m(state.status)}**`);
  }
  lines.push('', `Procedure ${m(state.procedure)} · status **${m(state.status)}** · conversation ${m(state.conversationId)}`, '');
  if (state.trigger) {
    lines.splice(lines.length - 1, 0, `Started by trigger **${m(state.trigger.name)}**${state.trigger.deliveryId !== undefined ? ` · delivery ${m(state.trigger.deliveryId)}` : ''}`);
  }
  lines.push('| wait | status | deadline | captured |', '|---|---|---|---|');
  for (const [name, w] of waits) {
    const captured = w.attributes ? Object.entries(w.attributes).map(([k, v]) => `${m(k)} = ${m(v)}`).join(', ') : '';
    lines.push(`| ${m(w.title)} (${m(name)}) | ${m(w.status.replace('_', ' '))} | ${m(w.deadline ?? '')} | ${captured} |`);
  }
  if (state.ledger.length > 0) {
    lines.push('', '**Callback ledger**', '', '| time | wait | outcome | from |', '|---|---|---|---|');
    for (const e of state.ledger.slice(-20)) {
      const from = e.source.operator ? `operator ${e.source.operator}` : [e.source.kind, e.source.ip, e.source.userAgent].filter(Boolean).join(' ');
      lines.push(`| ${m(e.at)} | ${m(e.wait)} | ${m(e.outcome)} | ${m(from)} |`);
    }
  }
  if (state.customerMessages.length > 0) lines.push('', `${state.customerMessages.length} customer message(s) recorded while waiting.`);
  return lines.join('\n');
}
