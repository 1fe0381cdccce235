-- +goose Up
-- Full-text search over message bodies, ignoring case and accents
-- ("informacao" finds "Informação"). The queries, shared with PostgreSQL,
-- call this table as a table-valued function: messages_fts(match) yields the
-- rowid (the message id) of every message matching an FTS5 query, which the
-- store builds from the words someone typed (store.MessageMatch).
--
-- The table keeps no copy of the text (external content: it reads messages);
-- the triggers below keep its index in step with messages.body.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Index the messages written before this migration.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

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

-- Only a change of the body touches the index: delivery-status updates,
-- by far the most frequent, do not.
-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_insert;
DROP TABLE messages_fts;
