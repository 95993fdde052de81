// The agent's call as the desktop shows it: a state machine fed by the softphone's messages
// (softphone.alerting / connected / released), the call.* events of the agent's call and the
// agent's own actions. Pure: no I/O, no clock (times come in the actions).
import { parseCustomer, parseHistory, type PopCustomer, type PopInteraction } from './screen_pop';

/** Where the agent's call is. */
export type CallPhase = 'idle' | 'alerting' | 'talking' | 'held' | 'consulting' | 'conferenced' | 'wrap_up';

/** The agent's current (or just ended) call. */
export interface CallState {
  phase: CallPhase;
  callId: string | null;
  /** The caller's number as shown: masked. */
  caller: string | null;
  queueId: string | null;
  entryPointId: string | null;
  customer: PopCustomer | null;
  /** The caller's last interactions (newest first), from the alert. */
  history: PopInteraction[];
  alertedAtMs: number | null;
  answeredAtMs: number | null;
  muted: boolean;
  /** Keys sent to the caller during this call. */
  digits: string;
  /** Why the agent's part ended (a CallEndCause or softphone cause). */
  endCause: string | null;
}

/** What can happen to the call. */
export type CallAction =
  | {
      type: 'alerting';
      callId: string;
      caller: string | null;
      queueId: string | null;
      entryPointId: string | null;
      customer: PopCustomer | null;
      history: PopInteraction[];
      atMs: number;
    }
  | { type: 'connected'; callId: string; atMs: number }
  | { type: 'held'; callId: string }
  | { type: 'resumed'; callId: string }
  | { type: 'consult_started'; callId: string }
  | { type: 'consult_cancelled'; callId: string }
  | { type: 'conferenced'; callId: string }
  | { type: 'released'; callId: string; cause: string | null }
  | { type: 'call_state'; callId: string; state: string }
  | { type: 'muted'; muted: boolean }
  | { type: 'dtmf'; digits: string }
  | { type: 'wrapped_up' };

/** The operations the desktop offers. */
export type CallOp =
  | 'answer'
  | 'hangup'
  | 'hold'
  | 'resume'
  | 'mute'
  | 'dtmf'
  | 'transfer'
  | 'consult'
  | 'complete'
  | 'cancel'
  | 'conference'
  | 'wrap_up';

/** No call. */
export const IdleCall: CallState = {
  phase: 'idle',
  callId: null,
  caller: null,
  queueId: null,
  entryPointId: null,
  customer: null,
  history: [],
  alertedAtMs: null,
  answeredAtMs: null,
  muted: false,
  digits: '',
  endCause: null,
};

/** @return whether the call has a live audio path for the agent. */
function inCall(phase: CallPhase): boolean {
  return phase === 'talking' || phase === 'held' || phase === 'consulting' || phase === 'conferenced';
}

/** @return the call after `action`; actions about another call, or impossible here, change nothing. */
export function callReducer(state: CallState, action: CallAction): CallState {
  switch (action.type) {
    case 'alerting':
      // A new call alerts only an agent without one; a repeat of the same alert keeps what is known.
      if (state.phase === 'idle' || (state.phase === 'alerting' && state.callId === action.callId)) {
        const sameCall = state.callId === action.callId;
        return {
          ...IdleCall,
          phase: 'alerting',
          callId: action.callId,
          caller: action.caller ?? state.caller,
          queueId: action.queueId ?? state.queueId,
          entryPointId: action.entryPointId ?? state.entryPointId,
          customer: action.customer ?? (sameCall ? state.customer : null),
          // call.ringing (the fallback) carries no history: a repeat keeps the alert's.
          history: action.history.length > 0 || !sameCall ? action.history : state.history,
          alertedAtMs: state.callId === action.callId ? state.alertedAtMs : action.atMs,
        };
      }
      return state;
    case 'wrapped_up':
      return state.phase === 'wrap_up' ? IdleCall : state;
    case 'muted':
      return inCall(state.phase) ? { ...state, muted: action.muted } : state;
    case 'dtmf':
      return inCall(state.phase) ? { ...state, digits: state.digits + action.digits } : state;
    default:
      break;
  }
  if (action.callId !== state.callId) return state;
  switch (action.type) {
    case 'connected':
      if (state.phase === 'alerting') return { ...state, phase: 'talking', answeredAtMs: action.atMs };
      // After a consultation is completed or joined the agent is back with its caller.
      if (state.phase === 'held') return state;
      return inCall(state.phase) ? { ...state, phase: 'talking' } : state;
    case 'held':
      return state.phase === 'talking' ? { ...state, phase: 'held' } : state;
    case 'resumed':
      return state.phase === 'held' ? { ...state, phase: 'talking' } : state;
    case 'consult_started':
      return state.phase === 'talking' || state.phase === 'held' ? { ...state, phase: 'consulting' } : state;
    case 'consult_cancelled':
      return state.phase === 'consulting' ? { ...state, phase: 'talking' } : state;
    case 'conferenced':
      return state.phase === 'consulting' ? { ...state, phase: 'conferenced' } : state;
    case 'call_state': {
      // The call as an operation's answer shows it (CallState of the API), in case its event is late.
      const phases: Record<string, CallPhase> = { talking: 'talking', held: 'held', consulting: 'consulting', conferenced: 'conferenced' };
      const phase = phases[action.state];
      return phase && inCall(state.phase) ? { ...state, phase } : state;
    }
    case 'released':
      // A call that was never answered leaves nothing to wrap up.
      if (state.phase === 'alerting') return { ...IdleCall, endCause: action.cause };
      if (inCall(state.phase)) return { ...state, phase: 'wrap_up', muted: false, endCause: action.cause };
      return state;
  }
}

