-- +goose Up
-- The conversation engine: contacts, channels, conversations, messages,
-- routing state, durable timers and the outbox.

ALTER TABLE accounts ADD COLUMN external_protocol_required BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE accounts ADD COLUMN next_protocol BIGINT NOT NULL DEFAULT 1;

-- Routing settings live on the department.
ALTER TABLE departments ADD COLUMN distribution TEXT NOT NULL DEFAULT 'auto' CHECK (distribution IN ('auto', 'manual'));
ALTER TABLE departments ADD COLUMN policy TEXT NOT NULL DEFAULT 'least_busy' CHECK (policy IN ('least_busy', 'round_robin', 'longest_idle'));
ALTER TABLE departments ADD COLUMN offer_mode TEXT NOT NULL DEFAULT 'offer' CHECK (offer_mode IN ('offer', 'direct'));
ALTER TABLE departments ADD COLUMN offer_timeout_s INTEGER NOT NULL DEFAULT 30;
ALTER TABLE departments ADD COLUMN binding BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE departments ADD COLUMN binding_notify BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE departments ADD COLUMN inactivity_s INTEGER NOT NULL DEFAULT 1800;
ALTER TABLE departments ADD COLUMN abandonment_s INTEGER NOT NULL DEFAULT 172800;
ALTER TABLE departments ADD COLUMN close_reason_required BOOLEAN NOT NULL DEFAULT false;
-- Round robin hands the next conversation to the member after this one.
ALTER TABLE departments ADD COLUMN rr_cursor BIGINT NOT NULL DEFAULT 0;

-- Contacts. search_text is the lower-cased, accent-free concatenation of
-- everything people search by (name, trade name, e-mails, phones, CPF/CNPJ),
-- kept by the contact package, so one LIKE serves both engines.
CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    name            TEXT NOT NULL,
    trade_name      TEXT NOT NULL DEFAULT '',
    document        TEXT NOT NULL DEFAULT '',
    notes           TEXT NOT NULL DEFAULT '',
    custom_fields   TEXT NOT NULL DEFAULT '{}',
    search_text     TEXT NOT NULL DEFAULT '',
    merged_into_id  BIGINT REFERENCES contacts (id),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX contacts_account_idx ON contacts (account_id, id);
CREATE INDEX contacts_document_idx ON contacts (account_id, document);

-- Identities: how a contact is recognised on each channel. E-mails and
-- phones may be shared by several contacts; channel ids (wa_id, Telegram id,
-- PSID, IGSID, visitor id) belong to one contact per account.
CREATE TABLE contact_identities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    kind       TEXT NOT NULL CHECK (kind IN ('email', 'phone', 'whatsapp', 'telegram', 'messenger', 'instagram', 'visitor')),
    value      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX contact_identities_contact_key ON contact_identities (contact_id, kind, value);
CREATE UNIQUE INDEX contact_identities_channel_key ON contact_identities (account_id, kind, value) WHERE kind NOT IN ('email', 'phone');
CREATE INDEX contact_identities_lookup_idx ON contact_identities (account_id, kind, value);

-- Channels: one connected account each (a widget, a WhatsApp number, a bot).
CREATE TABLE channels (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    settings      TEXT NOT NULL DEFAULT '{}',
    rate_per_s    INTEGER NOT NULL DEFAULT 20,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    deleted_at    TIMESTAMP
);
CREATE INDEX channels_account_idx ON channels (account_id, id);

