// The one WebSocket to Kefu (GET /api/v1/events): events in, softphone messages both ways.
// Reconnects with a growing delay; listeners learn when it is up or down so screens can re-read
// what they show (events missed while down are not replayed).
import type { StreamMessage } from '../state/call';

type Listener = (message: StreamMessage) => void;
type StatusListener = (up: boolean) => void;

/** The event stream of one login. */
export class EventStream {
  private socket: WebSocket | null = null;
  private listeners = new Set<Listener>();
  private statusListeners = new Set<StatusListener>();
  private closed = false;
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private up = false;

  /** @param token the bearer token, sent as `access_token` (browsers cannot set headers on a WebSocket). */
  constructor(private readonly token: string) {}

  /** Opens the socket (again after a drop). UI thread. */
  open(): void {
    if (this.closed) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/events?access_token=${encodeURIComponent(this.token)}`);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      this.setUp(true);
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null || typeof (message as { type?: unknown }).type !== 'string') return;
      for (const listener of [...this.listeners]) listener(message as StreamMessage);
    };
    socket.onclose = () => {
      this.socket = null;
      this.setUp(false);
      if (this.closed) return;
      this.timer = setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  /** Closes the socket for good. UI thread. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = null;
  }

  /** @return whether the message was handed to an open socket. UI thread. */
  send(message: object): boolean {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** @return whether the socket is open now. */
  isUp(): boolean {
    return this.up;
  }

  /** Calls `listener` with every message; @return a function that stops it. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` when the socket goes up or down; @return a function that stops it. */
  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    for (const listener of [...this.statusListeners]) listener(up);
  }
}