/** @return the operations the desktop enables in `phase`. */
export function allowedOps(phase: CallPhase): ReadonlySet<CallOp> {
  const ops: Record<CallPhase, CallOp[]> = {
    idle: [],
    alerting: ['answer'],
    talking: ['hangup', 'hold', 'mute', 'dtmf', 'transfer', 'consult'],
    held: ['hangup', 'resume', 'mute', 'transfer', 'consult'],
    consulting: ['hangup', 'mute', 'dtmf', 'complete', 'cancel', 'conference'],
    conferenced: ['hangup', 'mute', 'dtmf'],
    wrap_up: ['wrap_up'],
  };
  return new Set(ops[phase]);
}

/** A message of the event WebSocket (an event or a softphone.* message). */
export interface StreamMessage {
  type: string;
  id?: string;
  at_ms?: number;
  data?: unknown;
  [other: string]: unknown;
}

/** @return `value[key]` when it is a string, else null. */
function str(value: unknown, key: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : null;
}

/**
 * Translates a stream message into an action on the agent's call.
 * @param myAgentId the desktop's agent; call events of other agents' calls give null
 * @param currentCallId the call the desktop shows, to follow its events
 * @param nowMs the time to stamp alerts and answers with when the message has none
 * @return the action, or null when the message is not about this agent's call
 */
export function callActionFromMessage(
  message: StreamMessage,
  myAgentId: string,
  currentCallId: string | null,
  nowMs: number,
): CallAction | null {
  const atMs = typeof message.at_ms === 'number' ? message.at_ms : nowMs;
  switch (message.type) {
    case 'softphone.alerting': {
      const callId = str(message, 'call_id');
      if (!callId) return null;
      return {
        type: 'alerting',
        callId,
        caller: str(message, 'caller'),
        queueId: str(message, 'queue_id'),
        entryPointId: str(message, 'entry_point_id'),
        customer: parseCustomer(message.customer),
        history: parseHistory(message.history),
        atMs,
      };
    }
    case 'softphone.connected': {
      const callId = str(message, 'call_id');
      return callId ? { type: 'connected', callId, atMs } : null;
    }
    case 'softphone.released': {
      const callId = str(message, 'call_id');
      return callId ? { type: 'released', callId, cause: str(message, 'cause') } : null;
    }
    default:
      break;
  }
  if (!message.type.startsWith('call.')) return null;
  const data = message.data;
  const callId = str(data, 'call_id') ?? message.id ?? null;
  if (!callId) return null;
  const agentId = str(data, 'agent_id');
  const mine = agentId === myAgentId;
  const current = callId === currentCallId;
  switch (message.type) {
    case 'call.ringing':
      // The softphone's alert carries the masked number and the customer; this is the fallback.
      return mine
        ? {
            type: 'alerting',
            callId,
            caller: maskNumber(str(data, 'caller')),
            queueId: str(data, 'queue_id'),
            entryPointId: str(data, 'entry_point_id'),
            customer: null,
            history: [],
            atMs,
          }
        : null;
    case 'call.answered':
      return mine && current ? { type: 'connected', callId, atMs } : null;
    case 'call.held':
      return current ? { type: 'held', callId } : null;
    case 'call.resumed':
      return current ? { type: 'resumed', callId } : null;
    case 'call.consult_started':
      return current ? { type: 'consult_started', callId } : null;
    case 'call.conferenced':
      return current ? { type: 'conferenced', callId } : null;
    case 'call.ended':
      return current ? { type: 'released', callId, cause: str(data, 'cause') } : null;
    default:
      return null;
  }
}

/**
 * Masks a phone number the way the privacy policy shows them: the first 3 and last 4 digits kept
 * (`13812345678` → `138****5678`); shorter numbers keep only their last 2. Already masked numbers
 * are left alone.
 * @return the masked number, or null for none
 */
export function maskNumber(number: string | null): string | null {
  if (number === null || number === '') return number;
  if (number.includes('*')) return number;
  const plus = number.startsWith('+') ? '+' : '';
  const digits = plus ? number.slice(1) : number;
  if (digits.length >= 8) {
    return plus + digits.slice(0, 3) + '*'.repeat(digits.length - 7) + digits.slice(-4);
  }
  if (digits.length <= 2) return plus + digits;
  return plus + '*'.repeat(digits.length - 2) + digits.slice(-2);
}

/** @return "m:ss" (or "h:mm:ss") for a duration in milliseconds; negative counts as 0. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
