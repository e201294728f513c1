// Package sim runs scenarios on an engine: in-process under the SDK's time-skipping test environment
// (Offline), or on any Temporal cluster (Cluster). It replicates a run with derived seeds and turns the
// outcomes into records, once for every command that runs scenarios (run, compare, bench, coverage).
package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/report"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/workflows"
)

// Progress is told how many requests have ended, of how many.
type Progress func(done, total int)

// Engine runs one scenario and returns every request's outcome, in scenario order.
type Engine interface {
	Run(ctx context.Context, sc *scenarios.Scenario, progress Progress) (workflows.ScenarioResult, error)
}

// Offline runs scenarios in-process under the SDK's time-skipping test environment; large ones in shards
// of child processes when Shard is set (see ShardProcess).
type Offline struct {
	Rules     *rules.Engine
	Shard     func(ctx context.Context, in offline.Input) (workflows.ScenarioResult, error)
	ShardSize int
	// ActivitySteps runs every step as an activity, as on a server (offline.Options.ActivitySteps).
	ActivitySteps bool
}

// Run runs the scenario offline.
func (o Offline) Run(ctx context.Context, sc *scenarios.Scenario, progress Progress) (workflows.ScenarioResult, error) {
	return offline.Run(ctx, offline.InputOf(sc), o.Rules, offline.Options{Progress: progress, Shard: o.Shard, ShardSize: o.ShardSize, ActivitySteps: o.ActivitySteps})
}

// Cluster runs scenarios on a Temporal cluster.
type Cluster struct {
	Client client.Client
	// Live, if set, receives each request's timeline events as they happen.
	Live io.Writer
	// Started, if set, is told of the run once it has started (the demo's lifecycle page follows it).
	Started func(*starter.Run)
	// Window is how many cases the Scenario workflow runs at once (starter.Options).
	Window int
}

// Run starts the scenario on the cluster and waits for it.
func (c Cluster) Run(ctx context.Context, sc *scenarios.Scenario, progress Progress) (workflows.ScenarioResult, error) {
	run, err := starter.StartWith(ctx, c.Client, sc, starter.Options{Window: c.Window})
	if err != nil {
		return workflows.ScenarioResult{}, err
	}
	if c.Started != nil {
		c.Started(run)
	}
	if c.Live != nil {
		fmt.Fprintf(c.Live, "scenario run %s started\n\n", run.ID())
		return (&starter.Follower{Out: c.Live}).Follow(ctx, run)
	}
	return run.Results(ctx, progress)
}

// Plan says how to replicate a scenario.
type Plan struct {
	// Replications is how many runs (at least 1); each after the first draws a seed derived from Seed.
	Replications int
	// Seed is the base seed; SeedSet says it was given (else the scenario's own seed is the base).
	Seed    int64
	SeedSet bool
	// Policies overrides requested States' policies (State code or "*" to policy).
	Policies map[string]string
	// Timelines keeps each request's timeline in its record.
	Timelines bool
	// Without leaves the rules of these confidence tags out of every screening.
	Without []mla.Tag
}

// Replication is one run of a scenario: its seed, the scenario drawn with it, the outcomes and records.
type Replication struct {
	N        int
	Seed     int64
	Scenario *scenarios.Scenario
	Result   workflows.ScenarioResult
	Records  []report.Record
}

// EngineFailures lists the requests the engine could not run.
func (r Replication) EngineFailures() []mla.Outcome {
	var out []mla.Outcome
	for _, o := range r.Result.Results {
		if o.EngineFailed() {
			out = append(out, o)
		}
	}
	return out
}

// SeedOf is the seed of replication n (1-based): the base seed for a single run, a seed derived from it
// for each of several, so replications are independent and reproducible.
func SeedOf(base int64, n, of int) int64 {
	if of <= 1 {
		return base
	}
	return mla.DeriveSeed(base, "replication/"+strconv.Itoa(n))
}

