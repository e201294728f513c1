// Package worker builds mlasim's Temporal worker: it registers the workflows and activities, makes sure
// the search attributes exist on the namespace, and bridges the SDK's logging to zap.
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"google.golang.org/protobuf/types/known/durationpb"

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
	r.RegisterWorkflowWithOptions(workflows.RequestWorkflow, workflow.RegisterOptions{Name: RequestWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.PreservationWorkflow, workflow.RegisterOptions{Name: PreservationWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.CaseWorkflow, workflow.RegisterOptions{Name: CaseWorkflowName})
}

// The names the workflows a case starts with are registered under, for a starter that names them.
const (
	RequestWorkflowName      = "RequestWorkflow"
	PreservationWorkflowName = "PreservationWorkflow"
	CaseWorkflowName         = "CaseWorkflow"
)

// Register registers mlasim's workflows and activities; each activity is named after its method, which is
// how workflows call it. Each is registered as a function: the SDK then calls it without resolving a
// method by reflection on every call, which registering the struct costs.
func Register(r Registry, acts *activities.Activities) {
	RegisterWorkflows(r)
	for _, a := range Activities(acts) {
		r.RegisterActivityWithOptions(a.Fn, activity.RegisterOptions{Name: a.Name})
	}
}

// NamedActivity is an activity function and the name workflows call it by.
type NamedActivity struct {
	Name string
	Fn   any
}

// Activities lists every activity of acts under its method's name.
func Activities(acts *activities.Activities) []NamedActivity {
	return []NamedActivity{
		{"Transmit", acts.Transmit},
		{"Screen", acts.Screen},
		{"ExecuteOrder", acts.ExecuteOrder},
		{"Plan", acts.Plan},
		{"Watch", acts.Watch},
	}
}

// SDKLogger bridges a zap logger to the SDK's logger through log/slog.
func SDKLogger(z *zap.Logger) sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(zapslog.NewHandler(z.Core())))
}

// New builds a worker on the task queue with the given rule engine. The engine is compiled before the
// worker exists, so a bad pack stops the worker from starting.
func New(c client.Client, engine *rules.Engine, opts sdkworker.Options) sdkworker.Worker {
	Identify()
	w := sdkworker.New(c, workflows.TaskQueue, opts)
	acts := activities.New(engine)
	acts.Client = c
	acts.Packs.Fetch = func(ctx context.Context, ref activities.PackRef) (map[string][]byte, error) {
		v, err := c.QueryWorkflow(ctx, ref.Workflow, "", workflows.QueryPacks)
		if err != nil {
			return nil, err
		}
		return packFiles(v)
	}
	Register(w, acts)
	return w
}

// packFiles reads a scenario's answer to QueryPacks: PackFiles, or (from a scenario started before
// changeScenarioWindow) a map of path to content.
func packFiles(v converter.EncodedValue) (map[string][]byte, error) {
	var pf workflows.PackFiles
	if err := v.Get(&pf); err == nil && (pf.Dir != "" || pf.Files != nil) {
		out := make(map[string][]byte, len(pf.Files))
		for name, b := range pf.Files {
			out[filepath.Join(pf.Dir, name)] = b
		}
		return out, nil
	}
	var files map[string][]byte
	err := v.Get(&files)
	return files, err
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

// Run runs a worker on the cluster until ctx ends: it registers the search attributes if they are
// missing (a warning if it cannot) and says where it runs.
func Run(ctx context.Context, c client.Client, namespace string, engine *rules.Engine, log *zap.Logger, out io.Writer) error {
	if err := EnsureSearchAttributes(ctx, c, namespace); err != nil {
		log.Warn("could not register search attributes; queries on them may fail", zap.Error(err))
	}
	w := New(c, engine, sdkworker.Options{})
	fmt.Fprintf(out, "mlasim worker on namespace %s, task queue %s, %d rules loaded\n", namespace, workflows.TaskQueue, engine.RuleCount())
	stop := make(chan any)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	return w.Run(stop)
}

var identify sync.Once

// Identify names this build for Temporal (the "binary checksum" of reset points) from its build
// information. Without it the SDK hashes the whole executable the first time a workflow task runs,
// inside the workflow goroutine, which with the embedded server linked in takes long enough on a busy
// machine to trip the SDK's one-second deadlock detector.
func Identify() {
	identify.Do(func() {
		id := "mlasim"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					id += "@" + s.Value
				}
			}
			if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				id += " " + bi.Main.Version
			}
		}
		sdkworker.SetBinaryChecksum(id)
	})
}

// Prepare makes a namespace ready for mlasim: it registers the namespace if it is missing (keeping closed
// workflows for retention), waits until the cluster serves it, and registers mlasim's search attributes.
// Each step says what it did; one the cluster refuses (no permission) is an error that says so.
func Prepare(ctx context.Context, c client.Client, namespace string, retention time.Duration, say io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	svc := c.WorkflowService()
	_, err := svc.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: namespace, WorkflowExecutionRetentionPeriod: durationpb.New(retention)})
	var exists *serviceerror.NamespaceAlreadyExists
	switch {
	case err == nil:
		fmt.Fprintf(say, "registered namespace %s (closed workflows kept %s)\n", namespace, retention)
	case errors.As(err, &exists):
		fmt.Fprintf(say, "namespace %s exists\n", namespace)
	default:
		return fmt.Errorf("registering namespace %s: %w%s", namespace, err, permissionHint(err))
	}
	// A new namespace reaches every frontend's cache within seconds; the search attributes need it there.
	for {
		_, err = svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		if err == nil {
			err = EnsureSearchAttributes(ctx, c, namespace)
		}
		var nf *serviceerror.NamespaceNotFound
		if err == nil || !errors.As(err, &nf) || ctx.Err() != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("namespace %s: %w%s", namespace, err, permissionHint(err))
	}
	fmt.Fprintf(say, "search attributes registered: %s\n", strings.Join(slices.Sorted(maps.Keys(workflows.SearchAttributes)), ", "))
	return nil
}

func permissionHint(err error) string {
	var pd *serviceerror.PermissionDenied
	if errors.As(err, &pd) {
		return " (this identity may not change the namespace: ask the cluster's operator to run 'mlasim setup', or to register the search attributes)"
	}
	return ""
}
