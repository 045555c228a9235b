package scoring

import (
	"slices"

	"github.com/socialscore/socialscore/graph"
)

// The values of Policy.DisputedEvents.
const (
	// DisputedExclude leaves events under an open dispute out of the
	// record a person is scored on, until the dispute is resolved (the
	// default, and what an empty DisputedEvents means).
	DisputedExclude = "exclude"
	// DisputedInclude scores people on every event not removed, disputed
	// or not.
	DisputedInclude = "include"
)

// IncludesDisputed reports whether the policy scores events under an open
// dispute.
func (p Policy) IncludesDisputed() bool { return p.DisputedEvents == DisputedInclude }

// RecordsUnder returns the snapshot whose records a run under the policy
// scores. A store's snapshot holds each person's record without the events
// under an open dispute (graph.Snapshot.Records) and, for people with open
// disputes, the record with them (graph.Snapshot.Disputed). Under
// DisputedExclude, or when nobody has an open dispute, that is s itself;
// under DisputedInclude it is a shallow copy of s whose Records has the
// disputed people's records with the disputed events. s is not changed.
func RecordsUnder(s *graph.Snapshot, p Policy) *graph.Snapshot {
	if s == nil || !p.IncludesDisputed() || len(s.Disputed) == 0 {
		return s
	}
	c := *s
	c.Records = slices.Clone(s.Records)
	for _, d := range s.Disputed {
		if i, ok := s.Index(d.ID); ok && int(i) < len(c.Records) {
			c.Records[i] = d.Record
		}
	}
	return &c
}
