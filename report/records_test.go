package report_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/report"
)

// run is a set of outcomes with their ground truth, as a scenario run gives them.
type run struct {
	outcomes []mla.Outcome
	truth    map[string]mla.Truth
}

func (r *run) add(id string, status mla.Status, abusive bool, days int, grounds ...string) *mla.Outcome {
	if r.truth == nil {
		r.truth = map[string]mla.Truth{}
	}
	r.outcomes = append(r.outcomes, result(id, status, days, grounds...))
	r.truth[id] = mla.Truth{Abusive: abusive}
	return &r.outcomes[len(r.outcomes)-1]
}

func (r *run) records(replication int, seed int64) []report.Record {
	return report.Records(report.Run{Scenario: "s", Replication: replication, Seed: seed}, r.outcomes, r.truth, false)
}

func result(id string, status mla.Status, days int, grounds ...string) mla.Outcome {
	sent := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	r := mla.Outcome{RequestID: id, Kind: mla.KindStoredData, From: "NL", To: "US", Channel: mla.ChannelCentralAuthority,
		Basis: mla.BasisBudapest, Status: status, Sent: sent, Closed: sent.Add(time.Duration(days) * mla.Day)}
	if len(grounds) > 0 {
		r.Decision = &mla.Decision{Kind: mla.DecisionRefuse, Grounds: grounds}
		r.Grounds = []mla.Citation{{RuleID: "uncc.40.nd", Tag: mla.TagUnconfirmed}}
	}
	return r
}

func TestMetrics(t *testing.T) {
	var res run
	res.add("a", mla.StatusCompleted, false, 10)
	res.add("b", mla.StatusCompleted, true, 20) // safeguard failure
	res.add("c", mla.StatusRefused, true, 30, "non-discrimination")
	res.add("d", mla.StatusRefused, false, 40, "dual-criminality") // over-blocking
	res.add("e", mla.StatusEvidenceLost, false, 60)
	res.add("f", mla.StatusPartial, false, 50)
	failed := res.add("g", mla.StatusFailed, true, 0)
	failed.EngineError = "deadlock detector: workflow did not yield for over 1s"
	res.truth["a"] = mla.Truth{Expected: &mla.Expectation{Status: mla.StatusCompleted}}
	res.truth["e"] = mla.Truth{Expected: &mla.Expectation{Status: mla.StatusCompleted}}
	m := report.Compute(res.records(1, 7))
	if m.EngineFailures != 1 {
		t.Errorf("engine failures %d, want 1 (counted apart)", m.EngineFailures)
	}
	if m.Requests != 6 || m.SafeguardFailures != 1 || m.Abusive != 2 || m.OverBlocking != 1 || m.Legitimate != 4 || m.EvidenceLost != 1 {
		t.Fatalf("%+v", m)
	}
	if m.RefusalsByGround["non-discrimination"] != 1 || math.Abs(m.RefusalRate-1.0/3) > 1e-9 || m.SafeguardFailRate != 0.5 || m.OverBlockingRate != 0.25 {
		t.Errorf("%+v", m)
	}
	// Days to evidence over a, b, f: 10, 20, 50.
	if m.MedianDaysToEvidence != 20 || m.P90DaysToEvidence != 50 {
		t.Errorf("median %v p90 %v", m.MedianDaysToEvidence, m.P90DaysToEvidence)
	}
	if m.AnswerKeyTotal != 2 || m.AnswerKeyMatched != 1 {
		t.Errorf("answer key %d/%d", m.AnswerKeyMatched, m.AnswerKeyTotal)
	}
}

