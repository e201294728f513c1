package workflows_test

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/converter"
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
	env := newEnv(t)
	in := scenarioInput(t, five)
	in.Window = 2
	env.ExecuteWorkflow(workflows.ScenarioWorkflow, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.ScenarioResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Requests != 6 || res.Failed != 0 || len(res.Results) != 0 {
		t.Fatalf("result %+v", res)
	}
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
