package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/workflows"
)

const five = `id: five
title: five lone requests and a preservation followed up
seed: 4
clock: {start: "2027-03-01", scale: 1d}
requests:
  - {id: a, title: a, kind: stored-data, from: NL, to: US, at: 0d, offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}}
  - {id: b, title: b, kind: stored-data, from: NL, to: US, at: 1d, offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}}
  - {id: c, title: c, kind: stored-data, from: NL, to: US, at: 2d, offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}}
  - {id: p, title: p, kind: preservation, from: DE, to: FR, at: 3d, offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}}
  - {id: m, title: m, kind: stored-data, from: DE, to: FR, at: 10d, follow_up_of: p, offence: {name: phishing, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}}
  - {id: d, title: d, kind: stored-data, from: NL, to: US, at: 4d, offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}}
`

func scenarioInput(t *testing.T, doc string) workflows.ScenarioInput {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(doc), nil, engine(t))
	if err != nil {
		t.Fatal(err)
	}
	return starter.Input(sc)
}

// The Scenario workflow plans its cases from the scenario's source, runs a preservation with its
// follow-up as one case and the others alone, at most a window at a time, and returns counts only.
func TestScenarioRunsCasesInAWindow(t *testing.T) {
	for _, tc := range []struct {
		window, most int
	}{
		{window: 2, most: 2},
		{window: 1, most: 1},
		// The five cases overlap in legal time: without a window as narrow, more run at once.
		{window: 0, most: 5},
	} {
		env := newEnv(t)
		in := scenarioInput(t, five)
		in.Window = tc.window
		most := mostCasesAtOnce(env, "scenario-under-test")
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "scenario-under-test"})
		env.ExecuteWorkflow(workflows.ScenarioWorkflow, in)
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		var res workflows.ScenarioResult
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		if res.Requests != 6 || res.Failed != 0 || len(res.Results) != 0 {
			t.Fatalf("window %d: result %+v", tc.window, res)
		}
		if *most != tc.most {
			t.Errorf("window %d: at most %d cases ran at once, want %d", tc.window, *most, tc.most)
		}
	}
}

// mostCasesAtOnce counts the children of the workflow parent that run at once, and returns the most.
func mostCasesAtOnce(env *testsuite.TestWorkflowEnvironment, parent string) *int {
	running, most := map[string]bool{}, new(int)
	ofParent := func(info *workflow.Info) bool {
		return info.ParentWorkflowExecution != nil && info.ParentWorkflowExecution.ID == parent
	}
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		if ofParent(info) {
			running[info.WorkflowExecution.ID] = true
			*most = max(*most, len(running))
		}
	})
	env.SetOnChildWorkflowCompletedListener(func(info *workflow.Info, _ converter.EncodedValue, _ error) {
		if ofParent(info) {
			delete(running, info.WorkflowExecution.ID)
		}
	})
	return most
}

// A run that has started its share of cases continues as new with a cursor and the cases still
// running, once the server has confirmed their start: nothing in its input grows with the scenario.
func TestScenarioContinuesAsNewWithACursor(t *testing.T) {
	env := newEnv(t)
	in := scenarioInput(t, five)
	in.RunLimit = 3
	env.ExecuteWorkflow(workflows.ScenarioWorkflow, in)
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("err = %v, want continue-as-new", err)
	}
	var next workflows.ScenarioInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Cursor != 3 || next.Cases != 5 || next.Requests != 6 || next.Source == nil || next.EngineStart.IsZero() {
		t.Fatalf("next input: cursor %d cases %d requests %d", next.Cursor, next.Cases, next.Requests)
	}
	if got := next.Done + len(next.InFlight); got > 3 || got < 1 {
		t.Errorf("done %d, in flight %v", next.Done, next.InFlight)
	}
}

// In a training run the trainer's pause holds the scenario: no request is sent while the legal clock
// stands still, and each is sent later by the time it stood still, a lone request by the Scenario
// workflow and a follow-up by its Case workflow, which the scenario tells of the pause.
func TestTrainingPauseHoldsTheScenario(t *testing.T) {
	env := newEnv(t)
	in := scenarioInput(t, five)
	in.Clock.HoldForPeople = true
	began := env.Now()
	sent := map[string]time.Duration{}
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		sent[info.WorkflowExecution.ID] = env.Now().Sub(began)
	})
	pause := func(at time.Duration, paused bool) {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalClock, workflows.ClockSignal{Paused: paused}) }, at)
	}
	// One engine second is a legal day. Paused from day 1.5 to day 101.5: c (day 2), p (3) and d (4)
	// start 100 s late; paused again from 105 s to 205 s, after p's case started: its follow-up m (7
	// days after p) starts at 3 + 100 + 7 + 100 = 210 s.
	pause(1500*time.Millisecond, true)
	pause(101500*time.Millisecond, false)
	pause(105*time.Second, true)
	pause(205*time.Second, false)
	env.ExecuteWorkflow(workflows.ScenarioWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	at := func(suffix string) time.Duration {
		for id, d := range sent {
			if strings.HasSuffix(id, suffix) {
				return d
			}
		}
		t.Fatalf("no child %s among %v", suffix, sent)
		return 0
	}
	for _, c := range []struct {
		id   string
		want time.Duration
	}{{"/a", 0}, {"/b", time.Second}, {"/c", 102 * time.Second}, {"/case/p", 103 * time.Second}, {"/d", 104 * time.Second}, {"/m", 210 * time.Second}} {
		if got := at(c.id); got < c.want || got > c.want+time.Second {
			t.Errorf("%s sent at %s of engine time, want %s", c.id, got, c.want)
		}
	}
}
