// The agent desktop: state control, softphone, the call (CallPanel) and the agent's queues.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { Api, ApiError, api, type Agent, type AgentLiveState, type Queue, type QueueLive } from '../../api';
import { useConnected } from '../../app';
import { useI18n } from '../../i18n_context';
import { reasonLabel } from '../../lib/format';
import { Softphone, type SoftphoneStatus } from '../../lib/softphone';
import { useNow, useReconnectEpoch, useStream } from '../../lib/use';
import {
  agentChangeFromMessage,
  agentReducer,
  NotReadyReasons,
  qualifiedQueues,
  stateControls,
  UnknownAgentState,
  type AgentState,
  type AgentStateChange,
} from '../../state/agent';
import { callActionFromMessage, callReducer, formatDuration, IdleCall } from '../../state/call';
import { recordCallEvent, type CallHistory } from '../../state/history';
import { queuesTouchedBy } from '../../state/wallboard';
import { CallPanel } from './call_panel';
import { QueueTable } from './queue_table';

/** The desktop of the user's agent (the agent whose user_id is the user). */
export function DesktopPage() {
  const { t } = useI18n();
  const { session } = useConnected();
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [queues, setQueues] = useState<Queue[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([Api.agents(), Api.queues()])
      .then(([a, q]) => {
        setAgents(a.items);
        setQueues(q.items);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  if (error) return <p className="error">{t('common.error', { message: error })}</p>;
  if (!agents) return <p className="notice">{t('common.loading')}</p>;
  const agent = agents.find((a) => a.user_id === session.user.id);
  if (!agent) return <p className="notice" data-testid="no-agent">{t('agent.noAgent', { user: session.user.username })}</p>;
  return <AgentDesktop agent={agent} agents={agents} queues={queues} />;
}

function AgentDesktop({ agent, agents, queues }: { agent: Agent; agents: Agent[]; queues: Queue[] }) {
  const { t } = useI18n();
  const { events } = useConnected();
  const now = useNow();
  const epoch = useReconnectEpoch();
  const [agentState, setAgentState] = useState<AgentState>(UnknownAgentState);
  const [call, dispatchCall] = useReducer(callReducer, IdleCall);
  const callIdRef = useRef<string | null>(null);
  callIdRef.current = call.callId;
  const [stateError, setStateError] = useState<string | null>(null);
  const [reason, setReason] = useState<string>(NotReadyReasons[0]);

  const applyState = useCallback(
    (change: AgentStateChange) => setAgentState((s) => agentReducer(s, agent.id, change)),
    [agent.id],
  );
  const applyAnswer = useCallback(
    (answer: AgentLiveState) =>
      applyState({ agentId: answer.agent_id, state: answer.state, reason: answer.reason, atMs: Date.now(), fromEvent: false }),
    [applyState],
  );

  // The state is re-read at start and whenever the stream comes back (events missed while down).
  useEffect(() => {
    Api.agentState(agent.id)
      .then(applyAnswer)
      .catch((e: unknown) => setStateError(e instanceof Error ? e.message : String(e)));
  }, [agent.id, applyAnswer, epoch]);

  // Queues this agent serves, with their live figures.
  const myQueues = useMemo(() => qualifiedQueues(agent, queues).sort((a, b) => a.name.localeCompare(b.name)), [agent, queues]);
  const [live, setLive] = useState<Record<string, QueueLive>>({});
  const refreshLive = useCallback(
    (ids: readonly string[]) => {
      for (const id of ids) {
        Api.queueLive(id)
          .then((l) => setLive((prev) => ({ ...prev, [id]: l })))
          .catch(() => undefined);
      }
    },
    [],
  );
  useEffect(() => {
    const ids = myQueues.map((q) => q.id);
    refreshLive(ids);
    const timer = setInterval(() => refreshLive(ids), 2000);
    return () => clearInterval(timer);
  }, [myQueues, refreshLive, epoch]);

  // Every call's events as the stream showed them, for the screen pop (agents may not read them back).
  const historyRef = useRef<CallHistory>(new Map());
  const [historyTick, setHistoryTick] = useState(0);

  useStream((message) => {
    if (recordCallEvent(historyRef.current, message) && (message.id === callIdRef.current || message.type === 'call.ringing')) {
      setHistoryTick((n) => n + 1);
    }
    const change = agentChangeFromMessage(message);
    if (change) applyState(change);
    const action = callActionFromMessage(message, agent.id, callIdRef.current, Date.now());
    if (action) dispatchCall(action);
    const touched = queuesTouchedBy(message).filter((id) => id !== '*');
    const mine = touched.filter((id) => myQueues.some((q) => q.id === id));
    if (mine.length > 0) refreshLive(mine);
  });

  const changeState = async (what: 'login' | 'logout' | 'ready' | 'not-ready') => {
    setStateError(null);
    try {
      const body = what === 'not-ready' ? { reason } : undefined;
      applyAnswer(await api<AgentLiveState>('POST', `/agents/${agent.id}/${what}`, body));
    } catch (e) {
      setStateError(e instanceof ApiError ? `${e.status} ${e.message}` : String(e));
    }
  };

  // The softphone lives as long as the desktop.
  const audioRef = useRef<HTMLAudioElement>(null);
  const [phoneStatus, setPhoneStatus] = useState<SoftphoneStatus>({ kind: 'off' });
  const phoneRef = useRef<Softphone | null>(null);
  useEffect(() => {
    if (!audioRef.current) return;
    const phone = new Softphone(events, audioRef.current, setPhoneStatus);
    phoneRef.current = phone;
    return () => {
      phone.stop();
      phoneRef.current = null;
    };
  }, [events]);
  useEffect(() => phoneRef.current?.setMuted(call.muted), [call.muted]);

  const streamHistory = useMemo(
    () => [...((call.callId && historyRef.current.get(call.callId)) || [])],
    // historyTick: the history of the current call grew.
    [call.callId, historyTick],
  );
  const controls = stateControls(agentState.state);
  const stateName = agentState.state ?? 'unknown';
  return (
    <div className="desktop">
      <section className="card state-panel">
        <h2>
          {agent.name} <small>#{agent.extension}</small>
        </h2>
        <div className={`state-badge state-${stateName}`} data-testid="agent-state" data-state={stateName}>
          {t(`agent.state.${stateName}`)}
          {agentState.reason && <span> · {reasonLabel(t, agentState.reason)}</span>}
          {agentState.sinceMs !== null && <span className="since"> {formatDuration(now - agentState.sinceMs)}</span>}
        </div>
        <div className="row">
          {controls.login && (
            <button className="primary" onClick={() => void changeState('login')} data-testid="state-login">
              {t('agent.login')}
            </button>
          )}
          <button className="go" disabled={!controls.ready} onClick={() => void changeState('ready')} data-testid="state-ready">
            {t('agent.ready')}
          </button>
          <select value={reason} onChange={(e) => setReason(e.target.value)} aria-label={t('agent.reason')} data-testid="reason">
            {NotReadyReasons.map((r) => (
              <option key={r} value={r}>
                {reasonLabel(t, r)}
              </option>
            ))}
          </select>
          <button disabled={!controls.notReady} onClick={() => void changeState('not-ready')} data-testid="state-not-ready">
            {t('agent.notReady')}
          </button>
          {controls.logout && (
            <button className="link" onClick={() => void changeState('logout')} data-testid="state-logout">
              {t('agent.logout')}
            </button>
          )}
        </div>
        {stateError && <p className="error">{stateError}</p>}
        <div className="softphone">
          <strong>{t('phone.title')}</strong>{' '}
          <span className={`phone-${phoneStatus.kind}`} data-testid="phone-status">
            {phoneStatus.kind === 'failed'
              ? t('phone.status.failed', { message: phoneStatus.message })
              : t(`phone.status.${phoneStatus.kind}`)}
          </span>{' '}
          {phoneStatus.kind === 'off' || phoneStatus.kind === 'failed' ? (
            <button onClick={() => void phoneRef.current?.start()} data-testid="phone-on">
              {t('phone.on')}
            </button>
          ) : (
            <button onClick={() => phoneRef.current?.stop()} data-testid="phone-off">
              {t('phone.off')}
            </button>
          )}
          <audio ref={audioRef} autoPlay data-testid="remote-audio" />
        </div>
      </section>
      <CallPanel
        agent={agent}
        agents={agents}
        queues={queues}
        call={call}
        dispatch={dispatchCall}
        now={now}
        streamHistory={streamHistory}
      />
      <section className="card queues-panel">
        <h2>{t('queue.situation')}</h2>
        <QueueTable queues={myQueues.map((q) => ({ id: q.id, name: q.name, live: live[q.id] ?? null }))} now={now} />
      </section>
    </div>
  );
}
