package workflows_test

import (
	"strings"
	"testing"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// A request for subscriber data and an interception of content, for an offence of three years, to a
// State whose law allows interception only for offences of four years or more: the interception is
// refused on that law, the subscriber data is produced, and the request ends partially completed.
func TestEachMeasureIsDecidedAndOnlyTheGrantedOnesExecuted(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		r.DataKind = "subscriber"
		r.Offence.MaxPenaltyYears = 3
		r.Offence.ConventionOffence = true
		r.Measures = []mla.Measure{{Kind: mla.KindInterception, DataKind: "content"}}
	})
	in.Requested.Law = mla.Law{MinPenalty: map[string]int{"interception": 4}, Source: "hypothesis of the test"}
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if res.Status != mla.StatusPartial || res.Decision == nil || res.Decision.Kind != mla.DecisionPartial {
		t.Fatalf("status %s decision %+v; timeline %+v", res.Status, res.Decision, res.Timeline)
	}
	if !hasEvent(res, "screening", "screens the measure interception (content)") || !hasEvent(res, "screening", "grounds available: measure-unavailable") ||
		!hasEvent(res, "decision", "ZZ refuses the measure interception (content) on measure-unavailable") ||
		!hasEvent(res, "decision", "ZZ grants the measure stored-data (subscriber)") {
		t.Fatalf("timeline %+v", res.Timeline)
	}
	if !strings.Contains(res.Evidence, "produced the subscriber data") || strings.Contains(res.Evidence, "intercepted") {
		t.Errorf("evidence %q", res.Evidence)
	}
	if len(res.Grounds) != 1 || res.Grounds[0].RuleID != "uncc.40.law-measure" {
		t.Errorf("grounds %+v", res.Grounds)
	}
}

// When every measure is refused, so is the request, with the grounds of each.
func TestARequestWhoseEveryMeasureIsRefusedIsRefused(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		r.Kind, r.DataKind = mla.KindInterception, "content"
		r.Offence.MaxPenaltyYears = 3
		r.Measures = []mla.Measure{{Kind: mla.KindRealTime, DataKind: "traffic"}}
	})
	in.Requested.Law = mla.Law{MinPenalty: map[string]int{"interception": 4, "real-time": 4}, Source: "hypothesis of the test"}
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if res.Status != mla.StatusRefused || hasEvent(res, "execution", "") {
		t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
	}
	if !hasEvent(res, "decision", "refuses the measure real-time (traffic) on measure-unavailable") {
		t.Errorf("timeline %+v", res.Timeline)
	}
}
