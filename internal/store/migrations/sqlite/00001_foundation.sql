-- +goose Up
-- Accounts are the tenants: every other row carries account_id and every
-- account-scoped query filters by it.
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX accounts_name_key ON accounts (name);

-- E-mails are unique across accounts because sign-in asks only for an e-mail.
-- Deleted users keep their row (conversations and audit entries point at them)
-- and free their e-mail.
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          BIGINT NOT NULL REFERENCES accounts (id),
    name                TEXT NOT NULL,
    email               TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    password_hash       TEXT NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP NOT NULL,
    deleted_at          TIMESTAMP
);
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_account_idx ON users (account_id, id);

CREATE TABLE departments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE UNIQUE INDEX departments_name_key ON departments (account_id, name) WHERE deleted_at IS NULL;

CREATE TABLE department_members (
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    user_id       BIGINT NOT NULL REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (department_id, user_id)
);
CREATE INDEX department_members_user_idx ON department_members (user_id);

-- Sessions and API tokens are stored as SHA-256 hashes of the secret the
-- client holds, so a copy of the database does not sign anybody in.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    expires_at   TIMESTAMP
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Failed sign-ins counted per key ("email:…", "ip:…") in a fixed window. The
-- counter is bumped before the password is checked, in one statement, so
-- parallel attempts cannot slip past the limit.
CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT REFERENCES accounts (id),
    actor_user_id BIGINT REFERENCES users (id),
    action        TEXT NOT NULL,
    target_type   TEXT NOT NULL,
    target_id     BIGINT,
    detail        TEXT NOT NULL,
    ip            TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_account_idx ON audit_log (account_id, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE login_throttle;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE department_members;
DROP TABLE departments;
DROP TABLE users;
DROP TABLE accounts;
