package workflows_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/workflows"
)

// whenWaiting sends, at the first of the legal days from..to (one engine second each) when the request
// waits for update and ready says so, what send returns.
func whenWaiting(t *testing.T, env *testsuite.TestWorkflowEnvironment, update string, from, to int, ready func(workflows.StatusView) bool, send func()) {
	t.Helper()
	done := false
	for d := from; d <= to; d++ {
		env.RegisterDelayedCallback(func() {
			if done {
				return
			}
			if s := queryStatus(t, env); s.Waiting == update && (ready == nil || ready(s)) {
				done = true
				send()
			}
		}, time.Duration(d)*time.Second)
	}
}

// A manual requested authority postpones; when the postponement ends, the workflow screens again and
// waits for a fresh decision, which is validated against the fresh screening: the stale postponement is
// never applied again.
func TestStalePostponementIsNeverReapplied(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		r.OngoingInvestigation = true
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestedCA: mla.ModeManual}
	})
	var first, again, fresh *updateCallbacks
	postponable := func(s workflows.StatusView) bool {
		_, ok := findPostponement(s)
		return ok
	}
	whenWaiting(t, env, workflows.UpdateDecide, 1, 60, postponable, func() {
		first = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionPostpone,
			Grounds: []string{"ongoing-investigation"}, PostponeFor: mla.Duration(20 * mla.Day), By: "trainee"})
	})
	resumed := func(s workflows.StatusView) bool {
		_, ok := findPostponement(s)
		return !ok
	}
	whenWaiting(t, env, workflows.UpdateDecide, 30, 200, resumed, func() {
		again = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionPostpone, Grounds: []string{"ongoing-investigation"}})
		fresh = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrant, Reasons: "our proceedings are over", By: "trainee"})
	})
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if first == nil || first.rejected != nil {
		t.Fatalf("first postponement: %+v", first)
	}
	if again == nil || again.rejected == nil || !strings.Contains(again.rejected.Error(), "cannot postpone") {
		t.Fatalf("a second postponement after the resumption must be refused by the fresh screening: %+v", again)
	}
	if fresh.rejected != nil {
		t.Fatalf("fresh decision refused: %v", fresh.rejected)
	}
	if res.Status != mla.StatusCompleted || res.Decision.Kind != mla.DecisionGrant || res.Decision.Mode != mla.ModeManual {
		t.Fatalf("status %s decision %+v", res.Status, res.Decision)
	}
	if n := countEvents(res, "postponement", "postpones execution"); n != 1 {
		t.Errorf("postponed %d times, want once", n)
	}
}

func findPostponement(s workflows.StatusView) (mla.Finding, bool) {
	if s.Screening == nil {
		return mla.Finding{}, false
	}
	return s.Screening.Postponement()
}

func countEvents(res mla.Outcome, stage, text string) int {
	n := 0
	for _, e := range res.Timeline {
		if e.Stage == stage && strings.Contains(e.Text, text) {
			n++
		}
	}
	return n
}

// Decisions sent together: exactly one is applied and acknowledged; the others are refused with the
// reason. (The SDK's test environment gives each update its own workflow task; the end-to-end test sends
// them together to a real server, where they share one, and the inbox test covers that case here.)
func TestConcurrentDecisionsOnlyOneIsApplied(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		r.Offence.CriminalInRequested = false
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestedCA: mla.ModeManual}
	})
	var cbs []*updateCallbacks
	whenWaiting(t, env, workflows.UpdateDecide, 1, 60, nil, func() {
		cbs = append(cbs,
			sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrant, By: "A"}),
			sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionPartial, Grounds: []string{"dual-criminality"}, By: "B"}),
			sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrant, By: "C"}))
	})
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if len(cbs) != 3 {
		t.Fatalf("%d updates sent", len(cbs))
	}
	acked, winner := 0, -1
	for i, cb := range cbs {
		if cb.rejected == nil && cb.done {
			acked++
			winner = i
			continue
		}
		if cb.rejected == nil || !strings.Contains(cb.rejected.Error(), "already has an answer") && !strings.Contains(cb.rejected.Error(), "not waiting") {
			t.Errorf("update %d: %+v", i, cb)
		}
	}
	if acked != 1 {
		t.Fatalf("%d decisions acknowledged, want exactly 1", acked)
	}
	by := []string{"A", "B", "C"}[winner]
	if !strings.Contains(res.Decision.Reasons, "decided by "+by) {
		t.Errorf("the acknowledged decision (%s) is not the one applied: %+v", by, res.Decision)
	}
}

