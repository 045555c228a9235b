package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialscore/socialscore/export"
	"github.com/socialscore/socialscore/graph"
	"github.com/socialscore/socialscore/seed"
)

// The outside tester's attacks of issue 11, each tried as they did it:
// with keys that are not operators'. Before roles every one of them
// worked (every key could do everything to anyone).

// as sends the request with the key.
func (e *testEnv) as(key string, r request) *httptest.ResponseRecorder {
	e.t.Helper()
	r.header = map[string]string{"Authorization": "Bearer " + key}
	return e.do(r)
}

func seededEnv(t *testing.T, opts ...func(*Config)) *testEnv {
	t.Helper()
	e := newTestServer(t, openTestStore(t), opts...)
	e.seed()
	e.score("sesame")
	return e
}

// "delete and withdraw consent for a person the first app registered,
// and re-consent people"
func TestAttackConsentAndErasure(t *testing.T) {
	e := seededEnv(t)
	app2, prov := app2Key, roleKeys[graph.RoleProvider]
	before := e.state(fixtureIDs...)
	assertProblem(t, e.as(app2, request{method: http.MethodDelete, path: "/v1/people/2"}), 403, "forbidden", "Authorization", "role app")
	assertProblem(t, e.as(app2, request{method: http.MethodPut, path: "/v1/people/2", body: `{"consent":false}`}), 403, "forbidden", "Authorization", "role app")
	// A provider registers people, but changes no one's consent: neither
	// withdraws it nor gives it back.
	assertProblem(t, e.as(prov, request{method: http.MethodPut, path: "/v1/people/2", body: `{"consent":false}`}), 403, "forbidden", "consent", "only the person or an operator")
	assertProblem(t, e.as(prov, request{method: http.MethodPut, path: "/v1/people/6", body: `{"consent":true}`}), 403, "forbidden", "consent", "only the person or an operator")
	assertProblem(t, e.as(prov, request{method: http.MethodDelete, path: "/v1/people/2"}), 403, "forbidden", "Authorization", "role provider")
	// Another person's subject key gets the 404 of an unknown person.
	assertProblem(t, e.as(roleKeys[graph.RoleSubject], request{method: http.MethodPut, path: "/v1/people/2", body: `{"consent":false}`}), 404, "not-found", "id", "no person 2")
	// An operator needs a reason.
	assertProblem(t, e.do(request{method: http.MethodPut, path: "/v1/people/2", body: `{"consent":false}`}), 400, "invalid-input", "reason", "must give a reason")
	assert.Equal(t, before, e.state(fixtureIDs...), "nothing changed")

	// A provider still registers a new person, and may re-send an
	// existing one's profile with the same consent.
	require.Equal(t, 201, e.as(prov, request{method: http.MethodPut, path: "/v1/people/50", body: `{"consent":true}`}).Code)
	require.Equal(t, 200, e.as(prov, request{method: http.MethodPut, path: "/v1/people/2", body: `{"consent":true,"profile":{"provided":["name"]}}`}).Code)
	// The person withdraws their own consent; an operator with a reason
	// may too, and the reason is audited.
	require.Equal(t, 200, e.as(subject2Key, request{method: http.MethodPut, path: "/v1/people/2", body: `{"consent":false}`}).Code)
	require.Equal(t, 200, e.do(request{method: http.MethodPut, path: "/v1/people/3?reason=court+order+123", body: `{"consent":false}`}).Code)
	recs := readAuditAll(t, e.auditPath)
	last := recs[len(recs)-1]
	assert.Equal(t, AuditRecord{Time: last.Time, App: "lender", Role: graph.RoleOperator, Person: 3, RequestID: last.RequestID,
		Route: "/v1/people/{id}", Method: http.MethodPut, Kind: AuditAccess, Reason: "court order 123"}, unchained(last),
		"the operator's change of consent is audited with its reason")
}

