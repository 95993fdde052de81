// Why a call (or the agent's part of it) ended, in words: the causes of a call's `ended` event
// (CallEndCause, docs/call.md; src/call/call_control.cc names them) and of softphone.released
// (docs/cti.md). Unknown causes are shown as they come.
import type { MessageKey } from '../i18n';

/** The causes of a call's `ended` event. */
export const CallEndCauses = [
  'caller_hangup',
  'agent_hangup',
  'cancelled',
  'no_answer',
  'busy',
  'rejected',
  'unreachable',
  'rtp_timeout',
  'queue_full',
  'queue_not_found',
  'announcement_done',
  'routing_ended',
  'api_hangup',
  'transferred',
  'failed',
  'callback_failed',
  'ivr_ended',
] as const;

/** Why softphone.released says the agent's part ended. */
export const SoftphoneReleaseCauses = ['released', 'not_answered', 'call_ended', 'disconnected'] as const;

/** Every cause the UI has words for. */
export type KnownCause = (typeof CallEndCauses)[number] | (typeof SoftphoneReleaseCauses)[number];

const Known: ReadonlySet<string> = new Set<string>([...CallEndCauses, ...SoftphoneReleaseCauses]);

/** @return the message key naming `cause`, or null when the UI has no words for it. */
export function causeKey(cause: string | null | undefined): MessageKey | null {
  return cause && Known.has(cause) ? (`cause.${cause}` as MessageKey) : null;
}

/** @return `cause` in the UI's language (`t`), the cause itself when unknown, '—' for none. */
export function causeLabel(t: (key: MessageKey) => string, cause: string | null | undefined): string {
  const key = causeKey(cause);
  return key ? t(key) : cause || '—';
}
