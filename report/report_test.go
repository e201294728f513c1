package report

import "testing"

func TestAcrossReplications(t *testing.T) {
	ms := []Metrics{{OverBlocking: 2}, {OverBlocking: 4}, {OverBlocking: 6}}
	i := Across(ms, func(m Metrics) float64 { return float64(m.OverBlocking) })
	if i.Mean != 4 || i.N != 3 || !(i.Low < 4 && i.High > 4) || i.High-4 != 4-i.Low {
		t.Errorf("%+v", i)
	}
	if one := Across(ms[:1], func(m Metrics) float64 { return float64(m.OverBlocking) }); one.String() != "2.00" {
		t.Errorf("one replication: %s", one)
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
