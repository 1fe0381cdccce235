-- +goose Up
-- An agent's day (routing.Engine.MyDay) starts from the events that gave them
-- a conversation or took one from them in the day: without these, it would
-- read every event of the account's day to find theirs.
CREATE INDEX conversation_events_to_agent_idx ON conversation_events (to_agent_id, at);
CREATE INDEX conversation_events_from_agent_idx ON conversation_events (from_agent_id, at);

-- +goose Down
DROP INDEX conversation_events_from_agent_idx;
DROP INDEX conversation_events_to_agent_idx;
