// The agent's call: alert and screen pop, controls (answer … conference), key pad and wrap-up.
import { useEffect, useState, type Dispatch } from 'react';
import { Api, ApiError, api, type Agent, type CallEvent, type Queue } from '../../api';
import { useI18n } from '../../i18n_context';
import { causeLabel } from '../../lib/causes';
import { allowedOps, formatDuration, type CallAction, type CallOp, type CallState } from '../../state/call';
import { addRecentCall, loadRecentCalls, type RecentCall } from '../../state/recent';

type TargetKind = 'agent' | 'queue' | 'number';

const Dispositions = ['resolved', 'follow_up', 'escalated', 'wrong_number', 'complaint'] as const;

/** The longest notes the wrap-up API accepts, in bytes. */
const MaxNotesBytes = 4000;

const KeypadKeys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

/** The call area of the desktop. */
export function CallPanel(props: {
  agent: Agent;
  agents: Agent[];
  queues: Queue[];
  call: CallState;
  dispatch: Dispatch<CallAction>;
  now: number;
  /** The call's events as the desktop saw them on the stream. */
  streamHistory: CallEvent[];
}) {
  const { agent, agents, queues, call, dispatch, now, streamHistory } = props;
  const { t } = useI18n();
  const ops = allowedOps(call.phase);
  const [error, setError] = useState<string | null>(null);
  const [kind, setKind] = useState<TargetKind>('agent');
  const [target, setTarget] = useState('');
  const [keypad, setKeypad] = useState(false);
  // The stored events when this user may read them (supervisors); else what the stream showed.
  const [storedHistory, setStoredHistory] = useState<CallEvent[] | null>(null);
  const history = storedHistory && storedHistory.length >= streamHistory.length ? storedHistory : streamHistory;
  const [recent, setRecent] = useState<RecentCall[]>(() => loadRecentCalls(window.localStorage));
  const [disposition, setDisposition] = useState<string>(Dispositions[0]);
  const [notes, setNotes] = useState('');

  // The call's own history (queue, transfers so far), read when it alerts and again once answered.
  useEffect(() => {
    setStoredHistory(null);
    if (!call.callId) return;
    Api.callEvents(call.callId)
      .then((l) => setStoredHistory(l.items))
      .catch(() => setStoredHistory(null));
  }, [call.callId, call.phase === 'talking']);

  const run = async (op: CallOp, path: string, body?: unknown) => {
    if (!call.callId) return;
    setError(null);
    try {
      const answer = await api<{ state?: string } | null>('POST', `/calls/${call.callId}/${path}`, body);
      if (answer && typeof answer.state === 'string') dispatch({ type: 'call_state', callId: call.callId, state: answer.state });
      if (op === 'dtmf' && body && typeof body === 'object' && 'digits' in body) dispatch({ type: 'dtmf', digits: String(body.digits) });
    } catch (e) {
      setError(e instanceof ApiError ? `${t(`call.${opLabel(op)}`)}: ${e.status} ${e.message}${e.field ? ` (${e.field})` : ''}` : String(e));
    }
  };

  const targetBody = () => ({ target: { kind, id: target } });

  const finishWrapUp = async (notReady: boolean) => {
    if (!call.callId) return;
    setError(null);
    try {
      // Wrap-up makes the agent ready, or not ready with `not_ready_reason` (docs/cti.md).
      await api('POST', `/agents/${agent.id}/wrap-up`, {
        call_id: call.callId,
        disposition,
        notes,
        ...(notReady ? { not_ready_reason: 'after_call_work' } : {}),
      });
      const entry: RecentCall = { callId: call.callId, caller: call.caller, endedAtMs: Date.now(), disposition, notes };
      setRecent(addRecentCall(window.localStorage, entry));
      setNotes('');
      dispatch({ type: 'wrapped_up' });
    } catch (e) {
      setError(e instanceof ApiError ? `${e.status} ${e.message}` : String(e));
    }
  };

  // The API takes notes of at most 4000 bytes (UTF-8: a Chinese character is 3).
  const notesBytes = new TextEncoder().encode(notes).length;
  const notesTooLong = notesBytes > MaxNotesBytes;
  const queueName = (id: string | null) => queues.find((q) => q.id === id)?.name ?? id ?? '—';
  const agentName = (id: string) => agents.find((a) => a.id === id)?.name ?? id;
  // An event's target is `kind:id`: agents (by id or extension) and queues by name, the rest as they come.
  const targetName = (target: string) => {
    const [kind, id] = [target.slice(0, target.indexOf(':')), target.slice(target.indexOf(':') + 1)];
    if (kind === 'agent') return agentName(id);
    if (kind === 'queue') return queueName(id);
    if (kind === 'extension') return agents.find((a) => a.extension === id)?.name ?? target;
    return target;
  };
  const duration = call.answeredAtMs !== null ? formatDuration(now - call.answeredAtMs) : call.alertedAtMs !== null ? formatDuration(now - call.alertedAtMs) : '';
  const sameCaller = recent.filter((r) => call.caller && r.caller === call.caller);

  return (
    <section className={`card call-panel phase-${call.phase}`} data-testid="call-panel" data-phase={call.phase}>
      <h2>
        <span data-testid="call-phase">{t(`call.${call.phase}`)}</span>
        {duration && <span className="since"> {duration}</span>}
        {call.muted && <span className="muted-flag"> · {t('call.mute')}</span>}
      </h2>
      {call.phase === 'idle' && call.endCause && <p className="notice">{t('call.lastEnded', { cause: causeLabel(t, call.endCause) })}</p>}
      {call.callId && (
        <div className="pop" data-testid="screen-pop">
          <dl>
            <dt>{t('call.caller')}</dt>
            <dd className="caller" data-testid="caller">{call.caller ?? '—'}</dd>
            <dt>{t('call.queue')}</dt>
            <dd>{queueName(call.queueId)}</dd>
          </dl>
          <div className="customer" data-testid="customer-card">
            <h3>{t('pop.customer')}</h3>
            {call.customer === null ? (
              <p className="notice">{t('pop.unknownCustomer')}</p>
            ) : call.customer.unavailable ? (
              <p className="notice" data-testid="customer-unavailable">
                {t('pop.unavailable')}
              </p>
            ) : (
              <dl>
                <dt>{t('pop.name')}</dt>
                <dd data-testid="customer-name">{call.customer.name ?? '—'}</dd>
                <dt>{t('pop.phones')}</dt>
                <dd data-testid="customer-phones">{call.customer.phones.join(', ') || '—'}</dd>
                {call.customer.idNumber !== null && (
                  <>
                    <dt>{t('pop.idNumber')}</dt>
                    <dd>{call.customer.idNumber}</dd>
                  </>
                )}
                {call.customer.accounts.length > 0 && (
                  <>
                    <dt>{t('pop.accounts')}</dt>
                    <dd>{call.customer.accounts.join(', ')}</dd>
                  </>
                )}
              </dl>
            )}
            <h3>{t('pop.lastInteractions')}</h3>
            {call.history.length === 0 ? (
              <p className="notice">{t('pop.noInteractions')}</p>
            ) : (
              <ol className="interactions" data-testid="last-interactions">
                {call.history.map((h) => (
                  <li key={h.callId} data-testid="interaction">
                    <span className="when">{new Date(h.atMs).toLocaleString()}</span> · {queueName(h.queueId)}
                    {h.agentId && ` · ${agentName(h.agentId)}`} · {t('pop.endedBy', { cause: causeLabel(t, h.cause) })}
                    {h.disposition && ` · ${dispositionLabel(t, h.disposition)}`}
                    {h.notes && <span className="notes"> · {h.notes}</span>}
                  </li>
                ))}
              </ol>
            )}
          </div>
          <div className="history">
            <h3>{t('pop.history')}</h3>
            {history.length === 0 ? (
              <p className="notice">{t('pop.noHistory')}</p>
            ) : (
              <ol data-testid="call-history">
                {history.map((e, i) => (
                  <li key={i}>
                    {new Date(e.at).toLocaleTimeString()} {e.type}
                    {e.target ? ` → ${targetName(e.target)}` : ''}
                    {e.cause ? ` (${causeLabel(t, e.cause)})` : ''}
                  </li>
                ))}
              </ol>
            )}
            <h3>{t('pop.recent')}</h3>
            {sameCaller.length === 0 ? (
              <p className="notice">{t('pop.noHistory')}</p>
            ) : (
              <ul>
                {sameCaller.slice(0, 5).map((r) => (
                  <li key={r.callId}>
                    {new Date(r.endedAtMs).toLocaleString()} · {dispositionLabel(t, r.disposition)} {r.notes && `· ${r.notes}`}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>
      )}
      <div className="row controls">
        <button className="go big" disabled={!ops.has('answer')} onClick={() => void run('answer', 'answer')} data-testid="call-answer">
          {t('call.answer')}
        </button>
        <button className="danger big" disabled={!ops.has('hangup')} onClick={() => void run('hangup', 'hangup')} data-testid="call-hangup">
          {t('call.hangup')}
        </button>
        {call.phase === 'held' ? (
          <button disabled={!ops.has('resume')} onClick={() => void run('resume', 'resume')} data-testid="call-resume">
            {t('call.resume')}
          </button>
        ) : (
          <button disabled={!ops.has('hold')} onClick={() => void run('hold', 'hold')} data-testid="call-hold">
            {t('call.hold')}
          </button>
        )}
        <button disabled={!ops.has('mute')} onClick={() => dispatch({ type: 'muted', muted: !call.muted })} data-testid="call-mute" aria-pressed={call.muted}>
          {call.muted ? t('call.unmute') : t('call.mute')}
        </button>
        <button disabled={!ops.has('dtmf')} onClick={() => setKeypad((k) => !k)} aria-pressed={keypad} data-testid="call-keypad">
          {t('call.keypad')}
        </button>
      </div>
      {keypad && ops.has('dtmf') && (
        <div className="keypad" data-testid="keypad">
          {KeypadKeys.map((k) => (
            <button key={k} onClick={() => void run('dtmf', 'dtmf', { digits: k })}>
              {k}
            </button>
          ))}
          <output>{call.digits}</output>
        </div>
      )}
      <div className="row transfer">
        <label>
          {t('call.targetKind')}{' '}
          <select value={kind} onChange={(e) => { setKind(e.target.value as TargetKind); setTarget(''); }} data-testid="target-kind">
            <option value="agent">{t('call.kind.agent')}</option>
            <option value="queue">{t('call.kind.queue')}</option>
            <option value="number">{t('call.kind.number')}</option>
          </select>
        </label>
        {kind === 'number' ? (
          <input value={target} onChange={(e) => setTarget(e.target.value)} placeholder="+8613800000000" inputMode="tel" aria-label={t('call.target')} data-testid="target" />
        ) : (
          <select value={target} onChange={(e) => setTarget(e.target.value)} aria-label={t('call.target')} data-testid="target">
            <option value="" />
            {kind === 'agent'
              ? agents.filter((a) => a.id !== agent.id).map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.extension})
                  </option>
                ))
              : queues.map((q) => (
                  <option key={q.id} value={q.id}>
                    {q.name}
                  </option>
                ))}
          </select>
        )}
        <button disabled={!ops.has('transfer') || !target} onClick={() => void run('transfer', 'transfer', targetBody())} data-testid="call-transfer">
          {t('call.transfer')}
        </button>
        <button disabled={!ops.has('consult') || !target} onClick={() => void run('consult', 'consult', targetBody())} data-testid="call-consult">
          {t('call.consult')}
        </button>
        <button disabled={!ops.has('complete')} onClick={() => void run('complete', 'consult/complete')} data-testid="call-complete">
          {t('call.complete')}
        </button>
        <button disabled={!ops.has('cancel')} onClick={() => void run('cancel', 'consult/cancel').then(() => call.callId && dispatch({ type: 'consult_cancelled', callId: call.callId }))} data-testid="call-cancel">
          {t('call.cancelConsult')}
        </button>
        <button disabled={!ops.has('conference')} onClick={() => void run('conference', 'conference')} data-testid="call-conference">
          {t('call.conference')}
        </button>
      </div>
      {call.phase === 'wrap_up' && (
        <div className="wrapup" data-testid="wrapup">
          <h3>{t('wrap.title')}</h3>
          <label>
            {t('wrap.disposition')}{' '}
            <select value={disposition} onChange={(e) => setDisposition(e.target.value)} data-testid="disposition">
              {Dispositions.map((d) => (
                <option key={d} value={d}>
                  {dispositionLabel(t, d)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('wrap.notes')}
            <textarea value={notes} onChange={(e) => setNotes(e.target.value)} rows={3} data-testid="notes" aria-invalid={notesTooLong} />
            <small className={notesTooLong ? 'error' : ''}>
              {notesBytes} / {MaxNotesBytes} B
            </small>
          </label>
          <div className="row">
            <button className="primary" disabled={notesTooLong} onClick={() => void finishWrapUp(false)} data-testid="wrapup-finish">
              {t('wrap.finish')}
            </button>
            <button disabled={notesTooLong} onClick={() => void finishWrapUp(true)}>
              {t('wrap.finishNotReady')}
            </button>
          </div>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}

function opLabel(op: CallOp): 'answer' | 'hangup' | 'hold' | 'resume' | 'keypad' | 'transfer' | 'consult' | 'complete' | 'cancelConsult' | 'conference' | 'mute' | 'wrap_up' {
  switch (op) {
    case 'dtmf':
      return 'keypad';
    case 'cancel':
      return 'cancelConsult';
    default:
      return op;
  }
}

function dispositionLabel(t: ReturnType<typeof useI18n>['t'], code: string): string {
  const d = Dispositions.find((x) => x === code);
  return d ? t(`disp.${d}`) : code;
}