CREATE TABLE close_reasons (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    department_id BIGINT REFERENCES departments (id),
    name          TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT true,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX close_reasons_account_idx ON close_reasons (account_id, id);

CREATE TABLE pause_reasons (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX pause_reasons_account_idx ON pause_reasons (account_id, id);

-- Conversations. version is bumped by every change: each transition is a
-- conditional update on (id, status, version), so two writers never both win.
-- queued_at is the original queue time: a transfer to another department or
-- a return to the queue keeps it, so the conversation keeps its place.
CREATE TABLE conversations (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          BIGINT NOT NULL REFERENCES accounts (id),
    protocol            TEXT NOT NULL,
    channel_id          BIGINT REFERENCES channels (id),
    department_id       BIGINT NOT NULL REFERENCES departments (id),
    contact_id          BIGINT NOT NULL REFERENCES contacts (id),
    agent_id            BIGINT REFERENCES users (id),
    status              TEXT NOT NULL CHECK (status IN ('opening', 'queued', 'active', 'waiting', 'inactive', 'closed', 'abandoned')),
    version             BIGINT NOT NULL DEFAULT 1,
    subject             TEXT NOT NULL DEFAULT '',
    priority            INTEGER NOT NULL DEFAULT 0,
    out_of_hours        BOOLEAN NOT NULL DEFAULT false,
    case_id             BIGINT,
    offer_agent_id      BIGINT REFERENCES users (id),
    offer_expires_at    TIMESTAMP,
    preferred_agent_id  BIGINT REFERENCES users (id),
    close_reason_id     BIGINT REFERENCES close_reasons (id),
    resolved            BOOLEAN,
    external_protocol   TEXT NOT NULL DEFAULT '',
    last_seq            BIGINT NOT NULL DEFAULT 0,
    opened_at           TIMESTAMP NOT NULL,
    queued_at           TIMESTAMP,
    assigned_at         TIMESTAMP,
    first_response_at   TIMESTAMP,
    last_customer_at    TIMESTAMP,
    last_agent_at       TIMESTAMP,
    closed_at           TIMESTAMP,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX conversations_protocol_key ON conversations (account_id, protocol);
CREATE INDEX conversations_queue_idx ON conversations (account_id, department_id, status, queued_at, id);
CREATE INDEX conversations_agent_idx ON conversations (agent_id, status);
CREATE INDEX conversations_contact_idx ON conversations (contact_id, id);
-- One open conversation per contact and channel: the entry point finds it or
-- opens one, and two racing deliveries cannot open two.
CREATE UNIQUE INDEX conversations_open_key ON conversations (contact_id, channel_id)
    WHERE status NOT IN ('closed', 'abandoned');

CREATE TABLE conversation_tags (
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    tag             TEXT NOT NULL,
    PRIMARY KEY (conversation_id, tag)
);

-- Every transition and assignment: who, when, from, to, why. Reports and the
-- per-conversation metrics read these rows.
CREATE TABLE conversation_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    kind            TEXT NOT NULL,
    from_status     TEXT NOT NULL DEFAULT '',
    to_status       TEXT NOT NULL DEFAULT '',
    actor_id        BIGINT REFERENCES users (id),
    from_agent_id   BIGINT REFERENCES users (id),
    to_agent_id     BIGINT REFERENCES users (id),
    department_id   BIGINT REFERENCES departments (id),
    reason          TEXT NOT NULL DEFAULT '',
    at              TIMESTAMP NOT NULL
);
CREATE INDEX conversation_events_conversation_idx ON conversation_events (conversation_id, id);
CREATE INDEX conversation_events_account_idx ON conversation_events (account_id, at);

-- Messages: seq orders them within their conversation; the provider's id is
-- unique per channel, so a redelivered webhook stores nothing new.
CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          BIGINT NOT NULL REFERENCES accounts (id),
    conversation_id     BIGINT NOT NULL REFERENCES conversations (id),
    seq                 BIGINT NOT NULL,
    direction           TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note', 'system')),
    kind                TEXT NOT NULL CHECK (kind IN ('text', 'image', 'audio', 'video', 'document', 'location', 'contact', 'template')),
    sender_type         TEXT NOT NULL CHECK (sender_type IN ('contact', 'agent', 'system', 'bot')),
    sender_id           BIGINT,
    body                TEXT NOT NULL DEFAULT '',
    quoted_message_id   BIGINT REFERENCES messages (id),
    attachments         TEXT NOT NULL DEFAULT '[]',
    metadata            TEXT NOT NULL DEFAULT '{}',
    status              TEXT NOT NULL CHECK (status IN ('received', 'pending', 'sent', 'delivered', 'read', 'failed')),
    status_error        TEXT NOT NULL DEFAULT '',
    channel_id          BIGINT REFERENCES channels (id),
    provider_message_id TEXT,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX messages_seq_key ON messages (conversation_id, seq);
CREATE UNIQUE INDEX messages_provider_key ON messages (channel_id, provider_message_id);

-- Outbound messages waiting for (or retrying) their provider.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    message_id      BIGINT NOT NULL REFERENCES messages (id),
    channel_id      BIGINT NOT NULL REFERENCES channels (id),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until   TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    done_at         TIMESTAMP
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE done_at IS NULL;

-- Agents' routing state. load counts active conversations plus open offers:
-- a claim is a conditional increment (load < capacity, presence ready), so
-- two nodes cannot both fill the last slot.
CREATE TABLE agent_states (
    user_id           BIGINT PRIMARY KEY REFERENCES users (id),
    account_id        BIGINT NOT NULL REFERENCES accounts (id),
    presence          TEXT NOT NULL CHECK (presence IN ('offline', 'not_ready', 'ready', 'paused', 'pause_pending')),
    pause_reason_id   BIGINT REFERENCES pause_reasons (id),
    presence_since    TIMESTAMP NOT NULL,
    capacity          INTEGER NOT NULL DEFAULT 5,
    auto_distribution BOOLEAN NOT NULL DEFAULT true,
    load              INTEGER NOT NULL DEFAULT 0,
    last_assigned_at  TIMESTAMP,
    last_seen_at      TIMESTAMP,
    version           BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX agent_states_account_idx ON agent_states (account_id, presence);

CREATE TABLE presence_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    user_id         BIGINT NOT NULL REFERENCES users (id),
    presence        TEXT NOT NULL,
    pause_reason_id BIGINT REFERENCES pause_reasons (id),
    at              TIMESTAMP NOT NULL
);
CREATE INDEX presence_log_user_idx ON presence_log (user_id, at);

-- Agents who declined or let an offer expire, while the conversation waits:
-- it goes to someone else first, and back to them only when nobody else can
-- take it. Cleared when the conversation is assigned.
CREATE TABLE offer_refusals (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    agent_id        BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (conversation_id, agent_id)
);

-- Binding: a contact served in a department goes back to the same agent.
CREATE TABLE bindings (
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    contact_id    BIGINT NOT NULL REFERENCES contacts (id),
    agent_id      BIGINT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (department_id, contact_id)
);
CREATE INDEX bindings_agent_idx ON bindings (account_id, agent_id);

-- Notifications for people (the bound agent told who served instead);
-- delivered by e-mail where configured and shown in the workspace.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    user_id    BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id);

-- Durable timers: one row per (kind, subject), swept when due and claimed
-- with a conditional update so one node fires each.
CREATE TABLE timers (
    kind          TEXT NOT NULL,
    subject_id    BIGINT NOT NULL,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    due_at        TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    PRIMARY KEY (kind, subject_id)
);
CREATE INDEX timers_due_idx ON timers (due_at);

-- +goose Down
DROP TABLE timers;
DROP TABLE notifications;
DROP TABLE bindings;
DROP TABLE offer_refusals;
DROP TABLE presence_log;
DROP TABLE agent_states;
DROP TABLE outbox;
DROP TABLE messages;
DROP TABLE conversation_events;
DROP TABLE conversation_tags;
DROP TABLE conversations;
DROP TABLE pause_reasons;
DROP TABLE close_reasons;
DROP TABLE channels;
DROP TABLE contact_identities;
DROP TABLE contacts;
ALTER TABLE departments DROP COLUMN rr_cursor;
ALTER TABLE departments DROP COLUMN close_reason_required;
ALTER TABLE departments DROP COLUMN abandonment_s;
ALTER TABLE departments DROP COLUMN inactivity_s;
ALTER TABLE departments DROP COLUMN binding_notify;
ALTER TABLE departments DROP COLUMN binding;
ALTER TABLE departments DROP COLUMN offer_timeout_s;
ALTER TABLE departments DROP COLUMN offer_mode;
ALTER TABLE departments DROP COLUMN policy;
ALTER TABLE departments DROP COLUMN distribution;
ALTER TABLE accounts DROP COLUMN next_protocol;
ALTER TABLE accounts DROP COLUMN external_protocol_required;
