package starter

import (
	"math"

	"github.com/mlasim/mlasim/report"
	"github.com/mlasim/mlasim/workflows"
)

// Records flattens a scenario result (including onward preservations).
func Records(res workflows.ScenarioResult, replication int, seed int64, withTimeline bool) []report.Record {
	var out []report.Record
	var add func(r workflows.RequestResult)
	add = func(r workflows.RequestResult) {
		rec := report.Record{Scenario: res.ID, Replication: replication, Seed: seed, RequestID: r.RequestID, Kind: string(r.Kind),
			From: r.From, To: r.To, Channel: string(r.Channel), Basis: string(r.Basis), Status: string(r.Status),
			Grounds: []string{}, RuleIDs: []string{}, Tags: []string{}, EvidenceLost: r.EvidenceLost, Abusive: r.Abusive, DeadlineMet: r.DeadlineMet}
		if r.Decision != nil {
			rec.Decision = string(r.Decision.Kind)
			rec.Grounds = append(rec.Grounds, r.Decision.Grounds...)
		}
		for _, c := range r.Grounds {
			rec.RuleIDs = append(rec.RuleIDs, c.RuleID)
			rec.Tags = append(rec.Tags, string(c.Tag))
		}
		if !r.Sent.IsZero() {
			rec.Sent = r.Sent.Format("2006-01-02T15:04")
		}
		if !r.Closed.IsZero() {
			rec.Closed = r.Closed.Format("2006-01-02T15:04")
			rec.LegalDays = roundHundredths(r.Closed.Sub(r.Sent).Hours() / 24)
		}
		if rec.Delivered() {
			d := rec.LegalDays
			rec.DaysToEvidence = &d
		}
		if r.Expected != nil {
			rec.Expected = string(r.Expected.Status)
			ok, _ := Matches(r)
			rec.MatchesKey = &ok
		}
		if withTimeline {
			for _, e := range r.Timeline {
				rec.Timeline = append(rec.Timeline, e.At.Format("2006-01-02T15:04")+" "+string(e.Status)+" "+e.Text)
			}
		}
		out = append(out, rec)
		if r.Onward != nil {
			add(*r.Onward)
		}
	}
	for _, r := range res.Results {
		add(r)
	}
	return out
}

func roundHundredths(x float64) float64 { return math.Round(x*100) / 100 }
