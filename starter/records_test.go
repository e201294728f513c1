package starter

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/report"
	"github.com/mlasim/mlasim/workflows"
)

func result(id string, status mla.Status, abusive bool, days int, grounds ...string) workflows.RequestResult {
	sent := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	r := workflows.RequestResult{RequestID: id, Kind: mla.KindStoredData, From: "NL", To: "US", Channel: mla.ChannelCentralAuthority,
		Basis: mla.BasisBudapest, Status: status, Abusive: abusive, Sent: sent, Closed: sent.Add(time.Duration(days) * mla.Day)}
	if len(grounds) > 0 {
		r.Decision = &mla.Decision{Kind: mla.DecisionRefuse, Grounds: grounds}
		r.Grounds = []mla.Citation{{RuleID: "uncc.40.nd", Tag: mla.TagUnconfirmed}}
	}
	return r
}

func TestMetrics(t *testing.T) {
	res := workflows.ScenarioResult{ID: "s", Results: []workflows.RequestResult{
		result("a", mla.StatusCompleted, false, 10),
		result("b", mla.StatusCompleted, true, 20), // safeguard failure
		result("c", mla.StatusRefused, true, 30, "non-discrimination"),
		result("d", mla.StatusRefused, false, 40, "dual-criminality"), // over-blocking
		result("e", mla.StatusEvidenceLost, false, 60),
		result("f", mla.StatusPartial, false, 50),
	}}
	res.Results[0].Expected = &mla.Expectation{Status: mla.StatusCompleted}
	res.Results[4].Expected = &mla.Expectation{Status: mla.StatusCompleted}
	m := report.Compute(Records(res, 1, 7, false))
	if m.Requests != 6 || m.SafeguardFailures != 1 || m.Abusive != 2 || m.OverBlocking != 1 || m.Legitimate != 4 || m.EvidenceLost != 1 {
		t.Fatalf("%+v", m)
	}
	if m.RefusalsByGround["non-discrimination"] != 1 || m.RefusalRate != 0.33 || m.SafeguardFailRate != 0.5 || m.OverBlockingRate != 0.25 {
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
	res := workflows.ScenarioResult{ID: "s", Results: []workflows.RequestResult{result("c", mla.StatusRefused, true, 30, "non-discrimination", "dual-criminality")}}
	recs := Records(res, 2, 9, false)
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
	for _, want := range []string{"| refusal rate | 1.00 |", "| non-discrimination | 1 |", "| NL→US | 1 | 1 | 0 | 0 | 0 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, md.String())
		}
	}
}

func TestTransparency(t *testing.T) {
	res := workflows.ScenarioResult{ID: "s", Results: []workflows.RequestResult{
		result("a", mla.StatusCompleted, false, 10),
		result("c", mla.StatusRefused, true, 30, "non-discrimination"),
	}}
	res.Results[1].From, res.Results[1].To = "XR", "PT"
	tr := report.Transparency(Records(res, 1, 1, false))
	if tr["NL"].Sent != 1 || tr["US"].Received != 1 || tr["US"].Granted != 1 || tr["PT"].Refused != 1 || tr["PT"].RefusedByGround["non-discrimination"] != 1 || tr["XR"].Sent != 1 {
		t.Fatalf("%+v %+v %+v", tr["NL"], tr["US"], tr["PT"])
	}
	var b bytes.Buffer
	report.WriteTransparency(&b, Records(res, 1, 1, false))
	if !strings.Contains(b.String(), "| PT | 0 | 1 | 0 | 1 | non-discrimination 1 | 0 |") {
		t.Errorf("%s", b.String())
	}
}

func TestCompare(t *testing.T) {
	a := workflows.ScenarioResult{ID: "s", Results: []workflows.RequestResult{
		result("j", mla.StatusRefused, true, 30, "non-discrimination"),
		result("k", mla.StatusCompleted, false, 10),
	}}
	b := workflows.ScenarioResult{ID: "s", Results: []workflows.RequestResult{
		result("j", mla.StatusCompleted, true, 40),
		result("k", mla.StatusCompleted, false, 10),
	}}
	c := report.Compare("T", "strict", "permissive", [][]report.Record{Records(a, 1, 1, false)}, [][]report.Record{Records(b, 1, 1, false)})
	if c.Requests != 2 || len(c.Changes) != 1 || c.Changes[0].RequestID != "j" || !slices.Contains(c.Changes[0].OnlyA, "uncc.40.nd") {
		t.Fatalf("%+v", c)
	}
	for _, m := range c.Metrics {
		if m.Name == "abusive requests granted (safeguard failures)" && (m.A.Mean != 0 || m.B.Mean != 1 || m.Delta != 1) {
			t.Errorf("%+v", m)
		}
	}
	var h bytes.Buffer
	if err := c.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "Refused (non-discrimination)", "uncc.40.nd"} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(h.String(), "http") {
		t.Error("the HTML report must not fetch anything")
	}
}
