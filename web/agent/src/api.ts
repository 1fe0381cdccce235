// The REST API (internal/api/openapi.json): the types the workspace reads and
// one fetch wrapper. A 401 anywhere but sign-in tells the app the session has
// ended; the app shows the sign-in over the workspace, which stays mounted,
// so nothing typed is lost.

export type Ref = { id: number; name: string };
export type ChannelRef = { id: number; name: string; kind: string };
export type Presence = "ready" | "not_ready" | "paused" | "pause_pending" | "offline";
export type Role = "admin" | "supervisor" | "agent";

export type Me = {
  id: number;
  name: string;
  email: string;
  role: Role;
  account: Ref;
  departments: Ref[];
};

export type AgentStatus = {
  presence: Presence;
  since: string | null;
  pause_reason: Ref | null;
  load: number;
  capacity: number;
};

export type PauseReason = { id: number; name: string; active: boolean };
export type CloseReason = { id: number; name: string; department_id: number | null; active: boolean };

export type ConversationStatus = "opening" | "queued" | "active" | "waiting" | "inactive" | "closed" | "abandoned";

export type Summary = {
  id: number;
  protocol: string;
  status: ConversationStatus;
  subject: string;
  contact: Ref;
  department: Ref;
  channel: ChannelRef | null;
  agent: Ref | null;
  offer_agent_id: number | null;
  opened_at: string;
  queued_at: string | null;
  assigned_at: string | null;
  last_customer_at: string | null;
  last_agent_at: string | null;
  closed_at: string | null;
  updated_at: string;
  draft?: string;
  unread?: number;
  // The newest message to or from the customer (never an internal note).
  last_message: MessagePreview | null;
};

export type MessagePreview = {
  id: number;
  direction: "in" | "out";
  kind: string;
  sender_type: "contact" | "agent" | "system" | "bot";
  body: string;
  attachments: string[];
  created_at: string;
};

export type ContactInfo = { id: number; name: string; trade_name: string; document: string; emails: string[]; phones: string[] };

export type Metrics = { tta: number; queue_wait: number; tm1r: number; tmr: number; responses: number };

export type Details = Omit<Summary, "contact"> & {
  contact: ContactInfo;
  tags: string[];
  close_reason: Ref | null;
  resolved: boolean | null;
  external_protocol: string;
  offer_expires_at: string | null;
  metrics: Metrics;
  last_seq: number;
  last_read_seq: number;
};

export type Attachment = { id: string; name: string; content_type: string; size: number };

export type Message = {
  id: number;
  conversation_id: number;
  seq: number;
  direction: "in" | "out" | "note" | "system";
  kind: string;
  sender_type: "contact" | "agent" | "system" | "bot";
  sender_id: number | null;
  body: string;
  quoted_message_id: number | null;
  attachments: Attachment[];
  status: "received" | "pending" | "sent" | "delivered" | "read" | "failed";
  status_error: string;
  created_at: string;
};

export type Queue = {
  department: Ref;
  queued: number;
  offered: number;
  oldest_queued_at: string | null;
  channels: { channel: ChannelRef | null; queued: number; offered: number }[];
};

export type AgentLive = AgentStatus & { id: number; name: string; role: Role; serving: number };
export type TransferTarget = { id: number; name: string; presence: Presence };
export type Canned = { id: number; scope: string; department: Ref | null; shortcut: string; title: string; body: string; rendered?: string };
export type RoutingSettings = {
  distribution: "auto" | "manual";
  policy: string;
  offer_mode: "offer" | "direct";
  offer_timeout_s: number;
  binding: boolean;
  binding_notify: boolean;
  inactivity_s: number;
  abandonment_s: number;
  close_reason_required: boolean;
};
export type PageView = { url: string; title: string; at: string; seconds: number };
export type Visitor = {
  id: number;
  channel_id: number;
  name: string;
  email: string;
  browser: string;
  os: string;
  device: string;
  ip: string;
  language: string;
  time_zone: string;
  visits: number;
  seconds_on_site: number;
  current_page: PageView | null;
  pages: PageView[];
  online: boolean;
  contact: Ref | null;
  chatting: boolean;
  conversation_id: number | null;
};

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};
export function whenUnauthorized(fn: () => void) {
  onUnauthorized = fn;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const init: RequestInit = { method, headers: { ...headers }, credentials: "same-origin" };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["Content-Type"] = "application/json";
  }
  const res = await fetch("/api/v1" + path, init);
  if (res.status === 401 && path !== "/auth/login") onUnauthorized();
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? "error", data?.error?.message ?? res.statusText, data?.error?.field);
  return data as T;
}

export const get = <T>(path: string) => api<T>("GET", path);
export const post = <T = null>(path: string, body?: unknown, headers?: Record<string, string>) => api<T>("POST", path, body ?? {}, headers);
export const put = <T = null>(path: string, body?: unknown) => api<T>("PUT", path, body);
export const patch = <T = null>(path: string, body?: unknown) => api<T>("PATCH", path, body);
export const del = <T = null>(path: string) => api<T>("DELETE", path);

export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? "?" + s : "";
}
