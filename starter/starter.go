// Package starter starts scenarios on a Temporal cluster, follows their requests live, and collects the
// results: the client side of mlasim.
package starter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/workflows"
)

// Input is the Scenario workflow input of a loaded scenario.
func Input(sc *scenarios.Scenario) workflows.ScenarioInput {
	return workflows.NewScenarioInput(sc.ID, sc.Title, sc.Clock, sc.Seed, sc.Requests, sc.Packs, sc.PacksHash)
}

// Start starts a run of the scenario and returns it. Each run gets its own workflow ID, so a scenario
// can run many times on one cluster.
func Start(ctx context.Context, c client.Client, in workflows.ScenarioInput) (client.WorkflowRun, error) {
	id := workflows.ScenarioWorkflowID(in.ID, uuid.NewString()[:8])
	return c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: workflows.TaskQueue, StaticSummary: in.Title,
		TypedSearchAttributes: scenarioAttributes(in.ID),
	}, workflows.ScenarioWorkflow, in)
}

// Follower prints each request's new timeline events while a scenario runs.
type Follower struct {
	Client client.Client
	Out    io.Writer
	// Every is the polling interval (default 250ms).
	Every time.Duration

	mu      sync.Mutex
	printed map[string]int
}

// Follow prints events as they happen until the scenario run ends, then returns its result.
func (f *Follower) Follow(ctx context.Context, run client.WorkflowRun) (workflows.ScenarioResult, error) {
	if f.Every == 0 {
		f.Every = 250 * time.Millisecond
	}
	f.printed = map[string]int{}
	res, err := poll(ctx, run, f.Every, func() { f.poll(ctx, run.GetID()) })
	if err == nil {
		for _, r := range res.Results {
			f.print(r.RequestID, r.Timeline)
		}
	}
	return res, err
}

// Wait waits for a scenario run to end, reporting every second how many requests have ended.
func Wait(ctx context.Context, c client.Client, run client.WorkflowRun, progress func(done int)) (workflows.ScenarioResult, error) {
	return poll(ctx, run, time.Second, func() {
		var p workflows.Progress
		if v, err := c.QueryWorkflow(ctx, run.GetID(), "", workflows.QueryProgress); err == nil && v.Get(&p) == nil {
			progress(p.Done)
		}
	})
}

// poll calls tick every interval until the run ends, and returns its result.
func poll(ctx context.Context, run client.WorkflowRun, every time.Duration, tick func()) (workflows.ScenarioResult, error) {
	done := make(chan struct{})
	var res workflows.ScenarioResult
	var runErr error
	go func() {
		defer close(done)
		runErr = run.Get(ctx, &res)
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return res, runErr
		case <-ctx.Done():
			return res, ctx.Err()
		case <-t.C:
			tick()
		}
	}
}

func (f *Follower) poll(ctx context.Context, scenarioID string) {
	var p workflows.Progress
	v, err := f.Client.QueryWorkflow(ctx, scenarioID, "", workflows.QueryProgress)
	if err != nil || v.Get(&p) != nil {
		return
	}
	for _, id := range p.Started {
		var tl []mla.Event
		v, err := f.Client.QueryWorkflow(ctx, id, "", workflows.QueryTimeline)
		if err != nil || v.Get(&tl) != nil {
			continue
		}
		f.print(strings.TrimPrefix(id, scenarioID+"/"), tl)
	}
}

func (f *Follower) print(requestID string, tl []mla.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range tl[min(f.printed[requestID], len(tl)):] {
		fmt.Fprintln(f.Out, FormatEvent(requestID, e))
	}
	if len(tl) > f.printed[requestID] {
		f.printed[requestID] = len(tl)
	}
}

// FormatEvent renders one timeline event on a line, with its citations on the next.
func FormatEvent(requestID string, e mla.Event) string {
	line := fmt.Sprintf("%s  %-24s %-20s %-3s %-29s %s", e.At.Format("2006-01-02 15:04"), requestID, e.Status, e.State, e.Actor, e.Text)
	if len(e.Citations) > 0 {
		cites := make([]string, len(e.Citations))
		for i, c := range e.Citations {
			cites[i] = c.String()
		}
		line += "\n" + strings.Repeat(" ", 18) + "cites: " + strings.Join(cites, "; ")
	}
	return line
}

