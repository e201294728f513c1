package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

func preservationInput(t *testing.T, mutate func(*mla.Request)) workflows.RequestInput {
	in := input(t, "standard", func(r *mla.Request) {
		r.Kind = mla.KindPreservation
		r.Channel = mla.ChannelNetwork247
		r.DataKind = "traffic"
		if mutate != nil {
			mutate(r)
		}
	})
	return in
}

func preservedAt(t *testing.T, res mla.Outcome) time.Time {
	t.Helper()
	for _, e := range res.Timeline {
		if e.Status == mla.StatusPreserved {
			return e.At
		}
	}
	t.Fatal("never preserved")
	return time.Time{}
}

func TestPreservationExpiresAfterSixtyDaysAndLosesEvidence(t *testing.T) {
	env := newEnv(t)
	in := preservationInput(t, func(r *mla.Request) { r.Offence.CriminalInRequested = false })
	env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
	res := result(t, env)
	if res.Status != mla.StatusEvidenceLost || !res.EvidenceLost {
		t.Fatalf("status %s", res.Status)
	}
	if got := res.Closed.Sub(preservedAt(t, res)); got != 60*mla.Day {
		t.Errorf("kept %s, want 60 days", got)
	}
	// No dual criminality is required for preservation (Budapest 29(3) / UNCC 42 [U]).
	if res.Decision.Kind != mla.DecisionGrant {
		t.Errorf("decision %+v", res.Decision)
	}
}

func TestPreservationUsesTheStatesLongerPeriod(t *testing.T) {
	env := newEnv(t)
	in := preservationInput(t, nil)
	in.Requested.PreservationDays = 90
	env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
	res := result(t, env)
	if got := res.Closed.Sub(preservedAt(t, res)); got != 90*mla.Day {
		t.Errorf("kept %s, want 90 days", got)
	}
}

func TestPreservationExtendedByUpdate(t *testing.T) {
	env := newEnv(t)
	var early, bad, good *updateCallbacks
	env.RegisterDelayedCallback(func() {
		early = sendUpdate(env, workflows.UpdateExtend, workflows.Extension{For: mla.Duration(30 * mla.Day)})
	}, time.Millisecond)
	env.RegisterDelayedCallback(func() {
		bad = sendUpdate(env, workflows.UpdateExtend, map[string]string{"for": "thirty"})
		good = sendUpdate(env, workflows.UpdateExtend, workflows.Extension{For: mla.Duration(30 * mla.Day)})
	}, 30*time.Second) // 30 legal days in
	env.ExecuteWorkflow(workflows.PreservationWorkflow, preservationInput(t, nil))
	res := result(t, env)
	if early.rejected == nil {
		t.Error("extension accepted before anything was preserved")
	}
	if bad.rejected == nil || good.rejected != nil {
		t.Fatalf("bad %v good %v", bad.rejected, good.rejected)
	}
	if got := res.Closed.Sub(preservedAt(t, res)); got != 90*mla.Day {
		t.Errorf("kept %s, want 60 + 30 days", got)
	}
}

func TestPreservationExtendedByScript(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.PreservationWorkflow, preservationInput(t, func(r *mla.Request) { r.Extend = mla.Duration(60 * mla.Day) }))
	res := result(t, env)
	if got := res.Closed.Sub(preservedAt(t, res)); got < 119*mla.Day || got > 121*mla.Day {
		t.Errorf("kept %s, want about 120 days", got)
	}
	if !hasEvent(res, "preservation", "asks for an extension") {
		t.Error("no extension event")
	}
}

func TestPreservationRefusedOnlyOnItsOwnGrounds(t *testing.T) {
	t.Run("political offence refused", func(t *testing.T) {
		env := newEnv(t)
		in := preservationInput(t, func(r *mla.Request) { r.Offence.Category = "treason" })
		in.Basis.Basis = mla.BasisBudapest
		in.Requesting.Budapest, in.Requested.Budapest = mla.Yes, mla.Yes
		env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
		res := result(t, env)
		if res.Status != mla.StatusRefused || res.Grounds[0].RuleID != "budapest.29.5.a" {
			t.Fatalf("status %s grounds %v", res.Status, res.Grounds)
		}
	})
	t.Run("journalist not a preservation ground under Budapest", func(t *testing.T) {
		env := newEnv(t)
		in := preservationInput(t, func(r *mla.Request) { r.Person = mla.Person{Role: "journalist", ProtectedExpression: true} })
		in.Basis.Basis = mla.BasisBudapest
		in.Requested.Policy = "strict-safeguards"
		env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
		res := result(t, env)
		if res.Status == mla.StatusRefused {
			t.Fatalf("preservation refused on a ground Art 29(5) does not list: %+v", res.Decision)
		}
	})
}

