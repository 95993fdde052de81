// The supervisor wallboard: totals, one tile per queue, agent states, charts of the last hours,
// and listen / whisper / barge on an agent's call (through the supervisor's softphone).
import { memo, startTransition, useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState, type RefObject } from 'react';
import { Api, ApiError, api, type QueueInterval, type QueueLive } from '../../api';
import { useConnected } from '../../app';
import { useI18n } from '../../i18n_context';
import { percent, reasonLabel, seconds } from '../../lib/format';
import { Softphone, type SoftphoneStatus } from '../../lib/softphone';
import { useReconnectEpoch, useStream } from '../../lib/use';
import { formatDuration, type StreamMessage } from '../../state/call';
import {
  Batcher,
  EmptyWallboard,
  mergeIntervals,
  liveReadSet,
  messagesAction,
  queuesTouchedBy,
  readInSlices,
  stateCounts,
  totalsOf,
  wallboardReducer,
  type AgentRow,
  type QueueTile,
  type WallboardAction,
} from '../../state/wallboard';
import { Chart } from './chart';

/** Hours of history the charts show. */
const ChartHours = 8;
/** The charts' interval (seconds). */
const ChartIntervalS = 900;
/** How long stream messages are gathered before they are applied as one update. */
const BatchMs = 200;
/** How often the queues' live figures are re-read (events carry no figures). */
const LiveRefreshMs = 1000;
/**
 * Live reads started together, and the pause between such slices: starting 50 fetches in one
 * task took 30–40 ms of the main thread (two or more dropped frames every second).
 */
const LiveReadsPerSlice = 5;
const LiveSliceMs = 40;
/**
 * Every queue is re-read this often; in between, each second reads only the queues whose figures
 * can be seen to change (liveReadSet): 50 reads a second were most of the page's own work.
 */
const LiveFullRefreshMs = 5000;

type MonitorMode = 'listen' | 'whisper' | 'barge';

