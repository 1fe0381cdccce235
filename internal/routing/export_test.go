package routing

// WithSearchWalk returns opts with a message search walking the finished
// conversations in chunks of firstChunk, doubling up to maxChunk, giving way
// to the index past maxWalk (0: never walking).
func WithSearchWalk(opts Options, firstChunk, maxChunk, maxWalk int) Options {
	opts.searchWalk = searchWalk{firstChunk: firstChunk, maxChunk: maxChunk, maxWalk: maxWalk}
	return opts
}