func TestPreservationWithdrawn(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.PreservationWorkflow, preservationInput(t, func(r *mla.Request) { r.WithdrawAfter = mla.Duration(20 * mla.Day) }))
	res := result(t, env)
	if res.Status != mla.StatusWithdrawn || res.Closed.Sub(res.Sent) != 20*mla.Day {
		t.Fatalf("status %s closed after %s", res.Status, res.Closed.Sub(res.Sent))
	}
}

func TestManualPointOfContactDecides(t *testing.T) {
	env := newEnv(t)
	var cb *updateCallbacks
	env.RegisterDelayedCallback(func() {
		cb = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionRefuse, Grounds: []string{"dual-criminality"}})
	}, 2*time.Second)
	in := preservationInput(t, func(r *mla.Request) {
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorPoC247: mla.ModeManual}
		r.Offence.CriminalInRequested = false
	})
	env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
	res := result(t, env)
	// Dual criminality is barred for preservation, so the person's refusal is rejected and the
	// policy decides when the decision time runs out.
	if cb == nil || cb.rejected == nil {
		t.Fatalf("refusal on a barred ground was accepted: %+v", cb)
	}
	if res.Status != mla.StatusEvidenceLost || !hasEvent(res, "decision", "no decision within") {
		t.Fatalf("status %s", res.Status)
	}
}

func TestOnwardPreservationInThirdState(t *testing.T) {
	env := newEnv(t)
	third := state("XC", mla.UNCCRatified, mla.No, "standard")
	in := preservationInput(t, func(r *mla.Request) { r.RevealsProviderIn = "XC" })
	in.Onward = &third
	env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
	res := result(t, env)
	if res.Onward == nil || res.Onward.To != "XC" || res.Onward.Status != mla.StatusEvidenceLost {
		t.Fatalf("onward %+v", res.Onward)
	}
	if !hasEvent(res, "onward preservation", "provider in XC") {
		t.Error("no Art 30 disclosure event")
	}
}

// A follow-up's word that reaches the preservation after it answered the others, while it waits for its
// onward preservation to close, is answered before it closes: the data is not kept for it. Unanswered,
// the follow-up would wait out its bound and record a different line than on a faster engine.
func TestPreservationAnswersAWordThatCameAsItClosed(t *testing.T) {
	env := newEnv(t)
	third := state("XC", mla.UNCCRatified, mla.No, "standard")
	in := preservationInput(t, func(r *mla.Request) { r.RevealsProviderIn = "XC" })
	in.Onward = &third
	var answer *workflows.PreservationState
	env.OnSignalExternalWorkflow(mock.Anything, "late-follow-up", "", workflows.SignalPreservationState, mock.Anything).
		Return(func(_, _, _ string, _ string, arg any) error {
			st := arg.(workflows.PreservationState)
			answer = &st
			return nil
		})
	sent := false
	var poll func()
	poll = func() {
		if s := queryStatus(t, env); s.Status.Final() {
			sent = true
			env.SignalWorkflow(workflows.SignalFollowUp, workflows.FollowUp{RequestID: "m", WorkflowID: "late-follow-up", At: s.LegalTime})
			return
		}
		env.RegisterDelayedCallback(poll, 10*time.Millisecond)
	}
	env.RegisterDelayedCallback(poll, 10*time.Millisecond)
	env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
	res := result(t, env)
	if res.Status != mla.StatusEvidenceLost || res.Onward == nil {
		t.Fatalf("status %s onward %+v", res.Status, res.Onward)
	}
	if !sent {
		t.Fatal("the preservation closed before the test could send its word")
	}
	if answer == nil || answer.Preserved {
		t.Fatalf("the late word got %+v; want an answer that the data is not kept", answer)
	}
}
