// Queues with their live figures, as a table (desktop) — the wallboard draws its own tiles.
import { useI18n } from '../../i18n_context';
import { percent } from '../../lib/format';
import { formatDuration } from '../../state/call';
import type { QueueTile } from '../../state/wallboard';

/** The queues as rows: waiting, longest wait, today's figures. */
export function QueueTable({ queues }: { queues: QueueTile[]; now: number }) {
  const { t } = useI18n();
  return (
    <table className="queue-table" data-testid="queue-table">
      <thead>
        <tr>
          <th />
          <th>{t('queue.waiting')}</th>
          <th>{t('queue.longestWait')}</th>
          <th>{t('queue.ready')}</th>
          <th>{t('queue.offered')}</th>
          <th>{t('queue.answered')}</th>
          <th>{t('queue.abandoned')}</th>
          <th>{t('queue.serviceLevel')}</th>
        </tr>
      </thead>
      <tbody>
        {queues.map((q) => (
          <tr key={q.id} data-testid={`queue-${q.name}`}>
            <th>{q.name}</th>
            <td className={q.live && q.live.waiting > 0 ? 'hot' : ''}>{q.live?.waiting ?? '—'}</td>
            <td>{q.live ? formatDuration(q.live.longest_wait_ms) : '—'}</td>
            <td>{q.live ? `${q.live.agents_ready}/${q.live.agents_staffed}` : '—'}</td>
            <td>{q.live?.today.offered ?? '—'}</td>
            <td>{q.live?.today.answered ?? '—'}</td>
            <td>{q.live?.today.abandoned ?? '—'}</td>
            <td>{percent(q.live?.today.service_level ?? null)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
