// Package offline runs scenarios in-process under the Temporal SDK's time-skipping test environment: the
// same workflow and activity code as on a Temporal server, with no server, where a 60-day timer costs
// nothing. It is the batch engine for policy analysis.
package offline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

// Input is what an offline run needs of a scenario: its planned requests and its own packs.
type Input struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Clock    mla.Clock         `json:"clock"`
	Requests []mla.Planned     `json:"requests"`
	Packs    map[string][]byte `json:"packs,omitempty"`
}

// InputOf is the offline input of a loaded scenario.
func InputOf(sc *scenarios.Scenario) Input {
	return Input{ID: sc.ID, Title: sc.Title, Clock: sc.Clock, Requests: sc.Requests, Packs: sc.Packs}
}

// Options tune an offline run.
type Options struct {
	// Parallel is how many cases run at once (default: the number of CPUs).
	Parallel int
	// Progress, if set, is called after each case (or shard) with the number of requests done.
	Progress func(done, total int)
	// Shard, if set, runs a shard of cases elsewhere, typically in a child process, and Run sends it
	// shards of about ShardSize requests. A finished case's environment is reclaimed (see
	// NewEnvironment); what a process keeps is the results, about 7 KB a request, and shards in
	// processes that exit keep the peak of a very large scenario bounded.
	Shard     func(ctx context.Context, in Input) (workflows.ScenarioResult, error)
	ShardSize int
	// JSONPayloads encodes every payload as JSON, as the live engine does, instead of passing values in
	// process: slower, and the same outcomes.
	JSONPayloads bool
	// TimedWaits makes every legal wait an engine timer, as on a server, in requests that talk to no
	// other workflow too: slower, and the same outcomes.
	TimedWaits bool
	// Reachable has workflows register the handlers of people's messages and publish their search
	// attributes and current details, as on a server, though no client can reach them offline: slower,
	// and the same outcomes.
	Reachable bool
	// ActivitySteps runs transmissions, screenings and providers' answers as activities, as on a server,
	// not as calls in the workflow (mla.Clock.InProcess): slower, and the same outcomes.
	// JSONPayloads, TimedWaits, Reachable and ActivitySteps apply in this process, not to shards.
	ActivitySteps bool
}

// offlineScale is legal seconds per engine second offline: one legal day per 10 µs. Engine time means
// nothing offline, where timers fire by time skipping alone (NewEnvironment). Legal timelines do not
// depend on the scale.
const offlineScale = 86400 / 10e-6

// Attempts is how many times a case is run when the test environment fails it for a reason of its own
// (its deadlock detector on a loaded machine, its run timeout): the case is deterministic, so a rerun
// gives its real outcome.
const Attempts = 3

// Run runs a scenario and returns its results in scenario order. Requests that talk to each other (a
// preservation and the requests that follow it up) form a case (mla.Cases); each case runs in a test
// environment of its own: a lone request as its Request or Preservation workflow, a preservation with its
// follow-ups as a Case workflow, exactly as on a server. Cases run in parallel. A case the environment
// could not run is an engine failure: its requests carry the error, never a legal outcome.
//
// When ctx ends, no new case starts; Run returns the results of the cases that finished (in scenario
// order, others left out) with ctx's error.
func Run(ctx context.Context, in Input, engine *rules.Engine, opts Options) (workflows.ScenarioResult, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = runtime.NumCPU()
	}
	in.Clock.Scale = offlineScale
	in.Clock.Unreachable, in.Clock.Untimed, in.Clock.InProcess = !opts.Reachable, !opts.TimedWaits, !opts.ActivitySteps
	cases := mla.Cases(in.Requests)
	if opts.Shard != nil && opts.ShardSize > 0 && len(in.Requests) > opts.ShardSize {
		return runShards(ctx, in, cases, opts)
	}
	worker.Identify()
	acts := activities.New(engine)
	packsHash := ""
	if len(in.Packs) > 0 {
		var err error
		if packsHash, err = acts.Packs.Add(in.Packs); err != nil {
			return workflows.ScenarioResult{}, err
		}
	}
	groups := make([][]mla.Planned, len(cases))
	for i, c := range cases {
		for _, j := range c {
			groups[i] = append(groups[i], in.Requests[j])
		}
	}
	results, errs := runGroups(ctx, len(in.Requests), groups, opts, func(g []mla.Planned) ([]mla.Outcome, error) {
		var rs []mla.Outcome
		var err error
		for range Attempts {
			if rs, err = runCase(in, g, packsHash, acts, opts.JSONPayloads); err == nil || !transient(err) {
				break
			}
		}
		return rs, err
	})
	for i, err := range errs {
		if err != nil && ctx.Err() == nil {
			results[i] = engineFailures(groups[i], err)
		}
	}
	return ordered(in, results), ctx.Err()
}