const threeFollowUps = `id: three
title: three follow-ups of one preservation
seed: 9
clock: {start: "2027-03-01", scale: 1d}
requests:
  - {id: p, title: preservation, kind: preservation, from: DE, to: FR, offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}, provider: {retention: 30d}}
  - {id: m1, title: first, kind: stored-data, from: DE, to: FR, at: 10d, follow_up_of: p, conduct_ago: 10d, offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}, provider: {retention: 30d}}
  - {id: m2, title: second, kind: stored-data, from: DE, to: FR, at: 20d, follow_up_of: p, conduct_ago: 20d, offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}, provider: {retention: 30d}}
  - {id: m3, title: third, kind: stored-data, from: DE, to: FR, at: 30d, follow_up_of: p, conduct_ago: 30d, offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}, provider: {retention: 30d}}
  - {id: late, title: too late, kind: stored-data, from: DE, to: FR, at: 300d, follow_up_of: p, conduct_ago: 300d, offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}, provider: {retention: 30d}}
`

// Any number of requests can follow up one preservation: each that arrives while the data is held
// keeps it pending its own decision; one sent long after the data was released finds it gone.
func TestThreeFollowUpsOfOnePreservation(t *testing.T) {
	res := runScenario(t, threeFollowUps)
	by := map[string]mla.Outcome{}
	for _, r := range res.Results {
		by[r.RequestID] = r
	}
	p := by["p"]
	if p.Status != mla.StatusCompleted || !strings.Contains(p.Evidence, "m1, m2 and m3") {
		t.Fatalf("preservation %s %q; timeline %+v", p.Status, p.Evidence, p.Timeline)
	}
	for _, id := range []string{"m1", "m2", "m3"} {
		m := by[id]
		if m.Status != mla.StatusCompleted || !hasEvent(m, "preservation", "is kept pending the decision on this request") {
			t.Errorf("%s: %s %+v", id, m.Status, m.Timeline)
		}
		if !hasEvent(p, "preservation", "the follow-up request "+id+" arrived") {
			t.Errorf("the preservation does not record %s", id)
		}
	}
	// The data, held beyond the retention only by the preservation, was released before "late" arrived.
	if l := by["late"]; l.Status != mla.StatusEvidenceLost || !hasEvent(l, "preservation", "no longer holds the data") {
		t.Errorf("late follow-up: %s %+v", l.Status, l.Timeline)
	}
}

// envWithPreservation is a test environment where a stand-in plays the Preservation workflow.
func envWithPreservation(t *testing.T, fake func(workflow.Context, workflows.RequestInput) (mla.Outcome, error)) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(workflows.CaseWorkflow, workflow.RegisterOptions{Name: "CaseWorkflow"})
	env.RegisterWorkflowWithOptions(workflows.RequestWorkflow, workflow.RegisterOptions{Name: "RequestWorkflow"})
	env.RegisterWorkflowWithOptions(fake, workflow.RegisterOptions{Name: "PreservationWorkflow"})
	env.RegisterActivity(activities.New(engine(t)))
	return env
}

// failingPreservation stands in for a preservation that the engine stops running once its follow-up
// has arrived, before it answers.
func failingPreservation(ctx workflow.Context, in workflows.RequestInput) (mla.Outcome, error) {
	workflow.GetSignalChannel(ctx, workflows.SignalFollowUp).Receive(ctx, nil)
	return mla.Outcome{}, errors.New("worker lost")
}

// A preservation that ends without a word (here: it fails while its follow-up waits for its answer) ends
// the follow-up's wait at once: the scenario tells the follow-up, which records why the data was not
// kept; the preservation itself is an engine failure, not an outcome.
func TestFollowUpOfAFailedPreservationDoesNotWait(t *testing.T) {
	env := envWithPreservation(t, failingPreservation)
	env.ExecuteWorkflow(workflows.CaseWorkflow, parse(t, race+"    at: 10d\n"))
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("scenario: %v", env.GetWorkflowError())
	}
	var res workflows.CaseResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	p, m := res.Results[0], res.Results[1]
	if !p.EngineFailed() || !strings.Contains(p.EngineError, "worker lost") {
		t.Errorf("preservation: %+v", p)
	}
	if !hasEvent(m, "preservation", "ended without answering (child workflow execution error") {
		t.Errorf("follow-up: %s %+v", m.Status, m.Timeline)
	}
}

// A preservation whose follow-up never sends its word stops waiting after a bound in legal time, says so,
// and lets the period run out.
func TestPreservationGivesUpOnASilentFollowUp(t *testing.T) {
	env := newEnv(t)
	in := preservationInput(t, nil)
	in.FollowUps = []workflows.FollowUpRef{{RequestID: "m", WorkflowID: "nowhere", SentAt: start.Add(10 * mla.Day)}}
	env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
	res := result(t, env)
	if res.Status != mla.StatusEvidenceLost || !hasEvent(res, "preservation", "no word from the follow-up request m") {
		t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
	}
	if got := res.Closed.Sub(preservedAt(t, res)); got != 60*mla.Day {
		t.Errorf("closed %s after preserving; the expiry stays at the end of the period", got)
	}
}

