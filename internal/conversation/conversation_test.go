package conversation

import "testing"

// The lifecycle as a table: every pair of statuses, allowed or not.
func TestLifecycleMoves(t *testing.T) {
	all := []Status{Opening, Queued, Active, Waiting, Inactive, Closed, Abandoned}
	allowed := map[[2]Status]bool{
		{Opening, Queued}: true, {Opening, Closed}: true, {Opening, Abandoned}: true,
		{Queued, Queued}: true, {Queued, Active}: true, {Queued, Closed}: true, {Queued, Abandoned}: true,
		{Active, Active}: true, {Active, Queued}: true, {Active, Waiting}: true, {Active, Inactive}: true, {Active, Closed}: true,
		{Waiting, Waiting}: true, {Waiting, Queued}: true, {Waiting, Active}: true, {Waiting, Inactive}: true, {Waiting, Closed}: true,
		{Inactive, Inactive}: true, {Inactive, Queued}: true, {Inactive, Active}: true, {Inactive, Closed}: true, {Inactive, Abandoned}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got, want := CanMove(from, to), allowed[[2]Status{from, to}]; got != want {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
	// Closed and abandoned never reopen.
	for _, s := range []Status{Closed, Abandoned} {
		if s.Open() {
			t.Errorf("%s is open", s)
		}
	}
	// Waiting for the customer, or inactive, still belongs to the agent.
	for s, want := range map[Status]bool{Queued: false, Active: true, Waiting: true, Inactive: true, Closed: false} {
		if s.Assigned() != want {
			t.Errorf("%s.Assigned() = %v", s, !want)
		}
	}
}
