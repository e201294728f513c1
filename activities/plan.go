package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
)

// PlanInput asks for a page of a scenario's cases, planned from its source.
type PlanInput struct {
	Source scenarios.Source `json:"source"`
	// Fingerprint is what the starter planned: a worker that plans differently (another version of
	// mlasim or of the packs) refuses to go on.
	Fingerprint string `json:"fingerprint"`
	From        int    `json:"from"`
	Count       int    `json:"count"`
}

// PlannedCase is a case ready to start: its first request's legal time and its requests, compact.
type PlannedCase struct {
	Start    mla.Duration  `json:"start"`
	Requests []mla.Planned `json:"requests"`
}

// PlanResult is a page of cases and the scenario's totals.
type PlanResult struct {
	Cases    []PlannedCase `json:"cases"`
	Total    int           `json:"total"`
	Requests int           `json:"requests"`
}

// planCache keeps the last few scenarios a worker planned, by source digest.
type planCache struct {
	mu    sync.Mutex
	plans map[string]*plan
	order []string
}

type plan struct {
	sc    *scenarios.Scenario
	cases [][]int
}

const plansKept = 4

func (c *planCache) get(src scenarios.Source, engine *rules.Engine) (*plan, error) {
	key := src.Digest()
	c.mu.Lock()
	p, ok := c.plans[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	sc, err := scenarios.FromSource(src, engine)
	if err != nil {
		return nil, err
	}
	p = &plan{sc: sc, cases: mla.Cases(sc.Requests)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.plans == nil {
		c.plans = map[string]*plan{}
	}
	c.plans[key] = p
	c.order = append(c.order, key)
	if len(c.order) > plansKept {
		delete(c.plans, c.order[0])
		c.order = c.order[1:]
	}
	return p, nil
}

// Plan plans a scenario from its source (once per worker) and returns a page of its cases in the order
// they start. A worker whose plan differs from the starter's fails the call for good.
func (a *Activities) Plan(ctx context.Context, in PlanInput) (PlanResult, error) {
	p, err := a.plans.get(in.Source, a.Rules)
	if err != nil {
		return PlanResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "BadScenario", err)
	}
	if got := scenarios.Fingerprint(p.sc.Requests); got != in.Fingerprint {
		msg := fmt.Sprintf("this worker plans scenario %s as %s, the starter as %s: run workers and starter of the same mlasim version and packs", p.sc.ID, got, in.Fingerprint)
		return PlanResult{}, temporal.NewNonRetryableApplicationError(msg, "PlanMismatch", nil)
	}
	if len(p.sc.Packs) > 0 {
		if _, err := a.Packs.Add(p.sc.Packs); err != nil {
			return PlanResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "BadPack", err)
		}
	}
	res := PlanResult{Total: len(p.cases), Requests: len(p.sc.Requests)}
	for i := in.From; i < min(in.From+in.Count, len(p.cases)); i++ {
		pc := PlannedCase{Start: p.sc.Requests[p.cases[i][0]].Request.At}
		for _, j := range p.cases[i] {
			pc.Requests = append(pc.Requests, p.sc.Requests[j].Compact())
		}
		res.Cases = append(res.Cases, pc)
	}
	return res, nil
}

// Closed is a workflow that has ended, and whether it completed.
type Closed struct {
	WorkflowID string `json:"workflow_id"`
	Completed  bool   `json:"completed"`
}

// Watch says which of the workflows have ended. It asks the cluster, so it needs the worker's client.
func (a *Activities) Watch(ctx context.Context, ids []string) ([]Closed, error) {
	if a.Client == nil {
		return nil, temporal.NewNonRetryableApplicationError("this worker has no client to ask the cluster with", "NoClient", nil)
	}
	var out []Closed
	for _, id := range ids {
		d, err := a.Client.DescribeWorkflowExecution(ctx, id, "")
		var nf *serviceerror.NotFound
		switch {
		case errors.As(err, &nf):
			// The scenario counts a case only once the server confirmed its start: one that is not
			// found has been removed (retention), or never ran.
			out = append(out, Closed{WorkflowID: id})
			continue
		case err != nil:
			return nil, err
		}
		if st := d.WorkflowExecutionInfo.Status; st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			out = append(out, Closed{WorkflowID: id, Completed: st == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED})
		}
	}
	return out, nil
}
