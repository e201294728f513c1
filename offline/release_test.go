package offline_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/offline"
)

func waitOnAnActivity(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, "Nothing").Get(ctx, nil)
}

// collected runs n workflows that wait on an activity, each in a test environment of its own (the
// engine's, or the SDK's as it comes when release is false), and counts the environments the garbage
// collector reclaims once they are done.
func collected(t *testing.T, n int, release bool) int64 {
	t.Helper()
	var freed atomic.Int64
	for range n {
		var env *testsuite.TestWorkflowEnvironment
		if release {
			env = offline.NewEnvironment()
		} else {
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(offline.Quiet)
			env = suite.NewTestWorkflowEnvironment()
		}
		env.RegisterWorkflowWithOptions(waitOnAnActivity, workflow.RegisterOptions{Name: "WaitOnAnActivity"})
		env.RegisterActivityWithOptions(func(context.Context) error { return nil }, activity.RegisterOptions{Name: "Nothing"})
		env.ExecuteWorkflow("WaitOnAnActivity")
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		runtime.AddCleanup(env, func(int) { freed.Add(1) }, 0)
	}
	for range 5 {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	return freed.Load()
}

// A finished test environment is reclaimed: the offline engine runs one for each case, and a scenario of
// 12,500 requests kept them all in memory while the test environment's default run timeout of ten years
// held each by a wall-clock timer. The control shows what the test detects: without the setting, the
// environments stay.
func TestFinishedEnvironmentsAreReclaimed(t *testing.T) {
	const n = 200
	t.Logf("control: %d of %d environments reclaimed as the SDK makes them", collected(t, n, false), n)
	if got := collected(t, n, true); got < n*9/10 {
		t.Errorf("only %d of %d finished environments were reclaimed", got, n)
	}
}
