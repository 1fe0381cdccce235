//go:build !race

package routing_test

const raceDetector = false