// Summary renders the outcome of every request, checked against the scenario's answer key (truth, by
// request ID). It returns the number of requests that do not match the key.
func Summary(w io.Writer, res workflows.ScenarioResult, truth map[string]mla.Truth) int {
	fmt.Fprintf(w, "\n%s — %s\n\n", res.ID, res.Title)
	fmt.Fprintf(w, "%-26s %-10s %-12s %-9s %-19s %-12s %-30s %s\n", "REQUEST", "PAIR", "KIND", "BASIS", "STATUS", "LEGAL TIME", "GROUNDS", "ANSWER KEY")
	mismatches := 0
	for _, r := range res.Results {
		grounds := "-"
		if len(r.DecidedGrounds()) > 0 {
			grounds = strings.Join(r.DecidedGrounds(), ",")
		}
		key := "-"
		if e := truth[r.RequestID].Expected; e != nil {
			if ok, why := e.Met(r); ok {
				key = "as expected"
			} else {
				key = "DIFFERS: " + why
				mismatches++
			}
		}
		took := "-"
		if !r.Closed.IsZero() {
			took = mla.FormatLegalDuration(r.Closed.Sub(r.Sent))
		}
		status := string(r.Status)
		if r.EngineFailed() {
			status = "ENGINE FAILURE"
		}
		fmt.Fprintf(w, "%-26s %-10s %-12s %-9s %-19s %-12s %-30s %s\n", r.RequestID, r.From+"→"+r.To, r.Kind, r.Basis, status, took, grounds, key)
		for _, c := range r.Grounds {
			fmt.Fprintf(w, "%28s %s\n", "", c)
		}
		if r.DeadlineMet != nil {
			fmt.Fprintf(w, "%28s deadline met: %v\n", "", *r.DeadlineMet)
		}
		if r.Onward != nil {
			fmt.Fprintf(w, "%28s onward preservation in %s: %s\n", "", r.Onward.To, r.Onward.Status)
		}
		if r.EngineFailed() {
			fmt.Fprintf(w, "%28s %s\n", "", r.EngineError)
		}
	}
	counts := map[mla.Status]int{}
	failures := 0
	for _, r := range res.Results {
		if r.EngineFailed() {
			failures++
			continue
		}
		counts[r.Status]++
	}
	var parts []string
	for _, s := range mla.SortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
	}
	fmt.Fprintf(w, "\n%d requests: %s\n", len(res.Results), strings.Join(parts, ", "))
	if failures > 0 {
		fmt.Fprintf(w, "engine failures: %d (not outcomes: the engine could not run them)\n", failures)
	}
	return mismatches
}

// AllFinal reports whether every request reached a final status, and none failed in the engine.
func AllFinal(res workflows.ScenarioResult) error {
	var bad []string
	for _, r := range res.Results {
		if r.EngineFailed() {
			bad = append(bad, r.RequestID+" (engine failure: "+r.EngineError+")")
			continue
		}
		if !r.Status.Final() {
			bad = append(bad, r.RequestID+" ("+string(r.Status)+")")
		}
	}
	if len(bad) > 0 {
		return errors.New("requests not in a final state: " + strings.Join(bad, ", "))
	}
	return nil
}

func scenarioAttributes(id string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(workflows.SAScenario.ValueSet(id))
}

// Dial connects to the cluster named by the standard TEMPORAL_* settings (and the Temporal CLI's config
// file), as the `temporal` CLI does, and returns the client and its namespace.
func Dial(logger sdklog.Logger) (client.Client, string, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, "", fmt.Errorf("reading the Temporal client settings: %w", err)
	}
	opts.Logger = logger
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	c, err := client.Dial(opts)
	if err != nil {
		addr := opts.HostPort
		if addr == "" {
			addr = client.DefaultHostPort
		}
		return nil, "", fmt.Errorf("connecting to Temporal at %s: %w (start one with 'mlasim dev', or set TEMPORAL_ADDRESS)", addr, err)
	}
	return c, opts.Namespace, nil
}

// Decide sends a person's decision to a request waiting for one and returns the workflow's answer; a
// decision the workflow's validator refuses comes back as the error, with the reason.
func Decide(ctx context.Context, c client.Client, workflowID string, u workflows.DecisionUpdate) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: workflows.UpdateDecide, Args: []any{u}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var ack string
	if err == nil {
		err = h.Get(ctx, &ack)
	}
	return ack, err
}
