-- +goose Up
-- Canned responses ("respostas prontas"): texts agents insert by typing
-- /shortcut in the composer. A response belongs to the whole account, to one
-- department, or to one person (personal); a shortcut is unique within its
-- owner.
CREATE TABLE canned_responses (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    scope         TEXT NOT NULL CHECK (scope IN ('account', 'department', 'personal')),
    department_id BIGINT REFERENCES departments (id),
    user_id       BIGINT REFERENCES users (id),
    shortcut      TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    body          TEXT NOT NULL,
    created_by    BIGINT REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK ((scope = 'department') = (department_id IS NOT NULL)),
    CHECK ((scope = 'personal') = (user_id IS NOT NULL))
);
CREATE UNIQUE INDEX canned_responses_shortcut_key
    ON canned_responses (account_id, scope, COALESCE(department_id, 0), COALESCE(user_id, 0), shortcut);

-- +goose Down
DROP TABLE canned_responses;
