package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/report"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/workflows"
)

// LiveLimit is the largest scenario whose lifecycles are printed event by event.
const LiveLimit = 60

// Live reports whether a run of sc under plan prints each request's lifecycle.
func Live(sc *scenarios.Scenario, plan Plan, asJSON bool) bool {
	return !asJSON && plan.Replications <= 1 && len(sc.Requests) <= LiveLimit
}

// Output says where a run reports: its writers, a results folder, and JSON instead of text.
type Output struct {
	Out, Err io.Writer
	// Dir, if set, receives requests.jsonl, requests.csv, summary.md and metrics.json.
	Dir  string
	JSON bool
	// Timelines prints each request's timeline after the run (an offline run finishes at once; a live
	// cluster run prints its own as it goes).
	Timelines bool
}

// RunAndReport runs a scenario's replications on the engine and reports them: a line per replication,
// the results folder, then a summary against the answer key (small runs) or the metrics with intervals.
// Engine failures go to Err and make the error it returns; a request left in no final state does too.
func RunAndReport(ctx context.Context, eng Engine, sc *scenarios.Scenario, plan Plan, o Output) error {
	var dir *report.Dir
	if o.Dir != "" {
		var err error
		if dir, err = report.CreateDir(o.Dir); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer dir.Close()
	}
	plan.Timelines = true
	bar := NewBar(o.Err, len(sc.Requests), !Live(sc, plan, o.JSON))
	reps, err := Replicate(ctx, eng, sc, plan, bar.Set, func(r Replication) error {
		bar.Done()
		if o.Timelines {
			for _, res := range r.Result.Results {
				for _, e := range res.Timeline {
					fmt.Fprintln(o.Out, starter.FormatEvent(res.RequestID, e))
				}
			}
		}
		if plan.Replications > 1 && !o.JSON {
			m := report.Compute(r.Records)
			fmt.Fprintf(o.Out, "replication %d (seed %d): %d requests, %d refused, %d safeguard failures, %d over-blocked, %d evidence lost\n",
				r.N, r.Seed, m.Requests, m.Outcomes[mla.StatusRefused], m.SafeguardFailures, m.OverBlocking, m.EvidenceLost)
		}
		if dir != nil {
			return dir.Write(r.Records)
		}
		return nil
	})
	if err != nil {
		switch {
		case ctx.Err() != nil && o.Dir != "":
			return fmt.Errorf("interrupted: the results written so far are in %s", o.Dir)
		case ctx.Err() != nil:
			return errors.New("interrupted")
		}
		return err
	}
	all := Records(reps)
	if dir != nil {
		if err := dir.Finish(sc.Title, all); err != nil {
			return err
		}
	}
	if err := summarise(o, sc, plan, reps, all); err != nil {
		return err
	}
	if err := CheckEngine(o.Err, reps); err != nil {
		return err
	}
	for _, r := range reps {
		if err := starter.AllFinal(r.Result); err != nil {
			return err
		}
	}
	return nil
}

func summarise(o Output, sc *scenarios.Scenario, plan Plan, reps []Replication, all [][]report.Record) error {
	switch {
	case o.JSON:
		enc := json.NewEncoder(o.Out)
		enc.SetIndent("", "  ")
		results := make([]workflows.ScenarioResult, len(reps))
		for i, r := range reps {
			results[i] = r.Result
		}
		var v any = results
		if len(results) == 1 {
			v = results[0]
		}
		return enc.Encode(v)
	case plan.Replications <= 1 && len(sc.Requests) <= LiveLimit:
		starter.Summary(o.Out, reps[0].Result, sc.Truth())
	default:
		fmt.Fprintln(o.Out)
		report.WriteSummary(o.Out, sc.Title, all)
	}
	if o.Dir != "" {
		fmt.Fprintf(o.Out, "\nresults written to %s (requests.jsonl, requests.csv, summary.md, metrics.json)\n", o.Dir)
	}
	return nil
}

