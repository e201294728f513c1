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

// A person who decides a request of several measures sees each further measure screened before deciding,
// and decides them one by one: a choice on a measure that does not exist, or on a ground not available
// for it, is rejected in place; the accepted choices are carried out measure by measure.
func TestAPersonDecidesEachMeasure(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		r.DataKind = "subscriber"
		r.Offence.CriminalInRequested = false
		r.Measures = []mla.Measure{{Kind: mla.KindStoredData, DataKind: "content"}, {Kind: mla.KindRealTime, DataKind: "traffic"}}
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestedCA: mla.ModeManual}
		r.DecisionTimeout = mla.Duration(365 * mla.Day)
	})
	var seen workflows.StatusView
	var bad, wrongGround, good *updateCallbacks
	whenWaiting(t, env, workflows.UpdateDecide, 1, 200, nil, func() {
		seen = queryStatus(t, env)
		bad = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrant, Measures: []mla.PartChoice{{Measure: 3, Kind: mla.DecisionGrant}}})
		wrongGround = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrant,
			Measures: []mla.PartChoice{{Measure: 1, Kind: mla.DecisionRefuse, Grounds: []string{"bank-secrecy"}}}})
		good = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrant, By: "trainee",
			Measures: []mla.PartChoice{{Measure: 1, Kind: mla.DecisionRefuse, Grounds: []string{"dual-criminality"}}, {Measure: 2, Kind: mla.DecisionGrant}}})
	})
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if len(seen.Measures) != 2 || seen.Measures[0].Label != "stored-data (content)" || seen.Measures[1].Measure != 2 {
		t.Fatalf("the person saw measures %+v", seen.Measures)
	}
	if _, ok := seen.Measures[0].Screening.Ground("dual-criminality"); !ok {
		t.Errorf("measure 1's screening shows no dual criminality: %+v", seen.Measures[0].Screening)
	}
	if bad.rejected == nil || !strings.Contains(bad.rejected.Error(), "further measures are 1 to 2") ||
		wrongGround.rejected == nil || !strings.Contains(wrongGround.rejected.Error(), "bank-secrecy is not a ground available for it") || good.rejected != nil {
		t.Fatalf("updates: bad %v, wrong ground %v, good %v", bad.rejected, wrongGround.rejected, good.rejected)
	}
	if res.Status != mla.StatusPartial || res.Decision == nil || len(res.Decision.Parts) != 3 {
		t.Fatalf("status %s decision %+v", res.Status, res.Decision)
	}
	if !hasEvent(res, "decision", "ZZ grants the measure stored-data (subscriber)") || !hasEvent(res, "decision", "ZZ refuses the measure stored-data (content) on dual-criminality") ||
		!hasEvent(res, "decision", "ZZ grants the measure real-time (traffic)") {
		t.Errorf("timeline %+v", res.Timeline)
	}
	screened := 0
	for _, e := range res.Timeline {
		if strings.Contains(e.Text, "screens the measure") {
			screened++
		}
	}
	if screened != 2 {
		t.Errorf("the further measures were screened %d times, want once each", screened)
	}
}

// A person's decisions on further measures survive a consultation that ends in a grant with conditions.
func TestAPersonsMeasureChoicesSurviveTheConsultation(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		r.DataKind = "subscriber"
		r.Offence.CriminalInRequested = false
		r.Measures = []mla.Measure{{Kind: mla.KindStoredData, DataKind: "content"}}
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestedCA: mla.ModeManual}
		r.DecisionTimeout = mla.Duration(365 * mla.Day)
		r.AcceptsConditions = true
	})
	var sent *updateCallbacks
	whenWaiting(t, env, workflows.UpdateDecide, 1, 200, nil, func() {
		sent = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrantConditions, Conditions: []mla.Condition{mla.ConditionUseLimitation},
			Reasons: "only for the fraud investigation", Measures: []mla.PartChoice{{Measure: 1, Kind: mla.DecisionRefuse, Grounds: []string{"dual-criminality"}}}})
	})
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if sent == nil || sent.rejected != nil {
		t.Fatalf("update: %+v", sent)
	}
	if !hasEvent(res, "consultation", "accepts the conditions") || !hasEvent(res, "decision", "ZZ refuses the measure stored-data (content) on dual-criminality") ||
		res.Status != mla.StatusPartial {
		t.Errorf("status %s; timeline %+v", res.Status, res.Timeline)
	}
}
