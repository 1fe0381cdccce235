-- +goose Up
-- New messages are indexed for search in batches (store.IndexMessages), not
-- by a trigger in the transaction that stores them. FTS5 keeps pending
-- terms in memory only until the next savepoint or commit: with the writer's
-- group commit (a savepoint per grouped transaction) the trigger flushed a
-- tiny segment for every message, 5% of the server's processor time at 600
-- messages a second. A search first indexes what is pending, so it still
-- finds every message stored before it started.
--
-- messages_fts_indexed holds the last message id in the index. Edits and
-- deletions touch the index only for messages already in it; the batch
-- reads the current body of the others.
CREATE TABLE messages_fts_indexed (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL
);
INSERT INTO messages_fts_indexed (id, last_id) SELECT 1, COALESCE(MAX(id), 0) FROM messages;

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;

-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT last_id FROM messages_fts_indexed WHERE id = 1) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages
WHEN old.id <= (SELECT last_id FROM messages_fts_indexed WHERE id = 1) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
-- +goose StatementEnd

-- +goose Down
INSERT INTO messages_fts (rowid, body)
SELECT id, body FROM messages WHERE id > (SELECT last_id FROM messages_fts_indexed WHERE id = 1);
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TABLE messages_fts_indexed;

-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
-- +goose StatementEnd