// Replicate runs the scenario plan.Replications times on the engine. After each run, each is called with
// the replication (also with the partial results of a run that was interrupted, so they can be kept).
func Replicate(ctx context.Context, eng Engine, sc *scenarios.Scenario, plan Plan, progress Progress, each func(Replication) error) ([]Replication, error) {
	n := max(plan.Replications, 1)
	base := sc.Seed
	if plan.SeedSet {
		base = plan.Seed
	}
	var reps []Replication
	for i := 1; i <= n; i++ {
		seed := SeedOf(base, i, n)
		s := sc
		if seed != sc.Seed {
			var err error
			if s, err = sc.WithSeed(seed); err != nil {
				return reps, err
			}
		}
		s = s.WithPolicies(plan.Policies).Without(plan.Without...)
		res, runErr := eng.Run(ctx, s, progress)
		rep := Replication{N: i, Seed: seed, Scenario: s, Result: res,
			Records: report.Records(report.Run{Scenario: s.ID, Replication: i, Seed: seed}, res.Results, s.Truth(), plan.Timelines)}
		report.Describe(rep.Records, s.Cases())
		if err := each(rep); err != nil {
			return reps, err
		}
		if runErr != nil {
			return reps, runErr
		}
		reps = append(reps, rep)
	}
	return reps, nil
}

// ErrEngineFailures is returned (wrapped) when some requests could not be run by the engine.
var ErrEngineFailures = errors.New("engine failures")

// CheckEngine reports the engine failures of the replications, one line each, and returns an error
// naming their number when there are any.
func CheckEngine(w io.Writer, reps []Replication) error {
	n := 0
	for _, rep := range reps {
		for _, o := range rep.EngineFailures() {
			n++
			fmt.Fprintf(w, "engine failure: replication %d, request %s: %s\n", rep.N, o.RequestID, o.EngineError)
		}
	}
	if n > 0 {
		return fmt.Errorf("%w: %d requests could not be run (their results are not outcomes and are left out of the figures)", ErrEngineFailures, n)
	}
	return nil
}

// Records gathers the records of replications.
func Records(reps []Replication) [][]report.Record {
	out := make([][]report.Record, len(reps))
	for i, r := range reps {
		out[i] = r.Records
	}
	return out
}

// ShardCommand is the hidden subcommand a shard process runs.
const ShardCommand = "offline-shard"

// ShardProcess returns a shard runner that starts exe with ShardCommand, the shard's input on stdin and
// its results on stdout. The SDK's test environment stays in memory once used, so processes that exit
// keep the peak memory of a large run bounded.
func ShardProcess(exe string) func(ctx context.Context, in offline.Input) (workflows.ScenarioResult, error) {
	return func(ctx context.Context, in offline.Input) (workflows.ScenarioResult, error) {
		var res workflows.ScenarioResult
		input, err := json.Marshal(in)
		if err != nil {
			return res, err
		}
		cmd := exec.CommandContext(ctx, exe, ShardCommand)
		cmd.Stdin = bytes.NewReader(input)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return res, fmt.Errorf("offline shard: %v: %s", err, strings.TrimSpace(stderr.String()))
		}
		err = json.Unmarshal(stdout.Bytes(), &res)
		return res, err
	}
}

// ServeShard runs one shard: a scenario input from r, its results to w.
func ServeShard(ctx context.Context, engine *rules.Engine, r io.Reader, w io.Writer) error {
	var in offline.Input
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return fmt.Errorf("shard input: %w", err)
	}
	res, err := offline.Run(ctx, in, engine, offline.Options{})
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(res)
}

// ShardedOffline is the offline engine that runs scenarios larger than shardSize requests in shard
// processes of the running binary (which must answer ShardCommand).
func ShardedOffline(engine *rules.Engine, shardSize int) Offline {
	exe, err := os.Executable()
	if err != nil {
		return Offline{Rules: engine}
	}
	return Offline{Rules: engine, Shard: ShardProcess(exe), ShardSize: shardSize}
}