func TestCSVAndJSONL(t *testing.T) {
	var res run
	res.add("c", mla.StatusRefused, true, 30, "non-discrimination", "dual-criminality")
	recs := res.records(2, 9)
	var b bytes.Buffer
	if err := report.WriteCSV(&b, recs, true); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 || len(rows[0]) != len(report.CSVHeader) {
		t.Fatalf("%v %v", rows, err)
	}
	if rows[1][11] != "non-discrimination|dual-criminality" || rows[1][13] != "U" || rows[1][1] != "2" {
		t.Errorf("row %v", rows[1])
	}
	b.Reset()
	if err := report.WriteJSONL(&b, recs); err != nil || strings.Count(b.String(), "\n") != 1 || !strings.Contains(b.String(), `"abusive":true`) {
		t.Errorf("%q %v", b.String(), err)
	}
	var md bytes.Buffer
	report.WriteSummary(&md, "T", [][]report.Record{recs})
	for _, want := range []string{"| refusal rate | 100.0% [20.7%, 100.0%] (1 of 1) — fewer than 30 cases |", "| non-discrimination | 1 |", "| NL→US | 1 | 1 | 0 | 0 | 0 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, md.String())
		}
	}
}

func TestTransparency(t *testing.T) {
	var res run
	res.add("a", mla.StatusCompleted, false, 10)
	c := res.add("c", mla.StatusRefused, true, 30, "non-discrimination")
	c.From, c.To = "XR", "PT"
	tr := report.Transparency(res.records(1, 1))
	if tr["NL"].Sent != 1 || tr["US"].Received != 1 || tr["US"].Granted != 1 || tr["PT"].Refused != 1 || tr["PT"].RefusedByGround["non-discrimination"] != 1 || tr["XR"].Sent != 1 {
		t.Fatalf("%+v %+v %+v", tr["NL"], tr["US"], tr["PT"])
	}
	var b bytes.Buffer
	report.WriteTransparency(&b, res.records(1, 1))
	if !strings.Contains(b.String(), "| PT | 0 | 1 | 0 | 1 | non-discrimination 1 | 0 |") {
		t.Errorf("%s", b.String())
	}
}

func TestCompare(t *testing.T) {
	var a, b run
	a.add("j", mla.StatusRefused, true, 30, "non-discrimination")
	a.add("k", mla.StatusCompleted, false, 10)
	b.add("j", mla.StatusCompleted, true, 40)
	b.add("k", mla.StatusCompleted, false, 10)
	c := report.Compare("T", "strict", "permissive", [][]report.Record{a.records(1, 1)}, [][]report.Record{b.records(1, 1)})
	if c.Requests != 2 || len(c.Changes) != 1 || c.Changes[0].RequestID != "j" || !slices.Contains(c.Changes[0].OnlyA, "uncc.40.nd") {
		t.Fatalf("%+v", c)
	}
	var failures *report.MetricChange
	for i := range c.Metrics {
		if c.Metrics[i].Name == "abusive requests granted (safeguard failures)" {
			failures = &c.Metrics[i]
		}
	}
	if failures == nil {
		t.Fatalf("no safeguard-failure metric in %+v", c.Metrics)
	}
	if failures.A.Mean != 0 || failures.B.Mean != 1 || failures.Delta != "+1" {
		t.Errorf("%+v", *failures)
	}
	var h bytes.Buffer
	if err := c.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"barWithErrorBars", "Chart.register(ChartErrorBars", "Refused (non-discrimination)", "uncc.40.nd"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// The library's licence banner names its web site; nothing in the page loads from one.
	for _, fetch := range []string{`src="http`, `href="http`, "<link", "url(http", "fetch("} {
		if strings.Contains(h.String(), fetch) {
			t.Errorf("the HTML report must not fetch anything: it has %q", fetch)
		}
	}
}