/** The wallboard screen. */
export function WallboardPage() {
  const { t } = useI18n();
  const { events, session } = useConnected();
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
        // Every agent's state, applied as one update once all are read.
        return Promise.all(
          agents.items.map((a) =>
            Api.agentState(a.id).then(
              (s): WallboardAction => ({ type: 'agent_state', agentId: a.id, state: s.state, reason: s.reason, atMs: 0 }),
              () => null,
            ),
          ),
        ).then((actions) => {
          if (!cancelled) dispatch({ type: 'batch', actions: actions.filter((a): a is WallboardAction => a !== null) });
        });
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
    };
  }, [epoch]);

  // Live figures: all queues every second, their answers applied as one update (an agent's
  // state change moves the ready counts of many queues, so events do not trigger reads of their
  // own: at hundreds of changes a second that was hundreds of reads and board renders).
  // The reads of a round are started a few at a time (LiveReadsPerSlice every LiveSliceMs) and
  // their answers applied together as a transition: the tiles are not urgent, frames are.
  const touchedRef = useRef(new Set<string>());
  const tilesRef = useRef<HTMLElement>(null);
  useEffect(() => {
    let cancelled = false;
    let inFlight = false;
    let lastFullMs = 0;
    let stopSlices: () => void = () => undefined;
    const load = () => {
      if (inFlight) return;
      const now = Date.now();
      const full = now - lastFullMs >= LiveFullRefreshMs;
      const ids = liveReadSet({
        all: Object.keys(boardRef.current.queues),
        visible: full ? new Set() : visibleTiles(tilesRef.current),
        touched: touchedRef.current,
        full,
        queues: boardRef.current.queues,
      });
      touchedRef.current = new Set();
      if (full) lastFullMs = now;
      if (ids.length === 0) return;
      inFlight = true;
      const read = readInSlices(ids, (id) => Api.queueLive(id).catch(() => null), LiveReadsPerSlice, (next) => {
        const timer = setTimeout(next, LiveSliceMs);
        return () => clearTimeout(timer);
      });
      stopSlices = read.cancel;
      read.answers
        .then((answers) => {
          if (cancelled) return;
          const lives = answers.filter((l): l is QueueLive => l !== null);
          if (lives.length > 0) startTransition(() => dispatch({ type: 'lives', lives }));
        })
        .finally(() => {
          inFlight = false;
        });
    };
    const timer = setInterval(load, LiveRefreshMs);
    return () => {
      cancelled = true;
      clearInterval(timer);
      stopSlices();
    };
  }, []);
  const queueIds = Object.keys(board.queues).sort().join(',');
  useEffect(() => {
    // A new set of queues is read at once rather than at the next tick.
    let cancelled = false;
    const ids = queueIds ? queueIds.split(',') : [];
    Promise.all(ids.map((id) => Api.queueLive(id).catch(() => null))).then((answers) => {
      const lives = answers.filter((l): l is QueueLive => l !== null);
      if (!cancelled && lives.length > 0) dispatch({ type: 'lives', lives });
    });
    return () => {
      cancelled = true;
    };
  }, [queueIds]);

  // Stream messages are applied in batches, one update every BatchMs: rendering at every frame
  // while hundreds of agents change state a second left no frame time for painting.
  const [batcher] = useState(
    () =>
      new Batcher<StreamMessage>(
        (callback) => {
          // The first animation frame after BatchMs (a timer alone when the page gets no frames).
          let frame = 0;
          const timer = setTimeout(() => {
            frame = requestAnimationFrame(callback);
          }, BatchMs);
          const fallback = setTimeout(callback, BatchMs + 250);
          return () => {
            clearTimeout(timer);
            clearTimeout(fallback);
            cancelAnimationFrame(frame);
          };
        },
        (messages) => dispatch(messagesAction(messages)),
      ),
  );
  useEffect(() => () => batcher.dispose(), [batcher]);
  useStream((message) => {
    batcher.push(message);
    // Calls and interactions name their queue: its figures are read at the next second.
    if (!message.type.startsWith('agent.')) for (const id of queuesTouchedBy(message)) touchedRef.current.add(id);
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
  const startMonitor = useCallback(
    async (row: AgentRow, mode: MonitorMode) => {
      if (!row.callId) return;
      setMonitor(null);
      try {
        await api('POST', `/calls/${row.callId}/monitor`, { mode });
        setMonitor(t('wall.monitoring', { agent: row.name, mode: t(`wall.${mode}`) }));
      } catch (e) {
        setMonitor(e instanceof ApiError ? `${e.status} ${e.message}` : String(e));
      }
    },
    [t],
  );
  const canMonitor = session.user.role !== 'admin' && phoneStatus.kind === 'on';

  const tiles = useMemo(() => Object.values(board.queues).sort((a, b) => a.name.localeCompare(b.name)), [board.queues]);
  const totals = useMemo(() => totalsOf(tiles), [tiles]);
  // Sorted with a plain comparison: localeCompare over 500 rows on every frame costs milliseconds.
  const rows = useMemo(() => Object.values(board.agents).sort((a, b) => byExtension(a.extension, b.extension)), [board.agents]);
  const counts = useMemo(() => stateCounts(rows), [rows]);

  // Time in state ticks every second by writing the cards' duration text directly: re-rendering
  // 500 cards each second for it would cost frames. Only the cards on screen are written (the grid
  // does not scroll; cards are in reading order, so the first one below the grid ends the walk).
  const gridRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const timer = setInterval(() => {
      const grid = gridRef.current;
      if (!grid) return;
      const now = Date.now();
      // All positions are read before any text is written: a read after a write would lay out
      // again, once per card.
      const bottom = grid.getBoundingClientRect().bottom;
      const onScreen: HTMLElement[] = [];
      for (const el of grid.querySelectorAll<HTMLElement>('[data-since]')) {
        if (el.getBoundingClientRect().top >= bottom) break;
        onScreen.push(el);
      }
      for (const el of onScreen) {
        // An unchanged text is not written: a write dirties the card's layout even when equal.
        const text = sinceText(now, Number(el.dataset.since));
        if (el.textContent !== text) el.textContent = text;
      }
    }, 1000);
    return () => clearInterval(timer);
  }, []);

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
      <QueueTiles tiles={tiles} t={t} tilesRef={tilesRef} />
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
        <AgentGrid rows={rows} canMonitor={canMonitor} onMonitor={startMonitor} t={t} gridRef={gridRef} />
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

