package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlasim/mlasim/sim"
	"github.com/mlasim/mlasim/sweep"
)

func newSweep(g *globals) *cobra.Command {
	var specs []string
	var engineName, dir string
	o := sweep.Options{}
	cmd := &cobra.Command{
		Use:   "sweep SCENARIO --vary PATH=VALUES...",
		Short: "Run a scenario over a grid of parameters with replications: a tidy table and a report with intervals",
		Long: `sweep runs a scenario at every point of a grid of parameters, each with --replications runs, and
writes to --out (default sweep-SCENARIO): sweep.csv and sweep.parquet, one tidy table with a row per grid
point × replication × metric (the parameters as columns, typed in Parquet, so pandas, R and DuckDB read
it as it is); report.html, self-contained, with each metric drawn against each parameter with its 95%
interval; and points/, one file per grid point done.

A parameter is a path into the scenario file and its values, --vary PATH=V1,V2 or PATH=FROM:TO:STEP:
  world.states[PT].policy=standard,strict-safeguards   a State's policy (the State is added if missing)
  generators[stream].abusive_share=0.05:0.3:0.05       the share of abusive requests
  generators[stream].count=500,1000,2000               a generator's rate
  world.states[FR].preservation_days=60,90             a preservation period
  world.states[VN].capacity=2,5,10                     a central authority's capacity
  clock.uncc_in_force=2026-12-01,2028-01-01            the UNCC's entry into force
  world.states[QA].uncc=signed,ratified                a State's ratification
  rules.unconfirmed=with,without                       rule packs with or without the rules tagged [U]
A list item is chosen by its code or id in brackets. Every grid point is loaded and checked before
anything runs: a path that names nothing, a range with a step of zero, a value of the wrong type is an
error naming the parameter and the field, exit 2. More than --max-runs runs need --yes.

A sweep is resumable: run the same command again and the grid points already done are read back from
points/. An interrupted sweep keeps the points it finished and says so. It runs on the offline engine by
default, or with --engine temporal on the configured cluster, as 'mlasim run' does.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, engine, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			var params []sweep.Param
			for _, s := range specs {
				p, err := sweep.ParseParam(s)
				if err != nil {
					return badInput(fmt.Errorf("--vary %w", err))
				}
				params = append(params, p)
			}
			if o.Replications < 1 {
				return badInput(fmt.Errorf("--replications must be at least 1, not %d", o.Replications))
			}
			o.SeedSet = cmd.Flags().Changed("seed")
			if dir == "" {
				dir = "sweep-" + sc.ID
			}
			o.Dir, o.Out = dir, cmd.ErrOrStderr()
			s, err := sweep.Prepare(sc, engine, params, o)
			if err != nil {
				return badInput(err)
			}
			eng, closeEngine, err := g.engine(cmd, engineName, engine, sim.Cluster{})
			if err != nil {
				return err
			}
			defer closeEngine()
			fmt.Fprintf(cmd.ErrOrStderr(), "sweep of %s: %d grid points × %d replications, into %s\n", sc.ID, len(s.Points), o.Replications, dir)
			results, runErr := s.Run(cmd.Context(), eng)
			if len(results) > 0 {
				if err := s.Write(results, "mlasim "+strings.Join(os.Args[1:], " ")); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d of %d grid points: %s, %s, %s\n", len(results), len(s.Points),
					filepath.Join(dir, "sweep.csv"), filepath.Join(dir, "sweep.parquet"), filepath.Join(dir, "report.html"))
			}
			return runErr
		},
	}
	cmd.Flags().StringArrayVar(&specs, "vary", nil, "a parameter and its values, PATH=V1,V2 or PATH=FROM:TO:STEP (repeat for a grid)")
	cmd.Flags().IntVar(&o.Replications, "replications", 3, "runs per grid point, with derived seeds")
	cmd.Flags().Int64Var(&o.Seed, "seed", 0, "base seed (default: the scenario's)")
	cmd.Flags().StringVar(&dir, "out", "", "folder of the results (default sweep-SCENARIO)")
	cmd.Flags().IntVar(&o.MaxRuns, "max-runs", sweep.DefaultMaxRuns, "grid points × replications allowed without --yes")
	cmd.Flags().BoolVar(&o.Yes, "yes", false, "run a grid larger than --max-runs")
	cmd.Flags().StringVar(&engineName, "engine", "offline", "offline (in-process) or temporal (the configured cluster)")
	return cmd
}
