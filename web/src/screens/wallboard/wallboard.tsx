// The supervisor wallboard: totals, one tile per queue, agent states, charts of the last hours,
// and listen / whisper / barge on an agent's call (through the supervisor's softphone).
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { Api, ApiError, api, type QueueInterval } from '../../api';
import { useConnected } from '../../app';
import { useI18n } from '../../i18n_context';
import { percent, reasonLabel, seconds } from '../../lib/format';
import { Softphone, type SoftphoneStatus } from '../../lib/softphone';
import { useNow, useReconnectEpoch, useStream } from '../../lib/use';
import { formatDuration } from '../../state/call';
import {
  EmptyWallboard,
  mergeIntervals,
  queuesTouchedBy,
  stateCounts,
  totalsOf,
  wallboardReducer,
  type AgentRow,
} from '../../state/wallboard';
import { Chart } from './chart';

/** Hours of history the charts show. */
const ChartHours = 8;
/** The charts' interval (seconds). */
const ChartIntervalS = 900;
/** How long queue refreshes are gathered before they are sent. */
const RefreshDelayMs = 100;

type MonitorMode = 'listen' | 'whisper' | 'barge';

/** The wallboard screen. */
export function WallboardPage() {
  const { t } = useI18n();
  const { events, session } = useConnected();
  const now = useNow();
  const epoch = useReconnectEpoch();
  const [board, dispatch] = useReducer(wallboardReducer, EmptyWallboard);
  const [error, setError] = useState<string | null>(null);
  const boardRef = useRef(board);
  boardRef.current = board;

  // Queues and agents, re-read whenever the stream comes (back) up; then every agent's state.
  useEffect(() => {
    let cancelled = false;
    Promise.all([Api.queues(), Api.agents()])
      .then(([queues, agents]) => {
        if (cancelled) return;
        dispatch({ type: 'queues', queues: queues.items });
        dispatch({ type: 'agents', agents: agents.items });
        for (const a of agents.items) {
          Api.agentState(a.id)
            .then((s) => !cancelled && dispatch({ type: 'agent_state', agentId: a.id, state: s.state, reason: s.reason, atMs: 0 }))
            .catch(() => undefined);
        }
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [epoch]);

  // Live figures: every second (events carry no figures), and soon after an event touches a queue.
  // Requests are gathered for RefreshDelayMs so a burst of events reads each queue once.
  const pending = useRef<{ ids: Set<string>; timer: ReturnType<typeof setTimeout> | null }>({ ids: new Set(), timer: null });
  const refresh = useCallback((ids: readonly string[]) => {
    const p = pending.current;
    for (const id of ids) p.ids.add(id);
    if (p.timer !== null) return;
    p.timer = setTimeout(() => {
      const batch = [...p.ids];
      p.ids.clear();
      p.timer = null;
      for (const id of batch) {
        Api.queueLive(id)
          .then((live) => dispatch({ type: 'live', live }))
          .catch(() => undefined);
      }
    }, RefreshDelayMs);
  }, []);
  useEffect(() => () => {
    if (pending.current.timer !== null) clearTimeout(pending.current.timer);
  }, []);
  useEffect(() => {
    const timer = setInterval(() => refresh(Object.keys(boardRef.current.queues)), 1000);
    return () => clearInterval(timer);
  }, [refresh]);
  const queueIds = Object.keys(board.queues).sort().join(',');
  useEffect(() => refresh(queueIds ? queueIds.split(',') : []), [queueIds, refresh]);

  useStream((message) => {
    dispatch({ type: 'message', message });
    const touched = queuesTouchedBy(message);
    if (touched.length > 0) refresh(touched.includes('*') ? Object.keys(boardRef.current.queues) : touched);
  });

  // Charts: the last hours per 15 minutes, re-read every minute.
  const [intervals, setIntervals] = useState<QueueInterval[][]>([]);
  useEffect(() => {
    const load = () => {
      const to = Date.now();
      const from = to - ChartHours * 3_600_000;
      const ids = queueIds ? queueIds.split(',') : [];
      Promise.all(ids.map((id) => Api.queueFigures(id, from, to, ChartIntervalS).then((f) => f.intervals)))
        .then(setIntervals)
        .catch(() => undefined);
    };
    load();
    const timer = setInterval(load, 60_000);
    return () => clearInterval(timer);
  }, [queueIds]);
  const points = useMemo(() => mergeIntervals(intervals), [intervals]);
  const labels = useMemo(() => points.map((p) => new Date(p.startMs).toTimeString().slice(0, 5)), [points]);
  const volumeOption = useMemo(
    () => ({
      backgroundColor: 'transparent',
      tooltip: { trigger: 'axis' },
      legend: { data: [t('queue.offered'), t('queue.answered'), t('queue.abandoned')], top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 24 },
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: t('queue.offered'), type: 'bar', data: points.map((p) => p.offered) },
        { name: t('queue.answered'), type: 'bar', data: points.map((p) => p.answered) },
        { name: t('queue.abandoned'), type: 'bar', data: points.map((p) => p.abandoned) },
      ],
    }),
    [labels, points, t],
  );
  const slOption = useMemo(
    () => ({
      backgroundColor: 'transparent',
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 16, top: 16, bottom: 24 },
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
      series: [{ name: t('queue.serviceLevel'), type: 'line', connectNulls: false, data: points.map((p) => (p.serviceLevel === null ? null : Math.round(p.serviceLevel * 100))) }],
    }),
    [labels, points, t],
  );

  // The supervisor's softphone, for monitoring.
  const audioRef = useRef<HTMLAudioElement>(null);
  const phoneRef = useRef<Softphone | null>(null);
  const [phoneStatus, setPhoneStatus] = useState<SoftphoneStatus>({ kind: 'off' });
  useEffect(() => {
    if (!audioRef.current) return;
    const phone = new Softphone(events, audioRef.current, setPhoneStatus);
    phoneRef.current = phone;
    return () => phone.stop();
  }, [events]);
  const [monitor, setMonitor] = useState<string | null>(null);
  const startMonitor = async (row: AgentRow, mode: MonitorMode) => {
    if (!row.callId) return;
    setMonitor(null);
    try {
      await api('POST', `/calls/${row.callId}/monitor`, { mode });
      setMonitor(t('wall.monitoring', { agent: row.name, mode: t(`wall.${mode}`) }));
    } catch (e) {
      setMonitor(e instanceof ApiError ? `${e.status} ${e.message}` : String(e));
    }
  };
  const canMonitor = session.user.role !== 'admin' && phoneStatus.kind === 'on';

  const tiles = Object.values(board.queues).sort((a, b) => a.name.localeCompare(b.name));
  const totals = totalsOf(tiles);
  const rows = Object.values(board.agents).sort((a, b) => a.extension.localeCompare(b.extension));
  const counts = stateCounts(rows);

  return (
    <div className="wallboard" data-testid="wallboard">
      {error && <p className="error">{t('common.error', { message: error })}</p>}
      <section className="totals">
        <Figure label={t('queue.waiting')} value={String(totals.waiting)} hot={totals.waiting > 0} testId="total-waiting" />
        <Figure label={t('queue.longestWait')} value={formatDuration(totals.longestWaitMs)} hot={totals.longestWaitMs > 30_000} />
        <Figure label={t('queue.offered')} value={String(totals.offered)} testId="total-offered" />
        <Figure label={t('queue.answered')} value={String(totals.answered)} testId="total-answered" />
        <Figure label={t('queue.abandoned')} value={String(totals.abandoned)} testId="total-abandoned" />
        <Figure label={t('queue.serviceLevel')} value={percent(totals.serviceLevel)} />
        <Figure label={t('queue.asa')} value={seconds(totals.asaMs)} />
        <Figure label={t('queue.aht')} value={seconds(totals.ahtMs)} />
      </section>
      <section className="queue-tiles">
        {tiles.map((q) => (
          <div className="tile" key={q.id} data-testid={`tile-${q.name}`}>
            <h3>{q.name}</h3>
            <div className={`big ${q.live && q.live.waiting > 0 ? 'hot' : ''}`}>{q.live?.waiting ?? '—'}</div>
            <dl>
              <dt>{t('queue.longestWait')}</dt>
              <dd>{q.live ? formatDuration(q.live.longest_wait_ms) : '—'}</dd>
              <dt>{t('queue.offered')}</dt>
              <dd>{q.live?.today.offered ?? '—'}</dd>
              <dt>{t('queue.answered')}</dt>
              <dd>{q.live?.today.answered ?? '—'}</dd>
              <dt>{t('queue.abandoned')}</dt>
              <dd>{q.live?.today.abandoned ?? '—'}</dd>
              <dt>{t('queue.serviceLevel')}</dt>
              <dd>{percent(q.live?.today.service_level ?? null)}</dd>
              <dt>{t('queue.asa')}</dt>
              <dd>{seconds(q.live?.today.average_speed_of_answer_ms ?? null)}</dd>
              <dt>{t('queue.aht')}</dt>
              <dd>{seconds(q.live?.today.average_handle_ms ?? null)}</dd>
              <dt>{t('queue.ready')}</dt>
              <dd>{q.live ? `${q.live.agents_ready}/${q.live.agents_staffed}` : '—'}</dd>
            </dl>
          </div>
        ))}
      </section>
      <section className="agents-panel">
        <h2>
          {t('wall.agents')}
          <span className="counts">
            {(['ready', 'busy', 'reserved', 'wrap_up', 'not_ready', 'logged_out'] as const).map((s) => (
              <span key={s} className={`chip state-${s}`}>
                {t(`agent.state.${s}`)} {counts[s]}
              </span>
            ))}
          </span>
          <span className="softphone">
            {phoneStatus.kind === 'off' || phoneStatus.kind === 'failed' ? (
              <button onClick={() => void phoneRef.current?.start()} disabled={session.user.role === 'admin'} data-testid="phone-on">
                {t('phone.title')}: {t('phone.on')}
              </button>
            ) : (
              <button onClick={() => phoneRef.current?.stop()}>
                {t('phone.title')}: {t(`phone.status.${phoneStatus.kind}`)} · {t('phone.off')}
              </button>
            )}
            {phoneStatus.kind === 'failed' && <span className="error"> {phoneStatus.message}</span>}
            <audio ref={audioRef} autoPlay />
          </span>
        </h2>
        {monitor && <p className="notice">{monitor}</p>}
        {!canMonitor && rows.some((r) => r.callId) && session.user.role !== 'admin' && <p className="notice">{t('wall.needPhone')}</p>}
        <div className="agent-grid">
          {rows.map((row) => (
            <div key={row.id} className={`agent-card state-${row.state ?? 'unknown'}`} data-testid={`agent-${row.extension}`} data-state={row.state ?? 'unknown'}>
              <div className="name">
                {row.name} <small>{row.extension}</small>
              </div>
              <div className="state">
                {t(`agent.state.${row.state ?? 'unknown'}`)}
                {row.reason && ` · ${reasonLabel(t, row.reason)}`}
                {row.sinceMs ? ` ${formatDuration(now - row.sinceMs)}` : ''}
              </div>
              {row.callId && (
                <div className="monitor">
                  {(['listen', 'whisper', 'barge'] as const).map((mode) => (
                    <button key={mode} disabled={!canMonitor} onClick={() => void startMonitor(row, mode)} data-testid={`monitor-${mode}-${row.extension}`}>
                      {t(`wall.${mode}`)}
                    </button>
                  ))}
                </div>
              )}
            </div>
          ))}
        </div>
      </section>
      <section className="charts">
        <div className="chart-box">
          <h3>{t('wall.chart.volume', { hours: ChartHours })}</h3>
          <Chart option={volumeOption} testId="chart-volume" />
        </div>
        <div className="chart-box">
          <h3>{t('wall.chart.sl')}</h3>
          <Chart option={slOption} testId="chart-sl" />
        </div>
      </section>
    </div>
  );
}

function Figure({ label, value, hot, testId }: { label: string; value: string; hot?: boolean; testId?: string }) {
  return (
    <div className={`figure ${hot ? 'hot' : ''}`}>
      <div className="label">{label}</div>
      <div className="value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}
