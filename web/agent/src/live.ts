// The event stream (docs/events.md): one WebSocket per tab. It starts after
// the account's newest sequence (read before the state is loaded), resumes
// from the last sequence received after a drop, and on "reload" tells every
// listener to fetch its state again before it reconnects.
import { get } from "./api";

export type LiveEvent = {
  kind: string;
  conversation_id?: number;
  message_id?: number;
  agent_id?: number;
  department_id?: number;
  visitor_id?: number;
  status?: string;
  name?: string;
  last_read_seq?: number;
};

type Listener = (e: LiveEvent) => void;

export class Live {
  private seq = 0;
  private ws: WebSocket | null = null;
  private listeners = new Set<Listener>();
  private stateListeners = new Set<(connected: boolean) => void>();
  private retry = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  connected = false;

  // start reads where the stream stands now; call it before loading state.
  async start() {
    this.stopped = false;
    const { seq } = await get<{ seq: number }>("/events/last");
    this.seq = seq;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
  }

  // reconnectNow retries at once (after signing in again, say).
  reconnectNow() {
    if (this.connected || this.stopped) return;
    clearTimeout(this.timer);
    this.retry = 0;
    const old = this.ws;
    this.ws = null;
    old?.close();
    this.connect();
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onState(fn: (connected: boolean) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  typing(conversationId: number) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "typing", conversation_id: conversationId }));
  }

  private emit(e: LiveEvent) {
    for (const fn of this.listeners) fn(e);
  }

  private setConnected(v: boolean) {
    this.connected = v;
    for (const fn of this.stateListeners) fn(v);
  }

  private connect() {
    if (this.stopped) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/api/v1/ws?after=${this.seq}`);
    this.ws = ws;
    let reload = false;
    ws.onmessage = (m) => {
      const f = JSON.parse(m.data);
      if (f.type === "event") {
        this.seq = Math.max(this.seq, f.seq);
        this.emit(f.data as LiveEvent);
      } else if (f.type === "synced") {
        this.seq = Math.max(this.seq, f.seq);
        this.retry = 0;
        this.setConnected(true);
      } else if (f.type === "typing") {
        this.emit({ kind: "typing", conversation_id: f.conversation_id, name: f.name });
      } else if (f.type === "reload") {
        reload = true;
      }
    };
    ws.onclose = async () => {
      if (this.ws !== ws) return;
      this.setConnected(false);
      if (this.stopped) return;
      if (reload) {
        // Too much was missed: start over from the newest sequence and let
        // everyone fetch their state again.
        try {
          this.seq = (await get<{ seq: number }>("/events/last")).seq;
        } catch {
          /* retried below */
        }
        this.emit({ kind: "reload" });
      }
      const wait = Math.min(10000, 500 * 2 ** this.retry++);
      this.timer = setTimeout(() => this.connect(), reload ? 0 : wait);
    };
  }
}

export const live = new Live();
