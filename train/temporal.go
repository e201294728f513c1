package train

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/workflows"
)

// Temporal runs a session's scenario on a Temporal server, with the legal clock held for people.
type Temporal struct {
	Client client.Client
	// Engine is the rule engine the scenario was loaded with (default: the built-in packs).
	Engine *rules.Engine
	run    atomic.Pointer[starter.Run]
}

// Start starts the scenario as a training run: without its answer key, ground truth and briefings, so
// no workflow input a trainee could read in the Web UI carries them; requests wait for a person's answer
// as long as the person takes, and the answer takes the scenario's think budget of legal time.
func (t *Temporal) Start(ctx context.Context, sc *scenarios.Scenario) error {
	engine := t.Engine
	if engine == nil {
		var err error
		if engine, err = rules.LoadBuiltin(); err != nil {
			return err
		}
	}
	training, err := sc.WithoutTruth(engine)
	if err != nil {
		return err
	}
	training.Clock.HoldForPeople = true
	run, err := starter.Start(ctx, t.Client, training)
	if err != nil {
		return err
	}
	t.run.Store(run)
	return nil
}

// Request queries a request's workflow for its status and timeline.
func (t *Temporal) Request(ctx context.Context, requestID string) (RequestState, bool, error) {
	run := t.run.Load()
	if run == nil {
		return RequestState{}, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	id := run.RequestWorkflowID(requestID)
	var st RequestState
	v, err := t.Client.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return st, false, nil
	case err != nil:
		return st, true, err
	}
	if err := v.Get(&st.Status); err != nil {
		return st, true, err
	}
	v, err = t.Client.QueryWorkflow(ctx, id, "", workflows.QueryTimeline)
	if err != nil {
		return st, true, err
	}
	var tl []mla.Event
	if err := v.Get(&tl); err != nil {
		return st, true, err
	}
	st.Timeline = tl
	return st, true, nil
}

// Update sends an update to a request's workflow and waits until the workflow has taken it.
func (t *Temporal) Update(ctx context.Context, requestID, name string, arg any) error {
	run := t.run.Load()
	if run == nil {
		return errors.New("the session has not started")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := t.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: run.RequestWorkflowID(requestID), UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// Signal signals a request's workflow, or with no request ID the scenario run's; a workflow that has
// ended takes no signal, and that is no error.
func (t *Temporal) Signal(ctx context.Context, requestID, name string, arg any) error {
	run := t.run.Load()
	if run == nil {
		return errors.New("the session has not started")
	}
	id := run.ID()
	if requestID != "" {
		id = run.RequestWorkflowID(requestID)
	}
	err := t.Client.SignalWorkflow(ctx, id, "", name, arg)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil
	}
	return err
}

// RunID is the workflow ID of the session's scenario run (empty before it starts).
func (t *Temporal) RunID() string {
	if run := t.run.Load(); run != nil {
		return run.ID()
	}
	return ""
}

// Attach follows a run that has started elsewhere (the demo's), for a lifecycle page.
func (t *Temporal) Attach(run *starter.Run) { t.run.Store(run) }
