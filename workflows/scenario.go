package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
)

// InitialSearchAttributes are the search attributes a request starts with.
func InitialSearchAttributes(in RequestInput) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		SARequestingState.ValueSet(in.Request.From),
		SARequestedState.ValueSet(in.Request.To),
		SARequestKind.ValueSet(string(in.Request.Kind)),
		SAStatus.ValueSet(string(mla.StatusDrafted)),
		SALegalBasis.ValueSet(string(in.Basis.Basis)),
		SAScenario.ValueSet(in.ScenarioID),
	)
}

// ScenarioWorkflow runs a scenario: it plans the scenario's cases from its source (an activity, on any
// worker), starts each case when its first request is sent, at most a window of them at a time, and
// continues as new with a cursor after a thousand, so no input, result or history grows with the size
// of the scenario. A case of one request runs as a Request or Preservation workflow; a preservation with
// its follow-ups runs as a Case workflow. Each request delivers its own outcome, fetched by its workflow
// ID; the scenario returns counts. Runs started before changeScenarioWindow run every request as a
// child and return every result.
func ScenarioWorkflow(ctx workflow.Context, in ScenarioInput) (ScenarioResult, error) {
	if workflow.GetVersion(ctx, changeScenarioWindow, workflow.DefaultVersion, 1) == 1 && in.Source != nil {
		return (&scenarioRun{in: in}).run(ctx)
	}
	if messagesVersion(ctx) == workflow.DefaultVersion {
		return scenarioV0(ctx, in)
	}
	progress := Progress{Total: len(in.Planned)}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return progress, nil }); err != nil {
		return ScenarioResult{}, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryPacks, func() (map[string][]byte, error) { return in.Packs, nil }); err != nil {
		return ScenarioResult{}, err
	}
	self := workflow.GetInfo(ctx).WorkflowExecution.ID
	c := caseRun{scenarioID: in.ID, scenarioWorkflow: self, clock: in.Clock, packsHash: in.PacksHash, progress: &progress}
	return ScenarioResult{ID: in.ID, Title: in.Title, Results: c.run(ctx, in.Planned)}, nil
}

// CaseWorkflow runs a case of a scenario: a preservation and the requests that follow it up, each as a
// child at the legal time it is sent (counted from the case's start). A follow-up starts only once its
// preservation has started, and learns its workflow ID; the preservation learns its follow-ups. When a
// request ends without its result (terminated, failed), the request it talks to is told, and the case
// records an engine failure for it, never an outcome.
func CaseWorkflow(ctx workflow.Context, in CaseInput) (CaseResult, error) {
	c := caseRun{scenarioID: in.ScenarioID, scenarioWorkflow: in.ScenarioWorkflowID, clock: in.Clock, packsHash: in.PacksHash, offset: in.Start.D()}
	c.hold, c.began = keepHold(ctx, in.Clock.HoldForPeople, 0, time.Time{}, nil), workflow.Now(ctx)
	return CaseResult{Results: c.run(ctx, in.Requests)}, nil
}

// caseRun runs requests that talk to each other as children.
type caseRun struct {
	scenarioID, scenarioWorkflow string
	// clock is the scenario's; offset, how long after its start this run started (legal time).
	clock     mla.Clock
	offset    time.Duration
	packsHash string
	progress  *Progress
	// hold is a training case's pause (nil: none), began the engine time the case started.
	hold  *hold
	began time.Time
}

func (c caseRun) run(ctx workflow.Context, reqs []RequestInput) []mla.Outcome {
	followUps := map[string][]FollowUpRef{}
	started := map[string]workflow.Future{}
	setStarted := map[string]workflow.Settable{}
	for _, rq := range reqs {
		r := rq.Request
		if r.FollowUpOf != "" {
			followUps[r.FollowUpOf] = append(followUps[r.FollowUpOf], FollowUpRef{RequestID: r.ID,
				WorkflowID: RequestWorkflowID(c.scenarioWorkflow, r.ID), SentAt: c.clock.Start.Add(r.At.D())})
		}
		if r.Kind == mla.KindPreservation {
			started[r.ID], setStarted[r.ID] = workflow.NewFuture(ctx)
		}
	}
	results := make([]mla.Outcome, len(reqs))
	running := map[string]bool{} // children that have started, by workflow ID
	wg := workflow.NewWaitGroup(ctx)
	for i := range reqs {
		rq := reqs[i]
		r := rq.Request
		rq.ScenarioID = c.scenarioID
		rq.Clock = c.clock.From(c.clock.Start.Add(r.At.D()))
		if r.FollowUpOf != "" {
			rq.PreservationWorkflowID = RequestWorkflowID(c.scenarioWorkflow, r.FollowUpOf)
		}
		rq.FollowUps = followUps[r.ID]
		if c.packsHash != "" {
			rq.PackSet = activities.PackRef{Hash: c.packsHash, Workflow: c.scenarioWorkflow}
		}
		id := RequestWorkflowID(c.scenarioWorkflow, r.ID)
		wg.Add(1)
		workflow.Go(ctx, func(gctx workflow.Context) {
			defer wg.Done()
			if err := c.sleepUntilSent(gctx, r); err != nil {
				return
			}
			if f, ok := started[r.FollowUpOf]; ok {
				_ = f.Get(gctx, nil) // the preservation has started (or could not): only then does its follow-up
			}
			if c.progress != nil {
				c.progress.Started = append(c.progress.Started, id)
			}
			child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(gctx, childOptions(id, rq)), requestWorkflowOf(r), rq)
			startErr := child.GetChildWorkflowExecution().Get(gctx, nil)
			running[id] = startErr == nil
			if s, ok := setStarted[r.ID]; ok {
				s.Set(nil, startErr)
			}
			if err := child.Get(gctx, &results[i]); err != nil {
				results[i] = engineFailure(rq, id, err)
				relayGone(gctx, rq, id, followUps[r.ID], running, err)
			}
			if c.progress != nil {
				c.progress.Done++
			}
		})
	}
	wg.Wait(ctx)
	return results
}

