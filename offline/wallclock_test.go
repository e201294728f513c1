package offline_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/offline"
)

// slowActivity takes real time, as an activity does on a loaded machine.
func slowActivity(context.Context) error {
	time.Sleep(200 * time.Millisecond)
	return nil
}

// raceWorkflow starts the slow activity and a timer far shorter than it in real time, and says which
// ended first.
func raceWorkflow(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	first := ""
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(workflow.ExecuteActivity(ctx, slowActivity), func(workflow.Future) { first = "activity" })
	sel.AddFuture(workflow.NewTimer(ctx, time.Millisecond), func(workflow.Future) { first = "timer" })
	sel.Select(ctx)
	return first, nil
}

// In the offline engine's environment a timer fires by time skipping alone: an activity completes at the
// engine time it started, before any timer, however long it takes in real time. (The SDK's own
// environment fires such a timer by the wall clock while the activity runs, and keeps the wall-clock
// timer, and the case with it, in memory as long as the timer's duration when the timer is cancelled.)
// This fails on a release of the SDK whose environment the offline engine could not adjust.
func TestWallClockStandsStill(t *testing.T) {
	env := offline.NewEnvironment()
	env.RegisterWorkflowWithOptions(raceWorkflow, workflow.RegisterOptions{Name: "race"})
	env.RegisterActivityWithOptions(slowActivity, activity.RegisterOptions{Name: "slow"})
	env.ExecuteWorkflow("race")
	var first string
	if err := env.GetWorkflowResult(&first); err != nil {
		t.Fatal(err)
	}
	if first != "activity" {
		t.Errorf("the %s ended first: the environment fired a timer by the wall clock while an activity ran", first)
	}
}
