package workflows_test

import (
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/workflows"
)

func engine(t testing.TB) *rules.Engine {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestDemoScenarioMeetsAnswerKey runs the whole demo scenario under the SDK's time-skipping test
// environment, with the real activities, and checks every request against the scenario's answer key.
func TestDemoScenarioMeetsAnswerKey(t *testing.T) {
	e := engine(t)
	sc, err := scenarios.Builtin("demo", e)
	if err != nil {
		t.Fatal(err)
	}
	res := execScenario(t, caseInput(sc))
	truth := sc.Truth()
	if len(res.Results) != len(sc.Requests) {
		t.Fatalf("%d results for %d requests", len(res.Results), len(sc.Requests))
	}
	for _, r := range res.Results {
		t.Logf("%-26s %-20s %v", r.RequestID, r.Status, r.Grounds)
		for _, ev := range r.Timeline {
			t.Logf("    %s %-22s %-30s %s", ev.At.Format("2006-01-02 15:04"), ev.Status, ev.Actor, ev.Text)
		}
		key := truth[r.RequestID].Expected
		if key == nil {
			t.Errorf("%s has no answer key", r.RequestID)
			continue
		}
		if r.Status != key.Status {
			t.Errorf("%s: status %s, answer key says %s", r.RequestID, r.Status, key.Status)
		}
		for _, g := range key.Grounds {
			if r.Decision == nil || !contains(r.Decision.Grounds, g) {
				t.Errorf("%s: decision %+v lacks ground %s", r.RequestID, r.Decision, g)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// runScenario parses a scenario document and runs it under the test environment.
func runScenario(t *testing.T, doc string) workflows.ScenarioResult {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(doc), nil, engine(t))
	if err != nil {
		t.Fatal(err)
	}
	return execScenario(t, caseInput(sc))
}

// caseInput runs every request of a scenario as one case: the Case workflow that the Scenario workflow
// starts for a preservation and its follow-ups, here with all of them.
func caseInput(sc *scenarios.Scenario) workflows.CaseInput {
	in := workflows.CaseInput{ScenarioID: sc.ID, ScenarioWorkflowID: "test/" + sc.ID, Clock: sc.Clock, PacksHash: sc.PacksHash}
	for _, p := range sc.Requests {
		in.Requests = append(in.Requests, workflows.RequestInput{Planned: p.Compact()})
	}
	return in
}

// execScenario runs a scenario's requests as a Case workflow under the test environment and returns
// their outcomes.
func execScenario(t *testing.T, in workflows.CaseInput) workflows.ScenarioResult {
	t.Helper()
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.CaseWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.CaseResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return workflows.ScenarioResult{ID: in.ScenarioID, Results: res.Results}
}

const race = `id: race
title: race
seed: 5
clock: {start: "2027-03-01", scale: 1d}
requests:
  - id: p
    title: preservation
    kind: preservation
    from: DE
    to: FR
    offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}
  - id: m
    title: follow-up
    kind: stored-data
    from: DE
    to: FR
    follow_up_of: p
    offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}
`

// The race between a preservation's expiry and its follow-up is decided in legal time: the follow-up's
// arrival date against the end of the period.
func TestPreservationRaceDecidedInLegalTime(t *testing.T) {
	arrival := func(res workflows.ScenarioResult) time.Time {
		for _, e := range res.Results[1].Timeline {
			if e.Status == mla.StatusRegistered {
				return e.At
			}
		}
		t.Fatal("follow-up never registered")
		return time.Time{}
	}
	for _, at := range []string{"30d", "45d", "50d", "52d", "55d", "70d"} {
		res := runScenario(t, race+"    at: "+at+"\n")
		p, m := res.Results[0], res.Results[1]
		var until time.Time
		for _, e := range p.Timeline {
			if e.Status == mla.StatusPreserved {
				until = e.At.Add(60 * mla.Day)
				break
			}
		}
		inTime := !arrival(res).After(until)
		t.Logf("follow-up sent at %s arrives %s, preservation until %s: in time %v", at, arrival(res).Format("2006-01-02 15:04"), until.Format("2006-01-02 15:04"), inTime)
		if inTime && (p.Status != mla.StatusCompleted || m.Status != mla.StatusCompleted) {
			t.Errorf("at %s: arrived in time but preservation %s, follow-up %s", at, p.Status, m.Status)
		}
		if !inTime && (p.Status != mla.StatusEvidenceLost || p.Closed != until) {
			t.Errorf("at %s: arrived late but preservation %s closed %s", at, p.Status, p.Closed)
		}
	}
}

func TestWithdrawnFollowUpLetsThePreservationRunOut(t *testing.T) {
	res := runScenario(t, race+"    at: 10d\n    withdraw_after: 2d\n")
	p, m := res.Results[0], res.Results[1]
	if m.Status != mla.StatusWithdrawn || p.Status != mla.StatusEvidenceLost {
		t.Fatalf("follow-up %s, preservation %s", m.Status, p.Status)
	}
}

// Injects change lifecycles at their legal dates: an outage delays execution, a policy change and new
// information change the screening, a backlog delays review.
func TestInjectsShapeLifecycles(t *testing.T) {
	res := runScenario(t, `id: inj
title: Injects
seed: 3
clock: {start: "2027-03-01", scale: 1d}
world:
  states:
    - {code: US, capacity: 0.25}
requests:
  - {id: a, title: A, kind: stored-data, from: NL, to: US, offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}}
  - {id: b, title: B, kind: stored-data, from: NL, to: US, at: 1d, offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}}
injects:
  - {at: 1d, type: provider-outage, state: US, duration: 200d}
  - {at: 2d, type: policy-change, state: US, policy: strict-safeguards}
  - {at: 3d, type: new-information, request: b, note: a minister names the account holder as an enemy, facts: {signs: [{kind: statement, source: "minister's speech"}]}}
`)
	a, b := res.Results[0], res.Results[1]
	if !hasEvent(a, "execution", "out of service until 2027-09-18") {
		t.Errorf("a did not wait out the outage: %+v", a.Timeline)
	}
	if a.Closed.Before(time.Date(2027, 9, 18, 0, 0, 0, 0, time.UTC)) || a.Status != mla.StatusCompleted {
		t.Errorf("a closed %s %s", a.Closed, a.Status)
	}
	if !hasEvent(b, "registration", "waits 3d in the backlog") {
		t.Errorf("b did not queue behind a")
	}
	if !hasEvent(b, "new information", "a minister names the account holder as an enemy") || !hasEvent(b, "screening", "against the strict-safeguards policy") {
		t.Errorf("b: %+v", b.Timeline)
	}
	if b.Status != mla.StatusRefused || b.Decision.Grounds[0] != "non-discrimination" {
		t.Errorf("b %s %+v", b.Status, b.Decision)
	}
}
