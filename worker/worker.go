// Package worker builds mlasim's Temporal worker: it registers the workflows and activities, makes sure
// the search attributes exist on the namespace, and bridges the SDK's logging to zap.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/workflows"
)

// WorkflowRegistry is what workflows are registered on: a worker, a replayer, the SDK's test environment.
type WorkflowRegistry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Registry also takes activities: a worker or the SDK's test environment.
type Registry interface {
	WorkflowRegistry
	RegisterActivityWithOptions(a any, options activity.RegisterOptions)
}

// RegisterWorkflows registers mlasim's workflows under their contract names.
func RegisterWorkflows(r WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.ScenarioWorkflow, workflow.RegisterOptions{Name: "ScenarioWorkflow"})
	r.RegisterWorkflowWithOptions(workflows.RequestWorkflow, workflow.RegisterOptions{Name: "RequestWorkflow"})
	r.RegisterWorkflowWithOptions(workflows.PreservationWorkflow, workflow.RegisterOptions{Name: "PreservationWorkflow"})
}

// Register registers mlasim's workflows and activities under their contract names.
func Register(r Registry, acts *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivityWithOptions(acts.Transmit, activity.RegisterOptions{Name: workflows.ActivityTransmit})
	r.RegisterActivityWithOptions(acts.Screen, activity.RegisterOptions{Name: workflows.ActivityScreen})
	r.RegisterActivityWithOptions(acts.ExecuteOrder, activity.RegisterOptions{Name: workflows.ActivityExecute})
}

// SDKLogger bridges a zap logger to the SDK's logger through log/slog.
func SDKLogger(z *zap.Logger) sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(zapslog.NewHandler(z.Core())))
}

// New builds a worker on the task queue with the given rule engine. The engine is compiled before the
// worker exists, so a bad pack stops the worker from starting.
func New(c client.Client, engine *rules.Engine, opts sdkworker.Options) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, opts)
	Register(w, activities.New(engine))
	return w
}

// EnsureSearchAttributes registers any of mlasim's search attributes missing on the namespace, so
// `temporal workflow list --query` works on a fresh cluster.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	op := c.OperatorService()
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("listing search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, t := range workflows.SearchAttributes {
		if _, ok := have.CustomAttributes[name]; !ok {
			missing[name] = t
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("adding search attributes %v: %w", slices.Sorted(maps.Keys(missing)), err)
	}
	return nil
}
