// The browser softphone (docs/web.md): ONE RTCPeerConnection to Kefu's media engine for the
// whole shift, negotiated over the event WebSocket with softphone.offer / softphone.answer.
// Calls are bridged onto it by the server, so answering needs no new negotiation. Mute is local.
import type { EventStream } from './events';
import type { StreamMessage } from '../state/call';

/** Where the softphone is. */
export type SoftphoneStatus = { kind: 'off' } | { kind: 'starting' } | { kind: 'on' } | { kind: 'failed'; message: string };

/** How long ICE gathering may take before the offer goes with what was gathered. */
const IceGatheringLimitMs = 3000;

/** One agent's (or supervisor's) softphone. */
export class Softphone {
  private pc: RTCPeerConnection | null = null;
  private stream: MediaStream | null = null;
  private unsubscribe: (() => void) | null = null;
  private statusValue: SoftphoneStatus = { kind: 'off' };

  /**
   * @param events the login's WebSocket
   * @param audio the element that plays what the far end sends
   * @param onStatus told of every status change
   */
  constructor(
    private readonly events: EventStream,
    private readonly audio: HTMLAudioElement,
    private readonly onStatus: (status: SoftphoneStatus) => void,
  ) {}

  /** @return the current status. */
  status(): SoftphoneStatus {
    return this.statusValue;
  }

  /** Takes the microphone, offers a connection (after ICE gathering completes) and waits for the answer. UI thread. */
  async start(): Promise<void> {
    if (this.pc) return;
    this.setStatus({ kind: 'starting' });
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      this.pc = pc;
      for (const track of this.stream.getAudioTracks()) pc.addTrack(track, this.stream);
      pc.ontrack = (event) => {
        this.audio.srcObject = event.streams[0] ?? new MediaStream([event.track]);
        void this.audio.play().catch(() => undefined);
      };
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'connected') this.setStatus({ kind: 'on' });
        if (pc.connectionState === 'failed') this.fail('connection failed');
      };
      this.unsubscribe = this.events.subscribe((message) => void this.onMessage(message));
      await pc.setLocalDescription(await pc.createOffer());
      await gatheringComplete(pc);
      if (!this.events.send({ type: 'softphone.offer', sdp: pc.localDescription?.sdp ?? '' })) {
        this.fail('event stream not connected');
      }
    } catch (e) {
      this.fail(e instanceof Error ? e.message : String(e));
    }
  }

  /** Drops the connection and releases the microphone. UI thread. */
  stop(): void {
    if (this.pc) this.events.send({ type: 'softphone.hangup' });
    this.release();
    this.setStatus({ kind: 'off' });
  }

  /** Mutes or unmutes the microphone (the track stays; it sends silence). UI thread. */
  setMuted(muted: boolean): void {
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = !muted;
  }

  private async onMessage(message: StreamMessage): Promise<void> {
    if (!this.pc) return;
    if (message.type === 'softphone.answer' && typeof message.sdp === 'string') {
      try {
        await this.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
      } catch (e) {
        this.fail(e instanceof Error ? e.message : String(e));
      }
    } else if (message.type === 'softphone.error') {
      this.fail(typeof message.message === 'string' ? message.message : 'refused');
    }
  }

  private fail(message: string): void {
    this.release();
    this.setStatus({ kind: 'failed', message });
  }

  private release(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.pc?.close();
    this.pc = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.audio.srcObject = null;
  }

  private setStatus(status: SoftphoneStatus): void {
    this.statusValue = status;
    this.onStatus(status);
  }
}

/** @return once `pc` has gathered every candidate (or after IceGatheringLimitMs). */
function gatheringComplete(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, IceGatheringLimitMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}
