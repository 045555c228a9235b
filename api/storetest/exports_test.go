package storetest

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/graph"
)

// TestExportPseudonymsAreTheStores runs on both stores: a server without a
// configured export key pseudonymises with the store's own key
// (graph.PseudonymKeyStore), so person 1 to 4 have the same pseudonyms in
// the JSON, GEXF and GraphML exports, and again from a second server on the
// same store (a restart); each is HMAC-SHA256 under the store's key
// (export.Pseudonymizer, computed here independently of the server).
func TestExportPseudonymsAreTheStores(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			e := newEnv(t, store)
			e.seed()
			key, err := store.(graph.PseudonymKeyStore).PseudonymKey(context.Background())
			require.NoError(t, err)
			ps := export.Pseudonymizer{Key: key}
			want := []string{ps.ID(1), ps.ID(2), ps.ID(3), ps.ID(4)}
			slices.Sort(want)

			for i, srv := range []*env{e, newEnv(t, store)} {
				for _, format := range []string{"json", "gexf", "graphml"} {
					w := srv.must(http.MethodGet, "/v1/exports?ego=2&format="+format, "", http.StatusOK)
					got := nodeIDs(t, format, w.Body.String())
					assert.Equal(t, want, got, "server %d, %s", i+1, format)
				}
			}
		})
	}
}

// nodeIDs returns the sorted node ids of an export.
func nodeIDs(t *testing.T, format, body string) []string {
	t.Helper()
	var ids []string
	if format == "json" {
		var g struct {
			Nodes []struct {
				ID string `json:"id"`
			} `json:"nodes"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &g))
		for _, n := range g.Nodes {
			ids = append(ids, n.ID)
		}
	} else {
		dec := xml.NewDecoder(strings.NewReader(body))
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "node" {
				for _, a := range se.Attr {
					if a.Name.Local == "id" {
						ids = append(ids, a.Value)
					}
				}
			}
		}
	}
	slices.Sort(ids)
	require.NotEmpty(t, ids, fmt.Sprintf("%s export without nodes: %.300s", format, body))
	return ids
}
