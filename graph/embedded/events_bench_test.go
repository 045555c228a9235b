package embedded_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/graph/embedded"
)

// BenchmarkAppendEvents measures one POST /v1/people/{id}/events of the
// largest size the API takes (1,000 events) against the store: one
// fsynced transaction writing 2,000 keys and the person.
func BenchmarkAppendEvents(b *testing.B) {
	s, err := embedded.Open(filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	defer s.Close()
	ctx := b.Context()
	_, err = s.PutPerson(ctx, graph.Person{ID: 1, Consent: true})
	require.NoError(b, err)
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
