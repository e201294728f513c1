package workflows_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

// A run whose clock says InProcess, on a worker that gives the steps, calls every step in process: it
// completes on a worker with no activity registered at all, and its outcome is the one the activities
// give.
func TestStepsInProcessGiveTheActivitiesOutcome(t *testing.T) {
	acts := activities.New(engine(t))
	for _, c := range []struct {
		name, policy string
		mutate       func(*mla.Request)
		status       mla.Status
		attempts     int // at least
	}{
		{"granted", "standard", nil, mla.StatusCompleted, 1},
		{"provider faults", "standard", func(r *mla.Request) { r.Provider = mla.Provider{Name: "P", FailureRate: 0.9, MaxAttempts: 20} }, mla.StatusCompleted, 2},
		{"refused", "strict-safeguards", func(r *mla.Request) {
			r.Offence = mla.Offence{Name: "false news", Category: "speech", MaxPenaltyYears: 5, CriminalInRequested: true}
			r.Person = mla.Person{Role: "journalist", ProtectedExpression: true}
			r.RequestingRecord = "documented"
		}, mla.StatusRefused, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			in := input(t, c.policy, c.mutate)
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			want := result(t, env)

			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			bare := suite.NewTestWorkflowEnvironment()
			bare.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{workflows.InProcessSteps(acts)}})
			worker.RegisterWorkflows(bare) // no activity: one called would fail the run
			in.Clock.InProcess = true
			bare.ExecuteWorkflow(workflows.RequestWorkflow, in)
			got := result(t, bare)

			a, _ := json.Marshal(want)
			b, _ := json.Marshal(got)
			if string(a) != string(b) {
				t.Errorf("in process:\n%s\nas activities:\n%s", b, a)
			}
			if got.Status != c.status || got.ProviderAttempts < c.attempts {
				t.Errorf("status %s after %d provider attempts, want %s after at least %d", got.Status, got.ProviderAttempts, c.status, c.attempts)
			}
		})
	}
}

// Without the steps, a run whose clock says InProcess still screens through the activity, and calls
// only its transmissions and provider's answers in process; with them, it starts no activity.
func TestActivitiesAnInProcessRunStarts(t *testing.T) {
	for _, c := range []struct {
		name  string
		steps bool
		want  map[string]int
	}{
		{"without the steps", false, map[string]int{"Screen": 1}},
		{"with the steps", true, map[string]int{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			if c.steps {
				env.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{workflows.InProcessSteps(activities.New(engine(t)))}})
			}
			started := map[string]int{}
			env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				started[info.ActivityType.Name]++
			})
			in := input(t, "standard", nil)
			in.Clock.InProcess = true
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			if got := result(t, env); got.Status != mla.StatusCompleted {
				t.Fatalf("status %s, want completed: %+v", got.Status, got.Timeline)
			}
			if !maps.Equal(started, c.want) {
				t.Errorf("activities started: %v, want %v", started, c.want)
			}
		})
	}
}
