package report

import (
	"testing"

	"github.com/mlasim/mlasim/mla"
)

func TestAcrossReplications(t *testing.T) {
	ms := []Metrics{{OverBlocking: 2}, {OverBlocking: 4}, {OverBlocking: 6}}
	i := Across(ms, func(m Metrics) float64 { return float64(m.OverBlocking) })
	if i.Mean != 4 || i.N != 3 || !(i.Low < 4 && i.High > 4) || i.High-4 != 4-i.Low {
		t.Errorf("%+v", i)
	}
	if one := Across(ms[:1], func(m Metrics) float64 { return float64(m.OverBlocking) }); one.Mean != 2 || one.Low != 2 || one.High != 2 {
		t.Errorf("one replication: %+v", one)
	}
}

func TestMetricsOfRecords(t *testing.T) {
	days := 12.0
	yes := true
	recs := []Record{
		{RequestID: "a", From: "NL", To: "US", Status: "Completed", DaysToEvidence: &days, MatchesKey: &yes},
		{RequestID: "b", From: "XR", To: "PT", Status: "Refused", Grounds: []string{"non-discrimination"}, Abusive: true},
		{RequestID: "c", From: "NL", To: "US", Status: "Refused", Grounds: []string{"dual-criminality"}},
	}
	m := Compute(recs)
	if m.OverBlocking != 1 || m.SafeguardFailures != 0 || m.RefusalsByGround["dual-criminality"] != 1 || m.MedianDaysToEvidence != 12 || m.AnswerKeyMatched != 1 {
		t.Fatalf("%+v", m)
	}
	if g := Group(recs, Pair); len(g["NL→US"]) != 2 {
		t.Errorf("groups %v", g)
	}
}

// Figures read as an analyst expects: integers as integers, rates as percentages with their interval and
// cases, n/a where a figure has no cases, and a warning under 30 cases.
func TestFiguresRead(t *testing.T) {
	m := Metrics{Requests: 12, Outcomes: map[mla.Status]int{"Refused": 3}, RefusalRate: 0.25, Abusive: 0,
		Legitimate: 200, OverBlocking: 10, OverBlockingRate: 0.05, Delivered: 0}
	got := map[string]string{}
	for _, f := range Figures([]Metrics{m}) {
		got[f.Name] = f.String()
	}
	want := map[string]string{
		"requests":     "12",
		"refusal rate": "25.0% [8.9%, 53.2%] (3 of 12) — fewer than 30 cases",
		"over-blocking rate (of legitimate requests)":      "5.0% [2.7%, 9.0%] (10 of 200)",
		"safeguard failure rate (of abusive requests)":     "n/a (no abusive requests)",
		"median days to evidence":                          "n/a (no evidence delivered)",
		"deadlines breached (of requests with a deadline)": "n/a (no request had a deadline)",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s reads %q, want %q", name, got[name], w)
		}
	}
	m.Delivered, m.MedianDaysToEvidence = 6, 43.25
	for _, f := range Figures([]Metrics{m}) {
		if f.Name == "median days to evidence" && f.String() != "43.2 days (6 cases) — fewer than 30 cases" {
			t.Errorf("median reads %q", f)
		}
	}
	two := Figures([]Metrics{{Requests: 10}, {Requests: 13}})
	if two[0].String() != "11.5 [8.6, 14.4]" {
		t.Errorf("a count over two replications reads %q", two[0])
	}
}