// transient reports whether the test environment failed a case for a reason of its own.
func transient(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "deadline exceeded") || strings.Contains(msg, "didn't yield") || strings.Contains(msg, "TMPRL1101")
}

// ordered puts the results of groups back in scenario order, leaving out requests that did not run.
// The map holds positions, not outcomes, and the result is sized once: an outcome is 360 bytes, and
// copying each into a map and then into a growing slice was 1% of the engine's CPU time.
func ordered(in Input, results [][]mla.Outcome) workflows.ScenarioResult {
	type at struct{ group, i int }
	byID := make(map[string]at, len(in.Requests))
	n := 0
	for g, rs := range results {
		for i := range rs {
			byID[rs[i].RequestID] = at{g, i}
		}
		n += len(rs)
	}
	out := workflows.ScenarioResult{ID: in.ID, Title: in.Title, Results: make([]mla.Outcome, 0, n)}
	for _, p := range in.Requests {
		if a, ok := byID[p.Request.ID]; ok {
			out.Results = append(out.Results, results[a.group][a.i])
		}
	}
	return out
}

// runShards runs the cases grouped into shards of about opts.ShardSize requests, through opts.Shard.
func runShards(ctx context.Context, in Input, cases [][]int, opts Options) (workflows.ScenarioResult, error) {
	var shards [][]mla.Planned
	var cur []mla.Planned
	for _, c := range cases {
		for _, j := range c {
			cur = append(cur, in.Requests[j])
		}
		if len(cur) >= opts.ShardSize {
			shards = append(shards, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		shards = append(shards, cur)
	}
	results, errs := runGroups(ctx, len(in.Requests), shards, opts, func(g []mla.Planned) ([]mla.Outcome, error) {
		sub := in
		sub.Requests = g
		res, err := opts.Shard(ctx, sub)
		return res.Results, err
	})
	for i, err := range errs {
		if err != nil && ctx.Err() == nil {
			results[i] = engineFailures(shards[i], fmt.Errorf("shard %d: %w", i+1, err))
		}
	}
	return ordered(in, results), ctx.Err()
}

// runGroups runs groups of requests (cases or shards) at most opts.Parallel at a time, reporting
// progress after each. When ctx ends, no new group starts.
func runGroups(ctx context.Context, total int, groups [][]mla.Planned, opts Options,
	run func([]mla.Planned) ([]mla.Outcome, error)) ([][]mla.Outcome, []error) {
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
			results[i], errs[i] = run(g)
			mu.Lock()
			done += len(g)
			if opts.Progress != nil {
				opts.Progress(done, total)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results, errs
}

// engineFailures marks every request of a case the engine could not run.
func engineFailures(reqs []mla.Planned, err error) []mla.Outcome {
	out := make([]mla.Outcome, len(reqs))
	for i, p := range reqs {
		r := p.Request
		out[i] = mla.Outcome{RequestID: r.ID, Title: r.Title, Kind: r.Kind, From: r.From, To: r.To, Channel: r.Channel,
			Basis: p.Basis.Basis, Status: mla.StatusFailed, EngineError: err.Error()}
	}
	return out
}

// Quiet drops the SDK's log without formatting it: the offline engine runs millions of workflow steps.
// Its With returns it as it is: the SDK gives each workflow and activity task a logger with its own
// fields, and a discarding slog logger still built those fields, 2 KB a request. (The SDK's own no-op
// logger is in an internal package.)
var Quiet sdklog.Logger = quiet{}

type quiet struct{}

func (quiet) Debug(string, ...any)               {}
func (quiet) Info(string, ...any)                {}
func (quiet) Warn(string, ...any)                {}
func (quiet) Error(string, ...any)               {}
func (q quiet) With(...any) sdklog.Logger        { return q }
func (q quiet) WithCallerSkip(int) sdklog.Logger { return q }

var (
	_ sdklog.WithLogger      = quiet{}
	_ sdklog.WithSkipCallers = quiet{}
)

// NewEnvironment is a test environment as the offline engine runs a case in: the SDK's log dropped, no
// run timeout on its workflow (the test environment's default is ten years), as none is set on a server,
// and timers that fire by time skipping alone (stillWallClock).
func NewEnvironment() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(Quiet)
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkflowRunTimeout(0)
	// A worker identity of its own: without one, the environment makes one for each activity, from the
	// process ID and the host name.
	env.SetIdentity("mlasim-offline")
	stillWallClock(env)
	return env
}

// runCase runs one case in a test environment of its own.
func runCase(in Input, reqs []mla.Planned, packsHash string, acts *activities.Activities, json bool) ([]mla.Outcome, error) {
	env := NewEnvironment()
	env.SetTestTimeout(5 * time.Minute)
	env.SetDataConverter(newDataConverter(json))
	if in.Clock.InProcess {
		env.SetWorkerOptions(sdkworker.Options{Interceptors: []interceptor.WorkerInterceptor{workflows.InProcessSteps(acts)}})
	}
	worker.Register(env, acts)
	self := "offline/" + in.ID
	first := reqs[0].Request
	if len(reqs) == 1 {
		rq := workflows.RequestInput{ScenarioID: in.ID, Planned: reqs[0].Compact(),
			Clock: in.Clock.From(in.Clock.Start.Add(first.At.D()))}
		if packsHash != "" {
			rq.PackSet = activities.PackRef{Hash: packsHash}
		}
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.RequestWorkflowID(self, first.ID)})
		name := worker.RequestWorkflowName
		if first.Kind == mla.KindPreservation {
			name = worker.PreservationWorkflowName
		}
		env.ExecuteWorkflow(name, handOver(&rq, json))
		var o mla.Outcome
		if err := result(env, &o); err != nil {
			return nil, err
		}
		return []mla.Outcome{o}, nil
	}
	ci := workflows.CaseInput{ScenarioID: in.ID, ScenarioWorkflowID: self, Clock: in.Clock, Start: first.At, PacksHash: packsHash}
	ci.Requests = make([]workflows.RequestInput, len(reqs))
	for i, p := range reqs {
		ci.Requests[i] = workflows.RequestInput{Planned: p.Compact()}
	}
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: self + "/case/" + first.ID})
	env.ExecuteWorkflow(worker.CaseWorkflowName, handOver(&ci, json))
	var res workflows.CaseResult
	if err := result(env, &res); err != nil {
		return nil, err
	}
	return res.Results, nil
}

// handOver sends a case's input without the copy the in-process converter makes of what a workflow
// sends, since nothing else holds it; as JSON, it is encoded as the live engine does. v is a pointer to
// the input (a request's is 1.8 KB), which the workflow receives as the value it points to.
func handOver(v any, json bool) any {
	if json {
		return v
	}
	return handedOver{v}
}

func result(env *testsuite.TestWorkflowEnvironment, v any) error {
	if !env.IsWorkflowCompleted() {
		return errors.New("the workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		return err
	}
	return env.GetWorkflowResult(v)
}
