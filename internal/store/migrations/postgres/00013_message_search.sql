-- +goose Up
-- Full-text search over message bodies, ignoring case and accents, with
-- Portuguese stemming ("pedido" finds "Pedidos", "informacao" finds
-- "Informação").
--
-- The queries are shared with SQLite, where messages_fts is an FTS5 table
-- called as a table-valued function: messages_fts(words) yields the rowid of
-- every message matching words. Here messages_fts is a set-returning SQL
-- function of the same shape. The planner inlines it into the calling
-- query, so the condition below is answered from the GIN index.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- The text that is indexed and searched: its first 100,000 characters,
-- without accents, with ASCII punctuation turned into spaces.
-- * The cap: a tsvector holds at most 1 MB, and a longer one is an error
--   that would refuse the message itself (a huge e-mail, say).
-- * The punctuation: PostgreSQL's parser would otherwise index
--   "financeiro@acme.com.br", "www.acme.com.br/pedidos", "1.234,56" and
--   "98765-4321" as single tokens, so their parts ("acme", "pedidos",
--   "4321") would not be found, as they are on SQLite.
-- * unaccent is only STABLE (its dictionary could change), so an index
--   cannot call it; naming the dictionary and promising immutability is the
--   usual way round.
-- +goose StatementBegin
CREATE FUNCTION atende_search_text(input TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT translate(public.unaccent('public.unaccent'::regdictionary, left(input, 100000)),
                     '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', repeat(' ', 32))
$$;
-- +goose StatementEnd

CREATE INDEX messages_search_idx ON messages
    USING gin (to_tsvector('portuguese'::regconfig, atende_search_text(body)));

-- words are plain words, never tsquery syntax: plainto_tsquery ANDs them,
-- ignores punctuation and drops Portuguese stop words. The expression on
-- body must stay the index's, word for word, for the index to be used.
-- +goose StatementBegin
CREATE FUNCTION messages_fts(words TEXT) RETURNS TABLE (rowid BIGINT)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT id FROM messages
    WHERE to_tsvector('portuguese'::regconfig, atende_search_text(body))
       @@ plainto_tsquery('portuguese'::regconfig, atende_search_text(words))
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION messages_fts(TEXT);
DROP INDEX messages_search_idx;
DROP FUNCTION atende_search_text(TEXT);