// "create friendships between strangers"; a friendship to someone who
// has not consented is answered as one to an unknown person.
func TestAttackFriendships(t *testing.T) {
	e := seededEnv(t)
	before := e.state(fixtureIDs...)
	assertProblem(t, e.as(app2Key, request{method: http.MethodPut, path: "/v1/friendships/1/5"}), 403, "forbidden", "Authorization", "role app")
	assertProblem(t, e.as(app2Key, request{method: http.MethodPut, path: "/v1/recruitments/2/4"}), 403, "forbidden", "Authorization", "role app")
	prov := roleKeys[graph.RoleProvider]
	nonConsenting := e.as(prov, request{method: http.MethodPut, path: "/v1/friendships/1/6"})
	unknown := e.as(prov, request{method: http.MethodPut, path: "/v1/friendships/1/999"})
	assertProblem(t, nonConsenting, 404, "not-found", "b", "no person 6")
	assert.Equal(t, strings.ReplaceAll(unknown.Body.String(), "999", "6"), nonConsenting.Body.String())
	assertProblem(t, e.as(prov, request{method: http.MethodPut, path: "/v1/recruitments/6/1"}), 404, "not-found", "recruiter", "no person 6")
	// Removing a tie tells no more: the existing tie 4-6 looks like a tie
	// to no one.
	nonConsenting = e.as(prov, request{method: http.MethodDelete, path: "/v1/friendships/4/6"})
	unknown = e.as(prov, request{method: http.MethodDelete, path: "/v1/friendships/4/999"})
	assertProblem(t, nonConsenting, 404, "not-found", "", "no friendship between 4 and 6")
	assert.Equal(t, strings.ReplaceAll(unknown.Body.String(), "999", "6"), nonConsenting.Body.String())
	assert.Equal(t, before, e.state(fixtureIDs...))
	// A provider adds ties between consenting people.
	require.Equal(t, 201, e.as(prov, request{method: http.MethodPut, path: "/v1/friendships/1/5"}).Code)
}

// "start a scoring run under another policy, after which the first app's
// reads came back under it"
func TestAttackScoringRun(t *testing.T) {
	e := seededEnv(t)
	for _, k := range []string{app2Key, roleKeys[graph.RoleProvider], roleKeys[graph.RoleResearcher], roleKeys[graph.RoleAnalyst]} {
		assertProblem(t, e.as(k, request{method: http.MethodPost, path: "/v1/scoring-runs", body: `{"policy":"tencent"}`}), 403, "forbidden", "Authorization", "is not allowed here")
	}
	assert.Equal(t, "sesame", e.runner.View().Policy.Name)
	w := e.as(roleKeys[graph.RoleApp], request{method: http.MethodGet, path: "/v1/people/1/score?purpose=credit_decision"})
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"policy":"sesame"`)
}

// "read and cancel the first app's simulation"
func TestAttackSimulations(t *testing.T) {
	e := seededEnv(t)
	w := e.as(roleKeys[graph.RoleAnalyst], request{method: http.MethodPost, path: "/v1/simulations", body: `{"base":{"policy":"sesame","rounds":1,"people":60}}`})
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	loc := w.Header().Get("Location")
	id := strings.TrimPrefix(loc, "/v1/simulations/")
	unknown := e.as(analyst2Key, request{method: http.MethodGet, path: "/v1/simulations/no-such-sim"})
	other := e.as(analyst2Key, request{method: http.MethodGet, path: loc})
	assertProblem(t, other, 404, "not-found", "-", "")
	assert.Equal(t, strings.ReplaceAll(unknown.Body.String(), "no-such-sim", id), other.Body.String(), "as if it did not exist")
	assertProblem(t, e.as(analyst2Key, request{method: http.MethodDelete, path: loc}), 404, "not-found", "-", "")
	assertProblem(t, e.as(app2Key, request{method: http.MethodGet, path: loc}), 403, "forbidden", "Authorization", "role app")
	assertProblem(t, e.as(app2Key, request{method: http.MethodDelete, path: loc}), 403, "forbidden", "Authorization", "role app")
	// Its owner, an auditor and an operator see it.
	for _, k := range []string{roleKeys[graph.RoleAnalyst], roleKeys[graph.RoleAuditor], lenderKey} {
		assert.Equal(t, 200, e.as(k, request{method: http.MethodGet, path: loc}).Code)
	}
}

// "post 1,000 invented events for person 7 in one request ... and no
// write is audited"
func TestAttackEvents(t *testing.T) {
	e := seededEnv(t)
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"type":"default","amount":5000,"at":"2024-03-01T00:00:00Z"}`)
	}
	b.WriteString(`]}`)
	before := e.state(fixtureIDs...)
	assertProblem(t, e.as(app2Key, request{method: http.MethodPost, path: "/v1/people/1/events", body: b.String()}), 403, "forbidden", "Authorization", "role app")
	assert.Equal(t, before, e.state(fixtureIDs...))

	// A provider's write is audited: who, which role, whom, what.
	w := e.as(roleKeys[graph.RoleProvider], request{method: http.MethodPost, path: "/v1/people/1/events",
		body:   `{"events":[{"type":"purchase","amount":10,"at":"2024-01-01T00:00:00Z"}]}`,
		header: nil})
	require.Equal(t, 200, w.Code, w.Body.String())
	var rec *AuditRecord
	for _, r := range readAuditAll(t, e.auditPath) {
		if r.Route == "/v1/people/{id}/events" && r.App == "provider" {
			rec = &r
		}
	}
	require.NotNil(t, rec, "the write is in the audit log")
	assert.Equal(t, AuditRecord{Time: rec.Time, App: "provider", Role: graph.RoleProvider, Person: 1, RequestID: rec.RequestID,
		Route: "/v1/people/{id}/events", Method: http.MethodPost, Kind: AuditAccess}, unchained(*rec))
}

var pseudonymRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// "list everyone with a low score: one network?depth=3&limit=10000 call
// returned real ids, scores and financial pillars ...; 20 batch calls
// returned all scores. The pseudonymised export is not audited, and every
// node carries a unique PageRank value"
func TestAttackListing(t *testing.T) {
	e := seededEnv(t)
	assertProblem(t, e.as(app2Key, request{method: http.MethodGet, path: "/v1/people/1/network?depth=3&limit=10000"}), 403, "forbidden", "Authorization", "role app")
	assertProblem(t, e.as(app2Key, request{method: http.MethodGet, path: "/v1/exports"}), 403, "forbidden", "Authorization", "role app")
	// Batch reads need a declared purpose, and each read is attributable.
	assertProblem(t, e.as(app2Key, request{method: http.MethodPost, path: "/v1/scores/batch", body: `{"ids":[1,2,3]}`}), 400, "invalid-input", "purpose", "must declare why")
	assertProblem(t, e.as(app2Key, request{method: http.MethodPost, path: "/v1/scores/batch?purpose=curiosity", body: `{"ids":[1,2,3]}`}), 400, "invalid-input", "purpose", "unknown purpose")
	require.Equal(t, 200, e.as(app2Key, request{method: http.MethodPost, path: "/v1/scores/batch?purpose=rental_deposit", body: `{"ids":[1,2,3]}`}).Code)
	n := 0
	for _, r := range readAudit(t, e.auditPath) {
		if r.App == "app2" {
			n++
			assert.Equal(t, "rental_deposit", r.Purpose)
		}
	}
	assert.Equal(t, 3, n)

	// A researcher's network view: pseudonyms and bands only.
	res := roleKeys[graph.RoleResearcher]
	w := e.as(res, request{method: http.MethodGet, path: "/v1/people/1/network?depth=3&limit=10000"})
	require.Equal(t, 200, w.Code, w.Body.String())
	checkGeneralised(t, w.Body.Bytes())
	for _, id := range []string{`"id":1,`, `"id":2,`, `"center":1`} {
		assert.NotContains(t, w.Body.String(), id)
	}
	// Its pseudonyms are not the exports': asking about a real id must not
	// tell which pseudonym it has there.
	exported := export.Pseudonymizer{Key: e.srv.exportKey}
	for _, id := range []graph.ID{1, 2, 3} {
		assert.NotContains(t, w.Body.String(), exported.ID(id))
	}
	// A researcher's shock experiment: changes only, no one's score, and
	// pseudonyms of that answer only.
	w = e.as(res, request{method: http.MethodPost, path: "/v1/experiments/shock", body: `{"changes":[{"id":1,"events":["default"]}]}`})
	require.Equal(t, 200, w.Code, w.Body.String())
	var sh struct {
		Generalised bool             `json:"generalised"`
		Changes     []map[string]any `json:"changes"`
		Total       struct {
			Deltas []map[string]any `json:"deltas"`
		} `json:"total"`
	}
	decode(t, w, &sh)
	assert.True(t, sh.Generalised)
	require.Len(t, sh.Changes, 1)
	assert.Regexp(t, pseudonymRE, sh.Changes[0]["id"])
	assert.NotEqual(t, exported.ID(1), sh.Changes[0]["id"])
	assert.EqualValues(t, 0, sh.Changes[0]["score_before"])
	require.NotEmpty(t, sh.Total.Deltas)
	for _, d := range sh.Total.Deltas {
		assert.EqualValues(t, 0, d["before"])
		assert.EqualValues(t, 0, d["after"])
	}
	// A researcher's export is generalised too, and audited.
	w = e.as(res, request{method: http.MethodGet, path: "/v1/exports"})
	require.Equal(t, 200, w.Code, w.Body.String())
	checkGeneralised(t, w.Body.Bytes())
	assertProblem(t, e.as(res, request{method: http.MethodGet, path: "/v1/exports?real_ids=true"}), 403, "forbidden", "real_ids", "researcher")
	var audited bool
	for _, r := range readAuditAll(t, e.auditPath) {
		audited = audited || (r.Route == "/v1/exports" && r.App == "researcher" && r.Kind == AuditAccess)
	}
	assert.True(t, audited, "the pseudonymised export is audited")
}

