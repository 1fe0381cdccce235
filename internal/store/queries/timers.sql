-- name: ScheduleTimer :exec
INSERT INTO timers (kind, subject_id, account_id, due_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (kind, subject_id) DO UPDATE SET due_at = excluded.due_at, claimed_until = NULL;

-- name: CancelTimer :exec
DELETE FROM timers WHERE kind = $1 AND subject_id = $2;

-- name: ListDueTimers :many
SELECT * FROM timers WHERE due_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
ORDER BY due_at LIMIT $2;

-- name: ClaimTimer :execrows
UPDATE timers SET claimed_until = sqlc.arg(until)
WHERE kind = sqlc.arg(kind) AND subject_id = sqlc.arg(subject_id) AND due_at = sqlc.arg(due_at)
  AND (claimed_until IS NULL OR claimed_until <= sqlc.arg(now));

-- name: FinishTimer :exec
-- Deletes the timer only if nobody rescheduled it meanwhile.
DELETE FROM timers WHERE kind = $1 AND subject_id = $2 AND due_at = $3;
