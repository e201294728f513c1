package sim

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/workflows"
)

// The baseline is the floor `mlasim bench` measures the engines against: a workflow of the shape of a
// typical mlasim request (BaselineActivities activities, BaselineTimers timers and BaselineUpserts
// search-attribute upserts, interleaved) that does nothing else, with a tiny input and no result. What
// mlasim costs above it is its own work: screening, payloads, logging, steps of its own.
const (
	BaselineActivities = 4
	BaselineTimers     = 7
	BaselineUpserts    = 8

	baselineQueue  = "mlasim-baseline"
	baselineWindow = workflows.DefaultWindow // workflows in flight on a server, as in a Scenario workflow
)

// BaselineWorkflow is the no-op workflow of the baseline; each timer lasts timer.
func BaselineWorkflow(ctx workflow.Context, timer time.Duration) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	a, t, u := 0, 0, 0
	for a < BaselineActivities || t < BaselineTimers || u < BaselineUpserts {
		if u < BaselineUpserts {
			if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.SAStatus.ValueSet(fmt.Sprint("step-", u))); err != nil {
				return err
			}
			u++
		}
		if t < BaselineTimers {
			if err := workflow.Sleep(ctx, timer); err != nil {
				return err
			}
			t++
		}
		if a < BaselineActivities {
			if err := workflow.ExecuteActivity(ctx, BaselineActivity).Get(ctx, nil); err != nil {
				return err
			}
			a++
		}
	}
	return nil
}

// BaselineActivity does nothing.
func BaselineActivity(context.Context) error { return nil }

// cpuTime is the CPU time this process and its waited-for children have used.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

// Cost is what a run used: wall time and CPU time for a number of workflows or requests.
type Cost struct {
	N    int
	Wall time.Duration
	CPU  time.Duration
}

// PerSecond is the throughput.
func (c Cost) PerSecond() float64 { return float64(c.N) / c.Wall.Seconds() }

// CPUPer is the CPU time per workflow or request.
func (c Cost) CPUPer() time.Duration { return c.CPU / time.Duration(max(c.N, 1)) }

// BaselineOffline runs n baseline workflows as the offline engine runs requests: each in a test
// environment of its own, as many at once as there are CPUs.
func BaselineOffline(ctx context.Context, n, parallel int) (Cost, error) {
	jobs := make(chan int)
	errs := make(chan error, parallel)
	var wg sync.WaitGroup
	t0, c0 := time.Now(), cpuTime()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				env := offline.NewEnvironment()
				env.RegisterWorkflowWithOptions(BaselineWorkflow, workflow.RegisterOptions{Name: "BaselineWorkflow"})
				env.RegisterActivityWithOptions(BaselineActivity, activity.RegisterOptions{Name: "BaselineActivity"})
				env.ExecuteWorkflow(BaselineWorkflow, 24*time.Hour)
				if err := env.GetWorkflowError(); err != nil || !env.IsWorkflowCompleted() {
					errs <- fmt.Errorf("baseline workflow: %v", err)
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := 0; i < n; i++ {
		select {
		case jobs <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return Cost{N: n, Wall: time.Since(t0), CPU: cpuTime() - c0}, err
}

// BaselineLive runs n baseline workflows on a cluster, baselineWindow at a time, with a worker of their
// own in this process, each timer lasting timer.
func BaselineLive(ctx context.Context, c client.Client, n int, timer time.Duration) (Cost, error) {
	w := sdkworker.New(c, baselineQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(BaselineWorkflow, workflow.RegisterOptions{Name: "BaselineWorkflow"})
	w.RegisterActivityWithOptions(BaselineActivity, activity.RegisterOptions{Name: "BaselineActivity"})
	if err := w.Start(); err != nil {
		return Cost{}, err
	}
	defer w.Stop()
	run := uuid.NewString()[:8]
	slots := make(chan struct{}, baselineWindow)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	t0, c0 := time.Now(), cpuTime()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("baseline-%s-%d", run, i), TaskQueue: baselineQueue}, "BaselineWorkflow", timer)
			if err == nil {
				err = r.Get(ctx, nil)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	cost := Cost{N: n, Wall: time.Since(t0), CPU: cpuTime() - c0}
	select {
	case err := <-errs:
		return cost, fmt.Errorf("baseline workflow on the server: %w", err)
	default:
	}
	return cost, ctx.Err()
}
