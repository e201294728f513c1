// Package offline runs scenarios in-process under the Temporal SDK's time-skipping test environment: the
// same workflow and activity code as on a Temporal server, with no server, where a 60-day timer costs
// nothing. It is the batch engine for policy analysis.
package offline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

// Options tune an offline run.
type Options struct {
	// Parallel is how many cases run at once (default: the number of CPUs).
	Parallel int
	// Progress, if set, is called after each case (or shard) with the number of requests done.
	Progress func(done, total int)
	// Shard, if set, runs a shard of cases elsewhere, typically in a child process, and Run sends it
	// shards of about ShardSize requests. The SDK's test environment stays in memory once used, so a
	// process that runs every case of a large scenario grows with the number of cases; shards in
	// processes that exit keep the peak bounded.
	Shard     func(ctx context.Context, in workflows.ScenarioInput) (workflows.ScenarioResult, error)
	ShardSize int
}

// RunShards is Run with the cases grouped into shards handed to opts.Shard, in parallel.
func runShards(ctx context.Context, in workflows.ScenarioInput, cases [][]workflows.RequestInput, opts Options) (workflows.ScenarioResult, error) {
	var shards [][]workflows.RequestInput
	var cur []workflows.RequestInput
	for _, c := range cases {
		cur = append(cur, c...)
		if len(cur) >= opts.ShardSize {
			shards = append(shards, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		shards = append(shards, cur)
	}
	results, errs := runGroups(ctx, in, shards, opts, func(sub workflows.ScenarioInput) ([]mla.Outcome, error) {
		res, err := opts.Shard(ctx, sub)
		return res.Results, err
	})
	out := workflows.ScenarioResult{ID: in.ID, Title: in.Title}
	byID := map[string]mla.Outcome{}
	for i, rs := range results {
		if errs[i] != nil && ctx.Err() == nil {
			return out, fmt.Errorf("shard %d: %w", i+1, errs[i])
		}
		for _, x := range rs {
			byID[x.RequestID] = x
		}
	}
	for _, rq := range in.Requests {
		if r, ok := byID[rq.Request.ID]; ok {
			out.Results = append(out.Results, r)
		}
	}
	return out, ctx.Err()
}

// Run runs a scenario and returns its results in scenario order. Requests that talk to each other (a
// preservation and the requests that follow it up) form a case and share one test environment; cases run
// in separate environments, in parallel. One environment per case keeps each far below the few hundred
// concurrent children where the SDK's test environment stalls.
//
// When ctx ends, no new case starts; Run returns the results of the cases that finished (in scenario
// order, others left out) with ctx's error.
func Run(ctx context.Context, in workflows.ScenarioInput, engine *rules.Engine, opts Options) (workflows.ScenarioResult, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = runtime.NumCPU()
	}
	// Engine time means nothing offline. The test environment keeps a wall-clock timer for any timer
	// pending while an activity runs, and that timer holds the whole environment until it fires: with
	// one legal day per 10 µs of engine time, they fire at once and each case is freed when it ends.
	// Legal timelines do not depend on the scale.
	in.Clock.Scale = offlineScale
	cases := Cases(in.Requests)
	if opts.Shard != nil && opts.ShardSize > 0 && len(in.Requests) > opts.ShardSize {
		return runShards(ctx, in, cases, opts)
	}
	acts := activities.New(engine)
	if len(in.Packs) > 0 {
		if _, err := acts.Packs.Add(in.Packs); err != nil {
			return workflows.ScenarioResult{}, err
		}
	}

	results, errs := runGroups(ctx, in, cases, opts, func(sub workflows.ScenarioInput) ([]mla.Outcome, error) {
		// Under heavy load the SDK's test environment has been seen to stall a case, which it reports
		// as its run timeout; the case is deterministic, so it is run again (at most twice more).
		var rs []mla.Outcome
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			if rs, err = runCase(sub, acts); err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
				break
			}
		}
		return rs, err
	})
	if ctx.Err() != nil {
		out := workflows.ScenarioResult{ID: in.ID, Title: in.Title}
		for _, rs := range results {
			out.Results = append(out.Results, rs...)
		}
		return out, ctx.Err()
	}
	for i, err := range errs {
		if err != nil {
			// The engine could not run this case: its requests have no legal outcome.
			results[i] = engineFailures(cases[i], err)
		}
	}
	byID := map[string]mla.Outcome{}
	for _, rs := range results {
		for _, r := range rs {
			byID[r.RequestID] = r
		}
	}
	out := workflows.ScenarioResult{ID: in.ID, Title: in.Title}
	for _, rq := range in.Requests {
		out.Results = append(out.Results, byID[rq.Request.ID])
	}
	return out, nil
}

// runGroups runs groups of requests (cases or shards) at most opts.Parallel at a time, reporting
// progress after each. When ctx ends, no new group starts.
func runGroups(ctx context.Context, in workflows.ScenarioInput, groups [][]workflows.RequestInput, opts Options,
	run func(workflows.ScenarioInput) ([]mla.Outcome, error)) ([][]mla.Outcome, []error) {
	results := make([][]mla.Outcome, len(groups))
	errs := make([]error, len(groups))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for i, g := range groups {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sub := in
			sub.Requests = g
			results[i], errs[i] = run(sub)
			mu.Lock()
			done += len(g)
			if opts.Progress != nil {
				opts.Progress(done, len(in.Requests))
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results, errs
}

// offlineScale is legal seconds per engine second offline: one legal day per 10 µs.
const offlineScale = 86400 / 10e-6

// Cases groups requests that talk to each other: each follow-up joins the case of the preservation it
// follows. Order within and between cases follows the scenario.
func Cases(reqs []workflows.RequestInput) [][]workflows.RequestInput {
	index := map[string]int{}
	var cases [][]workflows.RequestInput
	for _, rq := range reqs {
		if i, ok := index[rq.Request.FollowUpOf]; ok && rq.Request.FollowUpOf != "" {
			cases[i] = append(cases[i], rq)
			index[rq.Request.ID] = i
			continue
		}
		index[rq.Request.ID] = len(cases)
		cases = append(cases, []workflows.RequestInput{rq})
	}
	return cases
}

// engineFailures marks every request of a case the engine could not run.
func engineFailures(reqs []workflows.RequestInput, err error) []mla.Outcome {
	out := make([]mla.Outcome, len(reqs))
	for i, rq := range reqs {
		r := rq.Request
		out[i] = mla.Outcome{RequestID: r.ID, Title: r.Title, Kind: r.Kind, From: r.From, To: r.To, Channel: r.Channel,
			Basis: rq.Basis.Basis, EngineError: err.Error()}
	}
	return out
}

func runCase(in workflows.ScenarioInput, acts *activities.Activities) ([]mla.Outcome, error) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(5 * time.Minute)
	worker.Register(env, acts)
	env.ExecuteWorkflow(workflows.ScenarioWorkflow, in)
	if !env.IsWorkflowCompleted() {
		return nil, fmt.Errorf("the scenario workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		return nil, err
	}
	var res workflows.ScenarioResult
	if err := env.GetWorkflowResult(&res); err != nil {
		return nil, err
	}
	return res.Results, nil
}
