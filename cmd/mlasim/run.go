package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/sim"
	"github.com/mlasim/mlasim/stack"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

func newRun(g *globals) *cobra.Command {
	var engineName string
	var withoutU bool
	var window int
	var plan sim.Plan
	var o sim.Output
	cmd := &cobra.Command{
		Use:   "run FILE|NAME",
		Short: "Run a scenario on the configured Temporal server or offline, and report the results",
		Long: `run validates a scenario (a file, or the name of a built-in one: see 'mlasim scenarios') and runs it.

--engine temporal (the default) starts it on the Temporal cluster named by the standard TEMPORAL_*
settings (default localhost:7233, e.g. an 'mlasim dev' server). --engine offline runs the same workflow
code in-process under the Temporal SDK's time-skipping test environment, with no server: a 60-day timer
costs nothing, and both engines give the same lifecycles.

Small scenarios print each request's lifecycle, then a summary checked against the answer key; larger
ones show a progress bar and print the metrics: outcomes, refusals by ground, abusive requests granted
(safeguard failures), legitimate requests refused (over-blocking), evidence lost, time to evidence, by
State pair and by channel. --replications N repeats the run with seeds derived from --seed (default: the
scenario's) and gives 95% intervals across replications. --out DIR writes requests.jsonl, requests.csv,
summary.md and metrics.json there, replication by replication: an interrupted run keeps what it wrote.
--json prints the full results as JSON instead.

On a cluster, the Scenario workflow starts each case at its time in the scenario while fewer than
--window cases run (default 200): a run of long requests goes as fast as the window lets it, so a cluster
with more workers can take a wider one (up to 500). Outcomes do not depend on it.

A request the engine could not run is an engine failure, not an outcome: it is printed to stderr with
its error, left out of every figure, and the exit code is 1. A scenario with errors is not started: each
error names the file, line and field, and the exit code is 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, engine, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			if plan.Replications < 1 {
				return badInput(fmt.Errorf("--replications must be at least 1, not %d", plan.Replications))
			}
			plan.SeedSet = cmd.Flags().Changed("seed")
			if withoutU {
				plan.Without = []mla.Tag{mla.TagUnconfirmed}
			}
			if err := (starter.Options{Window: window}).Check(); err != nil {
				return badInput(err)
			}
			if window != 0 && engineName == "offline" {
				return badInput(fmt.Errorf("--window is the Scenario workflow's on a cluster; the offline engine runs its cases without one"))
			}
			o.Out, o.Err = cmd.OutOrStdout(), cmd.ErrOrStderr()
			live := sim.Live(sc, plan, o.JSON)
			on := sim.Cluster{Window: window}
			if live {
				on.Live = o.Out
			}
			eng, closeEngine, err := g.engine(cmd, engineName, engine, on)
			if err != nil {
				return err
			}
			defer closeEngine()
			o.Timelines = live && engineName == "offline"
			return sim.RunAndReport(cmd.Context(), eng, sc, plan, o)
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the results as JSON")
	cmd.Flags().StringVar(&engineName, "engine", "temporal", "temporal (the configured cluster) or offline (in-process, time-skipping)")
	cmd.Flags().IntVar(&plan.Replications, "replications", 1, "how many times to run the scenario, with derived seeds")
	cmd.Flags().Int64Var(&plan.Seed, "seed", 0, "base seed (default: the scenario's)")
	cmd.Flags().StringVar(&o.Dir, "out", "", "folder for requests.jsonl, requests.csv, summary.md and metrics.json")
	cmd.Flags().IntVar(&window, "window", 0, fmt.Sprintf("how many cases run at once on a cluster (0: the Scenario workflow's default of %d; at most %d)", workflows.DefaultWindow, starter.MaxWindow))
	cmd.Flags().BoolVar(&withoutU, "without-unconfirmed", false, "leave out every rule tagged [U] (unconfirmed source): which conclusions rest on them?")
	return cmd
}

// engine returns the engine named by --engine: offline, or the cluster the TEMPORAL_* settings name, run
// as on says (its timelines followed live, its window); close releases it.
func (g *globals) engine(cmd *cobra.Command, name string, rules *rules.Engine, on sim.Cluster) (eng sim.Engine, close func(), err error) {
	switch name {
	case "offline":
		return offlineEngine(rules), func() {}, nil
	case "temporal":
		c, ns, err := g.dial(cmd.ErrOrStderr())
		if err != nil {
			return nil, nil, err
		}
		if err := worker.EnsureSearchAttributes(cmd.Context(), c, ns); err != nil {
			c.Close()
			return nil, nil, badInput(fmt.Errorf("%w (register them with 'mlasim setup', or ask the cluster's operator to)", err))
		}
		on.Client = c
		return on, c.Close, nil
	}
	return nil, nil, badInput(fmt.Errorf("--engine must be temporal or offline, not %q", name))
}

func newCompare() *cobra.Command {
	var setPolicy []string
	var outDir string
	var withoutU bool
	var plan sim.Plan
	cmd := &cobra.Command{
		Use:   "compare A [B]",
		Short: "Compare two policy variants on the same requests: metrics, changed requests, rules",
		Long: `compare runs two variants of a scenario offline on the same requests (paired by seed): scenario files
or names A and B, or A alone with --set-policy CODE=POLICY (or *=POLICY for every State) to make B. It
prints the change in every metric and writes, to --out, compare.html (self-contained, with charts, readable
without a server), compare.md and compare.csv: the requests whose outcome changed, with the rules behind
each side's decision.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			scA, engine, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			scB, nameB := scA, args[0]
			if len(args) == 2 {
				if scB, _, err = loadScenario(args[1]); err != nil {
					return err
				}
				nameB = args[1]
			}
			overrides, err := sim.ParsePolicies(setPolicy, engine)
			if err != nil {
				return badInput(err)
			}
			if len(args) == 1 && len(overrides) == 0 && !withoutU {
				return badInput(fmt.Errorf("give a second scenario, --set-policy CODE=POLICY or --without-unconfirmed"))
			}
			if len(overrides) > 0 {
				nameB += " with " + strings.Join(setPolicy, ", ")
			}
			if withoutU {
				scB, nameB = scB.Without(mla.TagUnconfirmed), nameB+" without the rules tagged [U]"
			}
			return sim.Compare(cmd.Context(), offlineEngine(engine), scA, scB, args[0], nameB, plan, overrides, outDir, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringSliceVar(&setPolicy, "set-policy", nil, "for B: CODE=POLICY, or *=POLICY for every State (repeatable)")
	cmd.Flags().IntVar(&plan.Replications, "replications", 1, "replications of each variant, paired by seed")
	cmd.Flags().StringVar(&outDir, "out", "compare", "folder for compare.html, compare.md and compare.csv")
	cmd.Flags().BoolVar(&withoutU, "without-unconfirmed", false, "for B: leave out every rule tagged [U] (unconfirmed source)")
	return cmd
}

func newBench(g *globals) *cobra.Command {
	var scenario string
	var limit, serverRequests int
	var profile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure requests per second and peak memory of the offline engine and the embedded server",
		Long: `bench runs a scenario (default: hanoi-stream, about 12,500 requests over a legal year) on the offline
engine and prints the wall time, requests per second, CPU per request and the process's peak memory, beside
the same for as many no-op workflows of a fixed shape (4 activities, 7 timers, 8 upserts), and the ratio.
Offline, a workflow calls its transmissions, screenings and providers' answers in process: bench then runs
the scenario once more with each of them an activity, as on a server, and prints its CPU per request too.
Then it runs the first --server-requests requests on the embedded Temporal server (in memory, headless),
and the no-op workflow there, and prints the same. Figures depend on the machine; run it where you mean
to run the analysis.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			sc, engine, err := loadScenario(scenario)
			if err != nil {
				return err
			}
			return sim.Bench(cmd.Context(), cmd.OutOrStdout(), offlineEngine(engine), sc, sim.BenchOptions{
				Requests: limit, ServerRequests: serverRequests, ShardSize: shardSize, CPUProfile: profile,
				AsActivities: sim.Offline{Rules: engine, ActivitySteps: true},
				Cluster: func(ctx context.Context) (client.Client, func(), error) {
					s, err := stack.Start(ctx, stack.Options{IP: "127.0.0.1", AnyPort: true, Headless: true, Rules: engine, Logger: log})
					if err != nil {
						return nil, nil, err
					}
					return s.Client, s.Stop, nil
				},
			})
		},
	}
	cmd.Flags().StringVar(&scenario, "scenario", "hanoi-stream", "scenario to run (name or file)")
	cmd.Flags().IntVar(&limit, "requests", 0, "run only the first N requests offline (0: all)")
	cmd.Flags().IntVar(&serverRequests, "server-requests", 300, "requests to run on the embedded server (0: skip)")
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the server run to this file")
	return cmd
}