// Compare runs two variants of a scenario on the same requests (paired by seed; B with the policy
// overrides), prints the comparison as Markdown and writes compare.html, compare.md and compare.csv to dir.
func Compare(ctx context.Context, eng Engine, a, b *scenarios.Scenario, nameA, nameB string, plan Plan, overrides map[string]string, dir string, out, errw io.Writer) error {
	keep := func(Replication) error { return nil }
	ra, err := Replicate(ctx, eng, a, plan, nil, keep)
	if err != nil {
		return err
	}
	plan.Policies = overrides
	rb, err := Replicate(ctx, eng, b, plan, nil, keep)
	if err != nil {
		return err
	}
	if err := CheckEngine(errw, append(ra, rb...)); err != nil {
		return err
	}
	c := report.Compare(a.Title, nameA, nameB, Records(ra), Records(rb))
	c.WriteMarkdown(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{
		"compare.html": c.WriteHTML,
		"compare.md":   func(w io.Writer) error { c.WriteMarkdown(w); return nil },
		"compare.csv":  c.WriteCSV,
	} {
		if err := writeFile(filepath.Join(dir, name), write); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\nwritten to %s: compare.html, compare.md, compare.csv\n", dir)
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ParsePolicies reads policy overrides written CODE=POLICY or *=POLICY.
func ParsePolicies(specs []string, engine *rules.Engine) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range specs {
		code, policy, ok := strings.Cut(s, "=")
		if !ok || code == "" || policy == "" {
			return nil, fmt.Errorf("--set-policy %q: write CODE=POLICY or *=POLICY", s)
		}
		if !engine.HasPolicy(policy) {
			return nil, fmt.Errorf("--set-policy %q: unknown policy %q (known: %s)", s, policy, strings.Join(engine.Policies(), ", "))
		}
		out[code] = policy
	}
	return out, nil
}

// Timing is how long an engine took for a number of requests.
type Timing struct {
	Requests int
	Wall     time.Duration
}

// PerSecond is the throughput.
func (t Timing) PerSecond() float64 { return float64(t.Requests) / t.Wall.Seconds() }

func (t Timing) String() string {
	return fmt.Sprintf("%d requests in %s = %.0f requests/s", t.Requests, t.Wall.Round(time.Millisecond), t.PerSecond())
}

// Time runs the scenario once on the engine and measures it.
func Time(ctx context.Context, eng Engine, sc *scenarios.Scenario) (Timing, error) {
	t0 := time.Now()
	res, err := eng.Run(ctx, sc, nil)
	if err != nil {
		return Timing{}, err
	}
	if n := len(res.Results); n > 0 {
		for _, o := range res.Results {
			if o.EngineFailed() {
				return Timing{}, fmt.Errorf("%w: request %s: %s", ErrEngineFailures, o.RequestID, o.EngineError)
			}
		}
	}
	return Timing{Requests: len(res.Results), Wall: time.Since(t0)}, nil
}

// PeakRSS is the peak resident memory of this process, or (children) of its largest child that ended.
func PeakRSS(children bool) string {
	who := syscall.RUSAGE_SELF
	if children {
		who = syscall.RUSAGE_CHILDREN
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return "unknown"
	}
	if ru.Maxrss == 0 {
		return "none"
	}
	return strconv.FormatInt(ru.Maxrss/1024, 10) + " MiB" // Linux reports kilobytes
}

// Bar is a progress bar for large runs; the zero Bar does nothing. It shows a rate only once a second
// has passed, measured from the first request, so it never reads a burst of the first milliseconds as
// millions of requests per second, and it ends at 100%.
type Bar struct{ st *barState }

type barState struct {
	b     *progressbar.ProgressBar
	total int
	start time.Time
}

// NewBar returns a bar on w for total requests, or a no-op bar when not shown or the run is small.
func NewBar(w io.Writer, total int, show bool) Bar {
	if !show || total <= LiveLimit || w == nil {
		return Bar{}
	}
	return Bar{&barState{total: total, start: time.Now(), b: progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("requests"), progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(false), progressbar.OptionClearOnFinish())}}
}

// Set moves the bar to done requests.
func (b Bar) Set(done, _ int) {
	if b.st == nil {
		return
	}
	if el := time.Since(b.st.start); el >= time.Second && done > 0 {
		b.st.b.Describe(fmt.Sprintf("requests (%.0f/s)", float64(done)/el.Seconds()))
	}
	_ = b.st.b.Set(done) // renders the description with the count it belongs to
}

// Done ends the bar of one replication at 100% and starts the next one's clock.
func (b Bar) Done() {
	if b.st == nil {
		return
	}
	_ = b.st.b.Set(b.st.total)
	_ = b.st.b.Finish()
	b.st.b.Reset()
	b.st.b.Describe("requests")
	b.st.start = time.Now()
}

// Demo runs a scenario live on a cluster, printing each request's lifecycle as it happens, then the
// summary against the answer key. It returns how many requests differ from the key; a request left in
// no final state, or one the engine could not run, is an error.
func Demo(ctx context.Context, c Cluster, sc *scenarios.Scenario) (int, error) {
	res, err := c.Run(ctx, sc, nil)
	if err != nil {
		return 0, err
	}
	mismatches := starter.Summary(c.Live, res, sc.Truth())
	return mismatches, starter.AllFinal(res)
}

// Coverage runs a scenario and counts, in cov, the rules that fired in every screening of its requests
// (onward preservations included). It returns the number of requests run.
func Coverage(ctx context.Context, eng Engine, sc *scenarios.Scenario, cov *rules.Coverage) (int, error) {
	res, err := eng.Run(ctx, sc, nil)
	if err != nil {
		return 0, err
	}
	for _, r := range res.Results {
		cov.RecordIDs(r.Fired)
		if r.Onward != nil {
			cov.RecordIDs(r.Onward.Fired)
		}
	}
	return len(res.Results), nil
}

// BenchOptions set what Bench measures.
type BenchOptions struct {
	// Requests limits the offline run to the first N requests (0: all); ServerRequests, the cluster run
	// (0: skip it).
	Requests, ServerRequests int
	// ShardSize is the offline engine's shard size, printed with the figures.
	ShardSize int
	// Cluster starts the cluster to measure and returns a client on it and a function that stops it.
	Cluster func(ctx context.Context) (client.Client, func(), error)
	// CPUProfile, if set, is a file for a CPU profile of the cluster run (go tool pprof reads it).
	CPUProfile string
	// AsActivities, if set, is the offline engine with every step an activity, as on a server: Bench
	// runs it after the baseline and prints its CPU per request too, since the offline engine calls its
	// steps in process and so makes fewer engine steps than the baseline. It runs in this process (a
	// shard process runs its steps in process), on at most ShardSize requests.
	AsActivities Engine
}

// Bench runs a scenario on the offline engine and then (part of it) on a cluster, and prints the wall
// time, requests per second, CPU per request and peak memory of each, beside the same figures for the
// no-op baseline workflow (BaselineWorkflow) run the same way, and the ratios.
func Bench(ctx context.Context, out io.Writer, off Engine, sc *scenarios.Scenario, o BenchOptions) error {
	first := func(n int) *scenarios.Scenario { return sc.WithLimit(n) }
	c0 := cpuTime()
	t, err := Time(ctx, off, first(o.Requests))
	if err != nil {
		return err
	}
	mine := Cost{N: t.Requests, Wall: t.Wall, CPU: cpuTime() - c0}
	fmt.Fprintf(out, "offline engine:  %s, CPU %s per request; peak memory of the process %s, of its largest shard process %s (shards of %d requests)\n",
		t, mine.CPUPer().Round(time.Microsecond), PeakRSS(false), PeakRSS(true), o.ShardSize)
	base, err := BaselineOffline(ctx, t.Requests, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "offline no-op:   %d baseline workflows (%d activities, %d timers, %d upserts each, a test environment each) in %s = %.0f/s, CPU %s per workflow\n",
		base.N, BaselineActivities, BaselineTimers, BaselineUpserts, base.Wall.Round(time.Millisecond), base.PerSecond(), base.CPUPer().Round(time.Microsecond))
	fmt.Fprintf(out, "offline ratio:   mlasim uses %.2fx the baseline's CPU per request, at %.0f%% of its throughput (its transmissions, screenings and providers' answers called in process)\n",
		float64(mine.CPUPer())/float64(base.CPUPer()), 100*mine.PerSecond()/base.PerSecond())
	if o.AsActivities != nil {
		n := t.Requests
		if o.ShardSize > 0 {
			n = min(n, o.ShardSize)
		}
		c0 := cpuTime()
		ta, err := Time(ctx, o.AsActivities, first(n))
		if err != nil {
			return err
		}
		steps := Cost{N: ta.Requests, Wall: ta.Wall, CPU: cpuTime() - c0}
		fmt.Fprintf(out, "offline, steps as activities: %s, CPU %s per request, %.2fx the baseline's (each step an activity, as on a server)\n",
			ta, steps.CPUPer().Round(time.Microsecond), float64(steps.CPUPer())/float64(base.CPUPer()))
	}
	if o.ServerRequests <= 0 || o.Cluster == nil {
		return nil
	}
	c, stop, err := o.Cluster(ctx)
	if err != nil {
		return err
	}
	defer stop()
	// One legal day per millisecond: every timer is at the server's floor, so both runs measure the
	// server's throughput, not the legal durations.
	live := first(o.ServerRequests).WithScale(86400 / 0.001)
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if t, err = Time(ctx, Cluster{Client: c}, live); err != nil {
		return err
	}
	fmt.Fprintf(out, "embedded server: %s (SQLite in memory, worker in process, one legal day per ms); peak memory of the process %s\n", t, PeakRSS(false))
	base, err = BaselineLive(ctx, c, t.Requests, time.Millisecond)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "server no-op:    %d baseline workflows, %d at a time, in %s = %.0f/s\n", base.N, baselineWindow, base.Wall.Round(time.Millisecond), base.PerSecond())
	fmt.Fprintf(out, "server ratio:    mlasim runs at %.0f%% of the baseline's throughput on the same server\n", 100*t.PerSecond()/base.PerSecond())
	return nil
}