/** @return the ids of the queues whose tiles are (partly) inside the tiles' scrolling area now. */
function visibleTiles(area: HTMLElement | null): Set<string> {
  const ids = new Set<string>();
  if (!area) return ids;
  const box = area.getBoundingClientRect();
  for (const tile of area.querySelectorAll<HTMLElement>('[data-queue]')) {
    const r = tile.getBoundingClientRect();
    if (r.bottom > box.top && r.top < box.bottom && tile.dataset.queue) ids.add(tile.dataset.queue);
  }
  return ids;
}

/** @return extensions in order: by length, then by text (so 99 comes before 100). */
function byExtension(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

type Translate = ReturnType<typeof useI18n>['t'];

/** @return the time in state shown on a card (with its leading space), or nothing. */
function sinceText(now: number, sinceMs: number): string {
  return sinceMs ? ` ${formatDuration(now - sinceMs)}` : '';
}

/** The queue tiles; re-renders only when a tile changes (not with every agent batch). */
const QueueTiles = memo(function QueueTiles({
  tiles,
  t,
  tilesRef,
}: {
  tiles: readonly QueueTile[];
  t: Translate;
  tilesRef: RefObject<HTMLElement>;
}) {
  return (
    <section className="queue-tiles" ref={tilesRef}>
      {tiles.map((q) => (
        <QueueTileView key={q.id} tile={q} t={t} />
      ))}
    </section>
  );
});

/** The agent cards; re-renders only when an agent changes (not with the queues' figures). */
const AgentGrid = memo(function AgentGrid({
  rows,
  canMonitor,
  onMonitor,
  t,
  gridRef,
}: {
  rows: readonly AgentRow[];
  canMonitor: boolean;
  onMonitor: (row: AgentRow, mode: MonitorMode) => Promise<void>;
  t: Translate;
  gridRef: RefObject<HTMLDivElement>;
}) {
  return (
    <div className="agent-grid" ref={gridRef}>
      {rows.map((row) => (
        <AgentCard key={row.id} row={row} canMonitor={canMonitor} onMonitor={onMonitor} t={t} />
      ))}
    </div>
  );
});

/** One queue's tile; re-renders only when its figures (or the language) change. */
const QueueTileView = memo(function QueueTileView({ tile: q, t }: { tile: QueueTile; t: Translate }) {
  return (
    <div className="tile" data-testid={`tile-${q.name}`} data-queue={q.id}>
      <h3 title={q.name}>{q.name}</h3>
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
  );
});

/** One agent's card; re-renders only when its row (or monitoring, or the language) changes. */
const AgentCard = memo(function AgentCard({
  row,
  canMonitor,
  onMonitor,
  t,
}: {
  row: AgentRow;
  canMonitor: boolean;
  onMonitor: (row: AgentRow, mode: MonitorMode) => Promise<void>;
  t: Translate;
}) {
  // The duration's text is owned by the DOM (the grid's ticker rewrites it); set it here when
  // the state changes so a new state shows its time at once.
  const since = useRef<HTMLSpanElement>(null);
  useLayoutEffect(() => {
    if (since.current) since.current.textContent = sinceText(Date.now(), row.sinceMs ?? 0);
  }, [row.sinceMs]);
  return (
    // The colour follows data-state (a style rule, no class change); data-call lets the card grow
    // for the monitor buttons.
    <div
      className="agent-card"
      data-testid={`agent-${row.extension}`}
      data-state={row.state ?? 'unknown'}
      data-call={row.callId ? '' : undefined}
    >
      <div className="name">
        {row.name} <small>{row.extension}</small>
      </div>
      <div className="state">
        {t(`agent.state.${row.state ?? 'unknown'}`)}
        {row.reason && ` · ${reasonLabel(t, row.reason)}`}
        <span ref={since} data-since={row.sinceMs ?? 0} />
      </div>
      {row.callId && (
        <div className="monitor">
          {(['listen', 'whisper', 'barge'] as const).map((mode) => (
            <button key={mode} disabled={!canMonitor} onClick={() => void onMonitor(row, mode)} data-testid={`monitor-${mode}-${row.extension}`}>
              {t(`wall.${mode}`)}
            </button>
          ))}
        </div>
      )}
    </div>
  );
});
