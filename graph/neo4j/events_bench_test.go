package neo4j

import (
	"testing"
	"time"

	"github.com/socialscore/socialscore/graph"
)

// BenchmarkAppendEvents measures one POST /v1/people/{id}/events of the
// largest size the API takes (1,000 events): one transaction creating
// 1,000 :Event nodes.
func BenchmarkAppendEvents(b *testing.B) {
	s := openEmpty(b, nil)
	defer s.Close()
	ctx := b.Context()
	if _, err := s.PutPerson(ctx, graph.Person{ID: 1, Consent: true}); err != nil {
		b.Fatal(err)
	}
	events := make([]graph.Event, 1000)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range events {
		events[i] = graph.Event{Type: graph.EventPurchase, Amount: float64(i), At: at}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.AppendEvents(ctx, 1, "bench", events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/event")
}
