package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/report"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/workflows"
)

func newCompare(g *globals) *cobra.Command {
	var setPolicy []string
	var replications int
	var outDir string
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
			overrides, err := policyOverrides(setPolicy, engine)
			if err != nil {
				return err
			}
			if len(args) == 1 && len(overrides) == 0 {
				return badInput(fmt.Errorf("give a second scenario or --set-policy CODE=POLICY"))
			}
			if len(overrides) > 0 {
				nameB += " with " + strings.Join(setPolicy, ", ")
			}
			runAll := func(sc *scenarios.Scenario, overrides map[string]string) ([][]report.Record, error) {
				var all [][]report.Record
				for r := 1; r <= replications; r++ {
					seed := sc.Seed
					s := sc
					if replications > 1 {
						seed = mla.DeriveSeed(sc.Seed, "replication/"+strconv.Itoa(r))
						if s, err = sc.WithSeed(seed); err != nil {
							return nil, badInput(err)
						}
					}
					in := withPolicies(s.Input(), overrides)
					res, err := offline.Run(cmd.Context(), in, engine, offlineOptions())
					if err != nil {
						return nil, err
					}
					all = append(all, starter.Records(res, r, seed, false))
				}
				return all, nil
			}
			a, err := runAll(scA, nil)
			if err != nil {
				return err
			}
			b, err := runAll(scB, overrides)
			if err != nil {
				return err
			}
			c := report.Compare(scA.Title, args[0], nameB, a, b)
			out := cmd.OutOrStdout()
			c.WriteMarkdown(out)
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return badInput(err)
			}
			for name, write := range map[string]func(*os.File) error{
				"compare.html": func(f *os.File) error { return c.WriteHTML(f) },
				"compare.md":   func(f *os.File) error { c.WriteMarkdown(f); return nil },
				"compare.csv":  func(f *os.File) error { return c.WriteCSV(f) },
			} {
				f, err := os.Create(filepath.Join(outDir, name))
				if err != nil {
					return err
				}
				if err := write(f); err != nil {
					f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			fmt.Fprintf(out, "\nwritten to %s: compare.html, compare.md, compare.csv\n", outDir)
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&setPolicy, "set-policy", nil, "for B: CODE=POLICY, or *=POLICY for every State (repeatable)")
	cmd.Flags().IntVar(&replications, "replications", 1, "replications of each variant, paired by seed")
	cmd.Flags().StringVar(&outDir, "out", "compare", "folder for compare.html, compare.md and compare.csv")
	return cmd
}

func policyOverrides(specs []string, engine *rules.Engine) (map[string]string, error) {
	out := map[string]string{}
	for _, s := range specs {
		code, policy, ok := strings.Cut(s, "=")
		if !ok || code == "" || policy == "" {
			return nil, badInput(fmt.Errorf("--set-policy %q: write CODE=POLICY or *=POLICY", s))
		}
		if !engine.HasPolicy(policy) {
			return nil, badInput(fmt.Errorf("--set-policy %q: unknown policy %q (known: %s)", s, policy, strings.Join(engine.Policies(), ", ")))
		}
		out[code] = policy
	}
	return out, nil
}

// withPolicies gives requested States the overriding policies (code, or * for all).
func withPolicies(in workflows.ScenarioInput, overrides map[string]string) workflows.ScenarioInput {
	if len(overrides) == 0 {
		return in
	}
	reqs := make([]workflows.RequestInput, len(in.Requests))
	copy(reqs, in.Requests)
	for i := range reqs {
		if p, ok := overrides[reqs[i].Requested.Code]; ok {
			reqs[i].Requested.Policy = p
		} else if p, ok := overrides["*"]; ok {
			reqs[i].Requested.Policy = p
		}
	}
	in.Requests = reqs
	return in
}
