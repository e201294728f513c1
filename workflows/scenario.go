package workflows

import (
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

// ScenarioWorkflow sends a scenario's requests on their schedule, each as a child workflow (a
// Preservation workflow for preservation requests, a Request workflow otherwise), and returns every
// result in scenario order. A follow-up request learns the workflow ID of the preservation it follows.
func ScenarioWorkflow(ctx workflow.Context, in ScenarioInput) (ScenarioResult, error) {
	progress := Progress{Total: len(in.Requests)}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return progress, nil }); err != nil {
		return ScenarioResult{}, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryPacks, func() (map[string][]byte, error) { return in.Packs, nil }); err != nil {
		return ScenarioResult{}, err
	}
	self := workflow.GetInfo(ctx).WorkflowExecution.ID
	logger := workflow.GetLogger(ctx)
	followed := map[string]bool{}
	for _, rq := range in.Requests {
		if rq.Request.FollowUpOf != "" {
			followed[rq.Request.FollowUpOf] = true
		}
	}
	results := make([]mla.Outcome, len(in.Requests))
	wg := workflow.NewWaitGroup(ctx)
	for i := range in.Requests {
		rq := in.Requests[i]
		rq.ScenarioID = in.ID
		rq.Clock = mla.Clock{Start: in.Clock.Start.Add(rq.Request.At.D()), Scale: in.Clock.Scale}
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
				res = mla.Outcome{RequestID: rq.Request.ID, WorkflowID: id, Title: rq.Request.Title, Kind: rq.Request.Kind,
					From: rq.Request.From, To: rq.Request.To, Status: mla.StatusFailed, EngineError: err.Error()}
			}
			results[i] = res
			progress.Done++
		})
	}
	wg.Wait(ctx)
	return ScenarioResult{ID: in.ID, Title: in.Title, Results: results}, nil
}
