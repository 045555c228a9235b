package neo4j

import (
	"context"
	"testing"
	"time"
)

func TestZZPage(t *testing.T) {
	s, err := Open(context.Background(), testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for round := 0; round < 2; round++ {
		for _, page := range []int{2000, 5000, 10000, 20000} {
			s.snapshotPage = page
			t0 := time.Now()
			snap, err := s.Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("page %d: %v (%d people)", page, time.Since(t0), snap.Len())
		}
	}
}
