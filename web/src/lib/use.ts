// Small hooks the screens share.
import { useEffect, useState } from 'react';
import { useConnected } from '../app';
import type { StreamMessage } from '../state/call';

/** @return the time, updated every `periodMs` (for durations on screen). */
export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}

/** Calls `listener` with every stream message while mounted (the latest listener is used). */
export function useStream(listener: (message: StreamMessage) => void): void {
  const { events } = useConnected();
  const [holder] = useState(() => ({ current: listener }));
  holder.current = listener;
  useEffect(() => events.subscribe((m) => holder.current(m)), [events, holder]);
}

/** @return a value that changes each time the event stream comes (back) up, to re-read state. */
export function useReconnectEpoch(): number {
  const { live } = useConnected();
  const [epoch, setEpoch] = useState(0);
  useEffect(() => {
    if (live) setEpoch((e) => e + 1);
  }, [live]);
  return epoch;
}