// A comparison tells a change of outcome from a change of grounds only, and says on how many requests
// and replications it ran.
func TestCompareSeparatesOutcomesFromGrounds(t *testing.T) {
	var a, b run
	a.add("j", mla.StatusRefused, true, 30, "non-discrimination", "dual-criminality")
	a.add("k", mla.StatusRefused, false, 10, "dual-criminality")
	b.add("j", mla.StatusRefused, true, 30, "non-discrimination")
	b.add("k", mla.StatusCompleted, false, 10)
	c := report.Compare("T", "A", "B", [][]report.Record{a.records(1, 1), a.records(2, 1)}, [][]report.Record{b.records(1, 1), b.records(2, 1)})
	if c.Requests != 2 || c.Replications != 2 || len(c.OutcomeChanges()) != 2 || len(c.GroundChanges()) != 2 {
		t.Fatalf("requests %d replications %d outcome changes %d ground changes %d", c.Requests, c.Replications, len(c.OutcomeChanges()), len(c.GroundChanges()))
	}
	var md bytes.Buffer
	c.WriteMarkdown(&md)
	for _, want := range []string{"on the same 2 requests, 2 replications each", "Requests whose outcome changed (2)", "Requests with the same outcome on other grounds (2)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// Records say what explains a safeguard failure: whether a ground to refuse was available (the abuse
// was detectable from what the requested State saw), the indicators it could observe, and whether the
// grant was partial; the summary splits the failures accordingly.
func TestSafeguardFailuresAreExplained(t *testing.T) {
	var res run
	seen := res.add("seen", mla.StatusCompleted, true, 20)
	seen.Findings = []mla.Finding{{RuleID: "uncc.40.nd", Effect: mla.EffectGround, Ground: "non-discrimination"}}
	seen.Fired = []string{"uncc.40.nd"}
	res.add("unseen", mla.StatusCompleted, true, 20)
	part := res.add("part", mla.StatusPartial, true, 20)
	part.Decision = &mla.Decision{Kind: mla.DecisionPartial, Grounds: []string{"dual-criminality"}}
	part.Findings = []mla.Finding{{Effect: mla.EffectGround, Ground: "dual-criminality"}, {Effect: mla.EffectBar, Ground: "dual-criminality"}}
	recs := res.records(1, 1)
	report.Describe(recs, map[string]mla.Case{
		"seen": {Offence: mla.Offence{Category: "speech"}, Person: mla.Person{Role: mla.RoleJournalist, ProtectedExpression: true},
			Signs: []mla.Sign{{Kind: mla.SignTiming, Source: "election week"}, {Kind: mla.SignUNFinding, Source: "WGAD"}}},
		"unseen": {Offence: mla.Offence{Category: "fraud"}, Person: mla.Person{Role: mla.RoleSuspect}},
	})
	by := map[string]report.Record{}
	for _, r := range recs {
		by[r.RequestID] = r
	}
	if r := by["seen"]; r.Detectable == nil || !*r.Detectable || !slices.Equal(r.AvailableGrounds, []string{"non-discrimination"}) ||
		r.OffenceCategory != "speech" || r.PersonRole != mla.RoleJournalist ||
		!slices.Equal(r.Indicators, []string{"sign:un-finding", "sign:timing", "protected-expression", "speech-offence"}) || !slices.Equal(r.RulesFired, []string{"uncc.40.nd"}) {
		t.Errorf("seen: %+v", r)
	}
	if r := by["unseen"]; r.Detectable == nil || *r.Detectable || len(r.Indicators) != 0 {
		t.Errorf("unseen: %+v", r)
	}
	if r := by["part"]; r.Detectable == nil || *r.Detectable || !r.Partial() {
		t.Errorf("part (its only ground barred): %+v", r)
	}
	m := report.Compute(recs)
	if m.SafeguardFailures != 3 || m.FailuresDetectable != 1 || m.FailuresUndetectable != 2 || m.FailuresPartial != 1 {
		t.Errorf("%+v", m)
	}
	var md bytes.Buffer
	report.WriteSummary(&md, "T", [][]report.Record{recs})
	if !strings.Contains(md.String(), "3 granted: 1 although a ground to refuse was available, 2 with none available") {
		t.Errorf("summary:\n%s", md.String())
	}
}
