package report

import (
	"math"

	"github.com/mlasim/mlasim/mla"
)

// Run says which scenario run a set of outcomes comes from.
type Run struct {
	Scenario    string
	Replication int
	Seed        int64
}

// Records flattens the outcomes of a run (onward preservations included) into records, joined with the
// scenario's ground truth by request ID: the answer key and the abusive label, which no engine sees.
func Records(run Run, outcomes []mla.Outcome, truth map[string]mla.Truth, withTimeline bool) []Record {
	var out []Record
	var add func(o mla.Outcome)
	add = func(o mla.Outcome) {
		out = append(out, record(run, o, truth[o.RequestID], withTimeline))
		if o.Onward != nil {
			add(*o.Onward)
		}
	}
	for _, o := range outcomes {
		add(o)
	}
	return out
}

func record(run Run, o mla.Outcome, t mla.Truth, withTimeline bool) Record {
	rec := Record{Scenario: run.Scenario, Replication: run.Replication, Seed: run.Seed, RequestID: o.RequestID, Kind: o.Kind,
		From: o.From, To: o.To, Channel: o.Channel, Basis: o.Basis, Status: o.Status, Grounds: []string{}, RuleIDs: []string{},
		Tags: []string{}, EvidenceLost: o.EvidenceLost, Abusive: t.Abusive, DeadlineMet: o.DeadlineMet, EngineError: o.EngineError,
		Indicators: []string{}, RulesFired: append([]string{}, o.Fired...), AvailableGrounds: available(o.Findings), MeasuresRefused: []string{}}
	if t.Abusive && !o.EngineFailed() {
		d := len(rec.AvailableGrounds) > 0
		rec.Detectable = &d
	}
	if o.EngineFailed() {
		rec.Status = ""
	}
	if o.Decision != nil {
		rec.Decision = o.Decision.Kind
		rec.Grounds = append(rec.Grounds, o.Decision.Grounds...)
		for _, p := range o.Decision.Parts {
			if !p.Granted {
				rec.MeasuresRefused = append(rec.MeasuresRefused, p.Measure.String())
			}
		}
	}
	for _, c := range o.Grounds {
		rec.RuleIDs = append(rec.RuleIDs, c.RuleID)
		rec.Tags = append(rec.Tags, string(c.Tag))
	}
	if !o.Sent.IsZero() {
		rec.Sent = o.Sent.Format("2006-01-02T15:04")
	}
	if !o.Closed.IsZero() && !o.EngineFailed() {
		rec.Closed = o.Closed.Format("2006-01-02T15:04")
		rec.LegalDays = math.Round(o.Closed.Sub(o.Sent).Hours()/24*100) / 100
	}
	if o.Delivered() {
		d := rec.LegalDays
		rec.DaysToEvidence = &d
	}
	if t.Expected != nil {
		rec.Expected = t.Expected.Status
		ok, _ := t.Expected.Met(o)
		rec.MatchesKey = &ok
	}
	if withTimeline {
		for _, e := range o.Timeline {
			rec.Timeline = append(rec.Timeline, e.At.Format("2006-01-02T15:04")+" "+string(e.Status)+" "+e.Text)
		}
	}
	return rec
}

// available lists the grounds to refuse that the last screening found and no bar neutralised.
func available(fs []mla.Finding) []string {
	out := []string{}
	for _, f := range (mla.Screening{Findings: fs}).Available() {
		out = append(out, f.Ground)
	}
	return out
}
