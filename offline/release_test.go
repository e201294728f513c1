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

// boundAnActivity waits on an activity with a ten-minute bound, as a wait on another workflow is
// bounded, and cancels the bound when the activity is done.
func boundAnActivity(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	tctx, cancel := workflow.WithCancel(ctx)
	bound := workflow.NewTimer(tctx, 10*time.Minute)
	err := workflow.ExecuteActivity(ctx, "Nothing").Get(ctx, nil)
	cancel()
	_ = bound.Get(ctx, nil)
	return err
}

// leaveABound waits on an activity and ends with a ten-minute timer still pending, as a workflow does
// whose AwaitWithTimeout's condition held.
func leaveABound(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	workflow.NewTimer(ctx, 10*time.Minute)
	return workflow.ExecuteActivity(ctx, "Nothing").Get(ctx, nil)
}

// collected runs n workflows wf that wait on an activity, each in a test environment of its own made by
// newEnv, and counts the environments the garbage collector reclaims once they are done.
func collected(t *testing.T, n int, newEnv func() *testsuite.TestWorkflowEnvironment, wf func(workflow.Context) error) int64 {
	t.Helper()
	var freed atomic.Int64
	for range n {
		env := newEnv()
		env.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "WaitOnAnActivity"})
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

// sdkEnvironment is a test environment as the SDK makes it, with the offline engine's run timeout when
// noRunTimeout is set.
func sdkEnvironment(noRunTimeout bool) func() *testsuite.TestWorkflowEnvironment {
	return func() *testsuite.TestWorkflowEnvironment {
		var suite testsuite.WorkflowTestSuite
		suite.SetLogger(offline.Quiet)
		env := suite.NewTestWorkflowEnvironment()
		if noRunTimeout {
			env.SetWorkflowRunTimeout(0)
		}
		return env
	}
}

// A finished test environment is reclaimed: the offline engine runs one for each case, and a scenario of
// 12,500 requests kept them in memory while the SDK held each by a wall-clock timer: for the test
// environment's default run timeout of ten years, and for a timer cancelled, or left pending, while an
// activity ran. The controls show what the test detects: as the SDK makes them (with no run timeout, for
// the bounds), the environments stay.
func TestFinishedEnvironmentsAreReclaimed(t *testing.T) {
	const n = 200
	for _, c := range []struct {
		name    string
		wf      func(workflow.Context) error
		control func() *testsuite.TestWorkflowEnvironment
	}{
		{"waits on an activity", waitOnAnActivity, sdkEnvironment(false)},
		{"cancels a bound", boundAnActivity, sdkEnvironment(true)},
		{"leaves a bound", leaveABound, sdkEnvironment(true)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Logf("control: %d of %d environments reclaimed", collected(t, n, c.control, c.wf), n)
			if got := collected(t, n, offline.NewEnvironment, c.wf); got < n*9/10 {
				t.Errorf("only %d of %d finished environments were reclaimed", got, n)
			}
		})
	}
}
