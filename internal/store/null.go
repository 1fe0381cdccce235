package store

import (
	"database/sql"
	"time"
)

// Null wraps a time that is present in a nullable column.
func Null(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: true} }

// NullID wraps an id that is present in a nullable column; 0 means absent.
func NullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// NullTime is a nullable timestamp column.
type NullTime = sql.NullTime

// NullInt64 and NullString are nullable columns.
type (
	NullInt64  = sql.NullInt64
	NullString = sql.NullString
)

// NullBool is a nullable boolean column.
type NullBool = sql.NullBool
