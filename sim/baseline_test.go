package sim

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// The baseline workflow has the shape the benchmark says: its activities, timers and upserts, and
// nothing else.
func TestBaselineWorkflowHasItsShape(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	var calls atomic.Int32
	env.RegisterWorkflowWithOptions(BaselineWorkflow, workflow.RegisterOptions{Name: "BaselineWorkflow"})
	env.RegisterActivityWithOptions(func(context.Context) error { calls.Add(1); return nil }, activity.RegisterOptions{Name: "BaselineActivity"})
	upserts := 0
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(mock.Arguments) { upserts++ }).Return(nil)
	start := env.Now()
	env.ExecuteWorkflow(BaselineWorkflow, time.Hour)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	if got := env.Now().Sub(start); got != BaselineTimers*time.Hour {
		t.Errorf("timers took %s of workflow time, want %d hours", got, BaselineTimers)
	}
	if calls.Load() != BaselineActivities || upserts != BaselineUpserts {
		t.Errorf("%d activities and %d upserts, want %d and %d", calls.Load(), upserts, BaselineActivities, BaselineUpserts)
	}
}

// BenchmarkBaselineOffline measures the floor the offline engine is compared with: b.N baseline
// workflows, each in a test environment of its own, as many at once as there are CPUs.
func BenchmarkBaselineOffline(b *testing.B) {
	c, err := BaselineOffline(context.Background(), b.N, runtime.GOMAXPROCS(0))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(c.PerSecond(), "workflows/s")
	b.ReportMetric(float64(c.CPUPer().Microseconds()), "cpu-µs/workflow")
}
