//go:build race

package api_test

// raceEnabled: the race detector doubles the stack guard, so stacks are not
// what they are in a server.
const raceEnabled = true
