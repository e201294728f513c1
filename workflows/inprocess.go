package workflows

import (
	"context"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
)

// InProcess is what a workflow calls in process, offline, instead of an activity (mla.Clock.InProcess):
// the offline engine's activities, for the one step that needs the worker's state, the screening
// against its rule packs. The other steps a workflow runs in process (a transmission's receipt, a
// provider's answer) are functions of their input alone.
type InProcess interface {
	Screen(ctx context.Context, in activities.ScreenInput) (mla.Screening, error)
}

type inProcessKey struct{}

// InProcessSteps is a worker interceptor that gives every workflow the worker runs, and its children,
// the steps to call in process. Only the offline engine uses it, and only runs whose clock says
// InProcess call them; a workflow that has none screens through the activity (its transmissions and
// providers' answers, which need no worker state, are called in process all the same).
func InProcessSteps(steps InProcess) interceptor.WorkerInterceptor {
	return &inProcessWorker{steps: steps}
}

type inProcessWorker struct {
	interceptor.WorkerInterceptorBase
	steps InProcess
}

func (w *inProcessWorker) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &inProcessWorkflow{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, steps: w.steps}
}

type inProcessWorkflow struct {
	interceptor.WorkflowInboundInterceptorBase
	steps InProcess
}

func (w *inProcessWorkflow) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	return w.Next.ExecuteWorkflow(workflow.WithValue(ctx, inProcessKey{}, w.steps), in)
}

// inProcess returns the steps this run calls in process, if its clock says so and the worker gave them.
func inProcess(ctx workflow.Context, c mla.Clock) (InProcess, bool) {
	if !c.InProcess {
		return nil, false
	}
	steps, ok := ctx.Value(inProcessKey{}).(InProcess)
	return steps, ok
}
