//go:build race

package routing_test

// raceDetector is on: pure-Go SQLite runs many times slower under it, so the
// SQLite race test shrinks; `make test` also runs it at full size without -race.
const raceDetector = true