// silentPreservation takes its follow-up's word and never answers.
func silentPreservation(ctx workflow.Context, in workflows.RequestInput) (mla.Outcome, error) {
	workflow.GetSignalChannel(ctx, workflows.SignalFollowUp).Receive(ctx, nil)
	_ = workflow.Sleep(ctx, 365*24*time.Hour)
	return mla.Outcome{RequestID: in.Request.ID, Status: mla.StatusReleased}, nil
}

// A follow-up whose preservation never answers stops waiting after a bound in legal time and says so.
func TestFollowUpGivesUpOnASilentPreservation(t *testing.T) {
	env := envWithPreservation(t, silentPreservation)
	env.ExecuteWorkflow(workflows.CaseWorkflow, parse(t, race+"    at: 10d\n"))
	var res workflows.CaseResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if m := res.Results[1]; !hasEvent(m, "preservation", "no answer from preservation p within 60d") {
		t.Errorf("follow-up: %s %+v", m.Status, m.Timeline)
	}
}

// The decision logic is tested apart from the rule packs: with the screening mocked, a ground the policy
// invokes with remedy refuse makes a refusal that cites it, after the consultation its duty requires.
func TestRefusalFollowsTheScreeningWithMockedActivities(t *testing.T) {
	env := newEnv(t)
	ground := mla.Finding{RuleID: "test.ground", Article: "Test Art 1", Tag: mla.TagSecondary, Effect: mla.EffectGround, Ground: "test-ground", Explain: "a test ground"}
	invoke := mla.Finding{RuleID: "test.policy", Effect: mla.EffectInvoke, Ground: "test-ground", Remedy: mla.RemedyRefuse}
	consult := mla.Finding{RuleID: "test.consult", Article: "Test Art 2", Tag: mla.TagPrimary, Effect: mla.EffectDuty, Duty: "consult"}
	env.OnActivity("Screen", mock.Anything, mock.Anything).Return(mla.Screening{Findings: []mla.Finding{ground, invoke, consult}, Evaluated: 3}, nil)
	env.OnActivity("Transmit", mock.Anything, mock.Anything).Return(activities.Receipt{Reference: "ref", Text: "sent"}, nil)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", nil))
	res := result(t, env)
	if res.Status != mla.StatusRefused || len(res.Grounds) != 1 || res.Grounds[0].RuleID != "test.ground" {
		t.Fatalf("status %s grounds %+v", res.Status, res.Grounds)
	}
	if !hasEvent(res, "consultation", "consults AA") {
		t.Error("no consultation before the refusal")
	}
	env.AssertNotCalled(t, "ExecuteOrder", mock.Anything, mock.Anything)
}

// parse loads a scenario document as one Case workflow's input.
func parse(t *testing.T, doc string) workflows.CaseInput {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(doc), nil, engine(t))
	if err != nil {
		t.Fatal(err)
	}
	return caseInput(sc)
}

// A retry of the engine's own (here: the first call to the provider activity times out) never changes
// the simulation: the attempts the scenario's failure rate decides, and the timeline, stay the same.
func TestInfrastructureRetriesDoNotChangeTheOutcome(t *testing.T) {
	in := input(t, "standard", func(r *mla.Request) {
		r.Provider = mla.Provider{Name: "P", FailureRate: 0.6, MaxAttempts: 20}
	})
	in.Seed = 3
	run := func(flaky bool) mla.Outcome {
		env := newEnv(t)
		if flaky {
			acts := activities.New(engine(t))
			calls := 0
			env.OnActivity("ExecuteOrder", mock.Anything, mock.Anything).Return(
				func(ctx context.Context, o activities.OrderInput) (activities.OrderResult, error) {
					if calls++; calls == 1 {
						return activities.OrderResult{}, errors.New("worker lost")
					}
					return acts.ExecuteOrder(ctx, o)
				})
		}
		env.ExecuteWorkflow(workflows.RequestWorkflow, in)
		return result(t, env)
	}
	plain, flaky := run(false), run(true)
	if plain.ProviderAttempts != flaky.ProviderAttempts || plain.Status != flaky.Status || len(plain.Timeline) != len(flaky.Timeline) {
		t.Fatalf("plain: %s after %d attempts; with a lost worker: %s after %d", plain.Status, plain.ProviderAttempts, flaky.Status, flaky.ProviderAttempts)
	}
	for i := range plain.Timeline {
		if plain.Timeline[i].At != flaky.Timeline[i].At || plain.Timeline[i].Text != flaky.Timeline[i].Text {
			t.Fatalf("event %d differs: %+v vs %+v", i, plain.Timeline[i], flaky.Timeline[i])
		}
	}
}
