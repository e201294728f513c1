package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/report"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/workflows"
)

// liveLimit is the largest scenario whose lifecycles are printed event by event.
const liveLimit = 60

func newRun(g *globals) *cobra.Command {
	var asJSON bool
	var engineName, outDir string
	var replications int
	var seed int64
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

A scenario with errors is not started: each error names the file, line and field, and the exit code is 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			sc, engine, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			if replications < 1 {
				return badInput(fmt.Errorf("--replications must be at least 1, not %d", replications))
			}
			if engineName != "offline" && engineName != "temporal" {
				return badInput(fmt.Errorf("--engine must be temporal or offline, not %q", engineName))
			}
			base := sc.Seed
			if cmd.Flags().Changed("seed") {
				base = seed
			}
			var c client.Client
			if engineName == "temporal" {
				if c, _, err = dialConfigured(log); err != nil {
					return err
				}
				defer c.Close()
			}
			out := cmd.OutOrStdout()
			sink, err := newSink(outDir)
			if err != nil {
				return badInput(err)
			}
			defer sink.close()
			ctx := cmd.Context()
			var all [][]report.Record
			var results []workflows.ScenarioResult
			for r := 1; r <= replications; r++ {
				s := sc
				repSeed := base
				if replications > 1 {
					repSeed = mla.DeriveSeed(base, "replication/"+strconv.Itoa(r))
				}
				if repSeed != sc.Seed {
					if s, err = sc.WithSeed(repSeed); err != nil {
						return badInput(err)
					}
				}
				live := !asJSON && replications == 1 && len(s.Requests) <= liveLimit
				res, runErr := runOnce(ctx, engineName, c, engine, s, out, live)
				recs := starter.Records(res, r, repSeed, true)
				if err := sink.write(recs); err != nil {
					return err
				}
				if runErr != nil {
					if ctx.Err() != nil && outDir != "" {
						return fmt.Errorf("interrupted: the results written so far are in %s", outDir)
					}
					return runErr
				}
				all = append(all, recs)
				results = append(results, res)
				if replications > 1 && !asJSON {
					m := report.Compute(recs)
					fmt.Fprintf(out, "replication %d (seed %d): %d requests, %d refused, %d safeguard failures, %d over-blocked, %d evidence lost\n",
						r, repSeed, m.Requests, m.Outcomes[string(mla.StatusRefused)], m.SafeguardFailures, m.OverBlocking, m.EvidenceLost)
				}
			}
			if err := sink.summary(sc.Title, all); err != nil {
				return err
			}
			switch {
			case asJSON:
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				var v any = results
				if len(results) == 1 {
					v = results[0]
				}
				if err := enc.Encode(v); err != nil {
					return err
				}
			case replications == 1 && len(sc.Requests) <= liveLimit:
				starter.Summary(out, results[0])
			default:
				fmt.Fprintln(out)
				report.WriteSummary(out, sc.Title, all)
			}
			if outDir != "" && !asJSON {
				fmt.Fprintf(out, "\nresults written to %s (requests.jsonl, requests.csv, summary.md, metrics.json)\n", outDir)
			}
			for _, res := range results {
				if err := starter.AllFinal(res); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.Flags().StringVar(&engineName, "engine", "temporal", "temporal (the configured cluster) or offline (in-process, time-skipping)")
	cmd.Flags().IntVar(&replications, "replications", 1, "how many times to run the scenario, with derived seeds")
	cmd.Flags().Int64Var(&seed, "seed", 0, "base seed (default: the scenario's)")
	cmd.Flags().StringVar(&outDir, "out", "", "folder for requests.jsonl, requests.csv, summary.md and metrics.json")
	return cmd
}

// runOnce runs one replication on the chosen engine.
func runOnce(ctx context.Context, engineName string, c client.Client, engine *rules.Engine, sc *scenarios.Scenario, out io.Writer, live bool) (workflows.ScenarioResult, error) {
	var bar *progressbar.ProgressBar
	if !live && len(sc.Requests) > liveLimit {
		bar = progressbar.NewOptions(len(sc.Requests), progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("requests"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("requests"), progressbar.OptionClearOnFinish())
		defer func() { _ = bar.Finish() }()
	}
	if engineName == "temporal" {
		if bar == nil {
			return runAndFollow(ctx, c, sc, out, live)
		}
		run, err := starter.Start(ctx, c, sc.Input())
		if err != nil {
			return workflows.ScenarioResult{}, err
		}
		return starter.Wait(ctx, c, run, func(done int) { _ = bar.Set(done) })
	}
	opts := offlineOptions()
	if bar != nil {
		opts.Progress = func(done, _ int) { _ = bar.Set(done) }
	}
	res, err := offline.Run(ctx, sc.Input(), engine, opts)
	if live {
		for _, r := range res.Results {
			for _, e := range r.Timeline {
				fmt.Fprintln(out, starter.FormatEvent(r.RequestID, e))
			}
		}
	}
	return res, err
}

// sink writes results to a folder as they come.
type sink struct {
	dir         string
	jsonl, csvF *os.File
	header      bool
}

func newSink(dir string) (*sink, error) {
	s := &sink{dir: dir, header: true}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	var err error
	if s.jsonl, err = os.Create(filepath.Join(dir, "requests.jsonl")); err != nil {
		return nil, err
	}
	if s.csvF, err = os.Create(filepath.Join(dir, "requests.csv")); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *sink) write(recs []report.Record) error {
	if s.dir == "" {
		return nil
	}
	if err := report.WriteJSONL(s.jsonl, recs); err != nil {
		return err
	}
	if err := report.WriteCSV(s.csvF, recs, s.header); err != nil {
		return err
	}
	s.header = false
	return errors.Join(s.jsonl.Sync(), s.csvF.Sync())
}

func (s *sink) summary(title string, all [][]report.Record) error {
	if s.dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(s.dir, "summary.md"))
	if err != nil {
		return err
	}
	report.WriteSummary(f, title, all)
	if err := f.Close(); err != nil {
		return err
	}
	ms := make([]report.Metrics, len(all))
	for i, recs := range all {
		ms[i] = report.Compute(recs)
	}
	b, _ := json.MarshalIndent(ms, "", "  ")
	return os.WriteFile(filepath.Join(s.dir, "metrics.json"), b, 0o644)
}

func (s *sink) close() {
	if s.jsonl != nil {
		_ = s.jsonl.Close()
	}
	if s.csvF != nil {
		_ = s.csvF.Close()
	}
}