// checkGeneralised checks an export graph in JSON: pseudonymised ids, no
// exact score, PageRank, percentile or pillar.
func checkGeneralised(t *testing.T, body []byte) {
	t.Helper()
	var g struct {
		Meta  map[string]any   `json:"meta"`
		Nodes []map[string]any `json:"nodes"`
	}
	require.NoError(t, json.Unmarshal(body, &g))
	require.NotEmpty(t, g.Nodes)
	assert.NotNil(t, g.Meta["generalised"])
	for _, n := range g.Nodes {
		assert.Regexp(t, pseudonymRE, n["id"])
		for _, f := range []string{"score", "individual", "pagerank", "percentile", "pillars", "hop"} {
			assert.NotContains(t, n, f)
		}
	}
}

// TestResearchExportIsKAnonymous: a 3,000-person export for a researcher
// has no combination of exported attributes shared by fewer than 5
// people. The classes are counted here from the JSON, independently of
// export.MinClass.
func TestResearchExportIsKAnonymous(t *testing.T) {
	store := openTestStore(t)
	b, err := seed.Generate(seed.Config{People: 3000, Seed: 11, ConsentShare: 1})
	require.NoError(t, err)
	require.NoError(t, store.ApplyBatch(context.Background(), b))
	e := newTestServer(t, store)
	e.score("sesame")
	for _, path := range []string{"/v1/exports", "/v1/exports?sample=500&seed=3", "/v1/exports?ego=7&depth=2", "/v1/people/7/network?depth=2&limit=10000"} {
		w := e.as(roleKeys[graph.RoleResearcher], request{method: http.MethodGet, path: path})
		require.Equal(t, 200, w.Code, "%s: %s", path, w.Body.String())
		var g struct {
			Nodes []map[string]any `json:"nodes"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &g))
		checkGeneralised(t, w.Body.Bytes())
		classes := map[string]int{}
		for _, n := range g.Nodes {
			delete(n, "id") // a pseudonym identifies no one; every other field is an attribute
			key, err := json.Marshal(n)
			require.NoError(t, err)
			classes[string(key)]++
		}
		for k, c := range classes {
			assert.GreaterOrEqual(t, c, export.DefaultK, "%s: attributes %s shared by %d people only", path, k, c)
		}
		if path == "/v1/exports" {
			assert.Len(t, g.Nodes, 3000)
			assert.Greater(t, len(classes), 1, "bands survive for most people")
		}
	}
	// The operator's export keeps exact values.
	w := e.do(request{method: http.MethodGet, path: "/v1/exports"})
	require.Equal(t, 200, w.Code)
	assert.Contains(t, w.Body.String(), `"pagerank"`)
}

// TestDeletedLinesAreNoticed: "the audit log is plain JSONL — deleting
// one app's lines went unnoticed".
func TestDeletedLinesAreNoticed(t *testing.T) {
	e := seededEnv(t)
	require.Equal(t, 200, e.as(roleKeys[graph.RoleApp], request{method: http.MethodGet, path: "/v1/people/2/score?purpose=fraud_check"}).Code)
	require.Equal(t, 200, e.as(app2Key, request{method: http.MethodGet, path: "/v1/people/3/score?purpose=fraud_check"}).Code)
	require.Equal(t, 200, e.as(roleKeys[graph.RoleApp], request{method: http.MethodGet, path: "/v1/people/4/score?purpose=fraud_check"}).Code)
	require.NoError(t, e.srv.Close())
	data, err := os.ReadFile(e.auditPath)
	require.NoError(t, err)
	_, err = VerifyAuditLog(bytes.NewReader(data))
	require.NoError(t, err)
	var kept [][]byte
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if !bytes.Contains(l, []byte(`"app":"app2"`)) {
			kept = append(kept, l)
		}
	}
	_, err = VerifyAuditLog(bytes.NewReader(bytes.Join(kept, nil)))
	var ce *AuditChainError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.Reason, "removed")
}

// TestReadsAndAuditQueries: a person sees who read their score, when and
// why; an auditor queries the log by person and time.
func TestReadsAndAuditQueries(t *testing.T) {
	e := seededEnv(t)
	start := time.Now().Add(-time.Second).UTC()
	require.Equal(t, 200, e.as(roleKeys[graph.RoleApp], request{method: http.MethodGet, path: "/v1/people/1/score?purpose=credit_decision"}).Code)
	require.Equal(t, 200, e.as(app2Key, request{method: http.MethodPost, path: "/v1/scores/batch?purpose=account_opening", body: `{"ids":[2,1]}`}).Code)
	require.Equal(t, 200, e.as(roleKeys[graph.RoleApp], request{method: http.MethodGet, path: "/v1/people/2/score?purpose=fraud_check"}).Code)

	w := e.as(roleKeys[graph.RoleSubject], request{method: http.MethodGet, path: "/v1/people/1/reads"})
	require.Equal(t, 200, w.Code, w.Body.String())
	var reads ReadsResponse
	decode(t, w, &reads)
	require.Len(t, reads.Reads, 2)
	assert.Equal(t, []string{"app", "app2"}, []string{reads.Reads[0].By, reads.Reads[1].By})
	assert.Equal(t, []string{"credit_decision", "account_opening"}, []string{reads.Reads[0].Purpose, reads.Reads[1].Purpose})
	assert.Equal(t, "/v1/scores/batch", reads.Reads[1].Route)
	// Someone else's reads: the 404 of an unknown person.
	assertProblem(t, e.as(roleKeys[graph.RoleSubject], request{method: http.MethodGet, path: "/v1/people/2/reads"}), 404, "not-found", "id", "no person 2")

	// Auditors: by person, since a time, paginated.
	aud := roleKeys[graph.RoleAuditor]
	w = e.as(aud, request{method: http.MethodGet, path: "/v1/audit?person=2&since=" + start.Format(time.RFC3339Nano) + "&limit=2"})
	require.Equal(t, 200, w.Code, w.Body.String())
	var page AuditPage
	decode(t, w, &page)
	require.Len(t, page.Records, 2)
	for _, r := range page.Records {
		assert.Equal(t, graph.ID(2), r.Person)
	}
	require.NotZero(t, page.Next)
	w = e.as(aud, request{method: http.MethodGet, path: "/v1/audit?person=2&after=" + jsonNum(page.Next)})
	var page2 AuditPage
	decode(t, w, &page2)
	require.NotEmpty(t, page2.Records)
	assert.Greater(t, page2.Records[0].Seq, page.Records[1].Seq)
	assertProblem(t, e.as(aud, request{method: http.MethodGet, path: "/v1/audit?since=yesterday"}), 400, "invalid-input", "since", "RFC 3339")
	assertProblem(t, e.as(roleKeys[graph.RoleApp], request{method: http.MethodGet, path: "/v1/audit"}), 403, "forbidden", "Authorization", "role app")
}

func jsonNum(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// TestLowScoresAndDistribution: the low-score listing is for auditors,
// with a purpose, and each person listed finds it among their reads; the
// distribution suppresses small cells.
func TestLowScoresAndDistribution(t *testing.T) {
	e := seededEnv(t)
	aud := roleKeys[graph.RoleAuditor]
	assertProblem(t, e.as(aud, request{method: http.MethodGet, path: "/v1/reports/low-scores?below=900"}), 400, "invalid-input", "purpose", "must declare why")
	for _, k := range []string{lenderKey, roleKeys[graph.RoleAnalyst], roleKeys[graph.RoleApp]} {
		assertProblem(t, e.as(k, request{method: http.MethodGet, path: "/v1/reports/low-scores?below=900&purpose=fraud_check"}), 403, "forbidden", "Authorization", "is not allowed here")
	}
	// Every visible score, computed from the runner, below 950.
	var want []graph.ID
	for _, r := range e.runner.View().Results() {
		if r.Score < 950 {
			want = append(want, r.ID)
		}
	}
	require.NotEmpty(t, want)
	var got []graph.ID
	path := "/v1/reports/low-scores?below=950&purpose=fraud_check&limit=2"
	for {
		w := e.as(aud, request{method: http.MethodGet, path: path})
		require.Equal(t, 200, w.Code, w.Body.String())
		var page LowScoresResponse
		decode(t, w, &page)
		for _, p := range page.People {
			got = append(got, p.ID)
		}
		if page.Next == 0 {
			break
		}
		path = "/v1/reports/low-scores?below=950&purpose=fraud_check&limit=2&after=" + page.Next.String()
	}
	assert.Equal(t, want, got)
	for _, id := range got {
		w := e.do(request{method: http.MethodGet, path: "/v1/people/" + id.String() + "/reads"})
		var reads ReadsResponse
		decode(t, w, &reads)
		require.NotEmpty(t, reads.Reads, "person %d", id)
		last := reads.Reads[len(reads.Reads)-1]
		assert.Equal(t, "/v1/reports/low-scores", last.Route)
		assert.Equal(t, "fraud_check", last.Purpose)
		assert.Equal(t, "auditor", last.By)
	}

	// Five scored people: every non-empty cell is under 10, so suppressed.
	w := e.as(roleKeys[graph.RoleAnalyst], request{method: http.MethodGet, path: "/v1/reports/score-distribution"})
	require.Equal(t, 200, w.Code, w.Body.String())
	var d DistributionResponse
	decode(t, w, &d)
	assert.Equal(t, 10, d.MinCell)
	for _, c := range append(d.ByBand, d.ByDegreeDecile...) {
		if c.Count != nil {
			assert.Zero(t, *c.Count, "cell %s: counts under 10 are suppressed", c.Key)
		}
	}
	assert.NotContains(t, w.Body.String(), `"count":5`)
	assertProblem(t, e.as(roleKeys[graph.RoleApp], request{method: http.MethodGet, path: "/v1/reports/score-distribution"}), 403, "forbidden", "Authorization", "role app")
}

// TestSuppress checks the suppression rule on hand-made counts.
func TestSuppress(t *testing.T) {
	cells := suppress([]string{"a", "b", "c", "d"}, []int{3, 40, 12, 0})
	// a is under 10; alone it could be recovered from the total, so the
	// next smallest non-zero cell (c, 12) is suppressed with it.
	assert.True(t, cells[0].Suppressed)
	assert.True(t, cells[2].Suppressed)
	assert.Equal(t, 40, *cells[1].Count)
	assert.Equal(t, 0, *cells[3].Count)
	cells = suppress([]string{"a", "b", "c"}, []int{3, 4, 50})
	assert.True(t, cells[0].Suppressed && cells[1].Suppressed)
	assert.Equal(t, 50, *cells[2].Count, "two suppressed cells cannot be told apart from the total")
}
