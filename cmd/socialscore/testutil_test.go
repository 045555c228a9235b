package main

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// newEmptyStore creates an empty store at url (commands other than seed,
// import and demo refuse a store that does not exist) and returns url.
func newEmptyStore(t *testing.T, url string, o storeOptions) string {
	t.Helper()
	s, err := createStore(context.Background(), url, o)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	return url
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