// sleepUntilSent waits until the legal time a request is sent, counted from the case's start; in a
// training case that keeps the trainer's pause, not while paused, and later by the time it stood still.
func (c caseRun) sleepUntilSent(ctx workflow.Context, r mla.Request) error {
	wait := c.clock.Wall(r.At.D() - c.offset)
	if c.hold == nil || !c.hold.on {
		return workflow.Sleep(ctx, wait)
	}
	return c.hold.sleepUntil(ctx, func() time.Time { return c.began.Add(wait + c.hold.total) })
}

// requestWorkflowOf is the workflow a request runs as.
func requestWorkflowOf(r mla.Request) any {
	if r.Kind == mla.KindPreservation {
		return PreservationWorkflow
	}
	return RequestWorkflow
}

// engineFailure is the result of a request the engine could not run: no legal outcome.
func engineFailure(rq RequestInput, id string, err error) mla.Outcome {
	r := rq.Request
	return mla.Outcome{RequestID: r.ID, WorkflowID: id, Title: r.Title, Kind: r.Kind, From: r.From, To: r.To,
		Channel: r.Channel, Basis: rq.Basis.Basis, Status: mla.StatusFailed, EngineError: err.Error()}
}

// relayGone tells the requests a failed request talked to that it ended without a word: a
// preservation's follow-ups that have started (those that start later find it ended), or a follow-up's
// preservation.
func relayGone(ctx workflow.Context, rq RequestInput, id string, followUps []FollowUpRef, running map[string]bool, cause error) {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	notice := CounterpartGone{RequestID: rq.Request.ID, WorkflowID: id, Reason: cause.Error()}
	targets := []string{}
	for _, f := range followUps {
		if running[f.WorkflowID] {
			targets = append(targets, f.WorkflowID)
		}
	}
	if rq.PreservationWorkflowID != "" {
		targets = append(targets, rq.PreservationWorkflowID)
	}
	for _, t := range targets {
		// A counterpart that has ended already needs no word.
		_ = workflow.SignalExternalWorkflow(ctx, t, "", SignalCounterpartGone, notice).Get(ctx, nil)
	}
}

// scenarioV0 is the Scenario workflow as runs started before changeMessagesOnce follow it: children
// started together, a follow-up possibly before its preservation.
func scenarioV0(ctx workflow.Context, in ScenarioInput) (ScenarioResult, error) {
	progress := Progress{Total: len(in.Planned)}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return progress, nil }); err != nil {
		return ScenarioResult{}, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryPacks, func() (map[string][]byte, error) { return in.Packs, nil }); err != nil {
		return ScenarioResult{}, err
	}
	self := workflow.GetInfo(ctx).WorkflowExecution.ID
	logger := workflow.GetLogger(ctx)
	followed := map[string]bool{}
	for _, rq := range in.Planned {
		if rq.Request.FollowUpOf != "" {
			followed[rq.Request.FollowUpOf] = true
		}
	}
	results := make([]mla.Outcome, len(in.Planned))
	wg := workflow.NewWaitGroup(ctx)
	for i := range in.Planned {
		rq := in.Planned[i]
		rq.ScenarioID = in.ID
		rq.Clock = in.Clock.From(in.Clock.Start.Add(rq.Request.At.D()))
		if rq.Request.FollowUpOf != "" {
			rq.PreservationWorkflowID = RequestWorkflowID(self, rq.Request.FollowUpOf)
		}
		rq.FollowUpExpected = followed[rq.Request.ID]
		if in.PacksHash != "" {
			rq.PackSet = activities.PackRef{Hash: in.PacksHash, Workflow: self}
		}
		id := RequestWorkflowID(self, rq.Request.ID)
		wg.Add(1)
		workflow.Go(ctx, func(gctx workflow.Context) {
			defer wg.Done()
			if err := workflow.Sleep(gctx, in.Clock.Wall(rq.Request.At.D())); err != nil {
				return
			}
			var fn any = RequestWorkflow
			if rq.Request.Kind == mla.KindPreservation {
				fn = PreservationWorkflow
			}
			progress.Started = append(progress.Started, id)
			var res mla.Outcome
			cctx := workflow.WithChildOptions(gctx, childOptions(id, rq))
			if err := workflow.ExecuteChildWorkflow(cctx, fn, rq).Get(gctx, &res); err != nil {
				logger.Error("request failed", "RequestID", rq.Request.ID, "error", err)
				res = engineFailure(rq, id, err)
			}
			results[i] = res
			progress.Done++
		})
	}
	wg.Wait(ctx)
	return ScenarioResult{ID: in.ID, Title: in.Title, Results: results}, nil
}
