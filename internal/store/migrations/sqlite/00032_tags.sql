-- +goose Up
-- The tag catalogue: administrators and supervisors create, rename and
-- remove tags; agents pick from it, and a new word an agent tags with joins
-- it. conversation_tags keeps the tag's name rather than its id, so the
-- finished filter and the catalogue's counts need no join; renaming a tag
-- rewrites those rows in the rename's transaction.
CREATE TABLE tags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tags_name_key ON tags (account_id, name);

-- The tags in use before the catalogue existed join it, as created with
-- the first conversation that carries them.
INSERT INTO tags (account_id, name, created_at)
SELECT ct.account_id, ct.tag, MIN(c.opened_at)
FROM conversation_tags ct
JOIN conversations c ON c.id = ct.conversation_id
GROUP BY ct.account_id, ct.tag;

-- A tag's conversations, for renaming or removing it and for its count.
CREATE INDEX conversation_tags_tag_idx ON conversation_tags (account_id, tag);

-- +goose Down
DROP INDEX conversation_tags_tag_idx;
DROP TABLE tags;
