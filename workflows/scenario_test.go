package workflows_test

import (
	"testing"

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
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.ScenarioWorkflow, sc.Input())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res workflows.ScenarioResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(res.Results) != len(sc.Requests) {
		t.Fatalf("%d results for %d requests", len(res.Results), len(sc.Requests))
	}
	for _, r := range res.Results {
		t.Logf("%-26s %-20s %v", r.RequestID, r.Status, r.Grounds)
		for _, ev := range r.Timeline {
			t.Logf("    %s %-22s %-30s %s", ev.At.Format("2006-01-02 15:04"), ev.Status, ev.Actor, ev.Text)
		}
		if r.Expected == nil {
			continue
		}
		if r.Status != r.Expected.Status {
			t.Errorf("%s: status %s, answer key says %s", r.RequestID, r.Status, r.Expected.Status)
		}
		for _, g := range r.Expected.Grounds {
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
