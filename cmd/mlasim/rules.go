package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/sim"
)

func newRules() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Write, test, explain and compare safeguard rule packs",
		Long: `Rule packs are YAML files: each rule has an ID that names its instrument and article, the citation, the
confidence tag of its source ([P], [S], [U]), the request kinds it applies to, its effect (ground, bar,
duty, condition, postpone, completeness; invoke in a State's policy pack), a CEL condition over the
request's facts, and a plain-words explanation. The built-in packs are in rules/packs; their test suites
in rules/packs/tests. docs/legal-model.md lists every rule.

Pack files given on the command line are compiled together with the built-in packs (a policy pack adds a
policy; --no-builtin uses the given packs alone).`,
	}
	cmd.AddCommand(newRulesLint(), newRulesTest(), newRulesExplain(), newRulesCoverage(), newRulesDiff())
	return cmd
}

func newRulesLint() *cobra.Command {
	var noBuiltin bool
	cmd := &cobra.Command{
		Use:   "lint [PACK|DIR...]",
		Short: "Compile and type-check rule packs; report errors and ground/bar overlaps",
		Long: `lint compiles every condition against the typed schema of a request's facts and rejects unknown fields,
duplicate rule IDs, unknown request kinds, effects and tags, and conditions that are not yes/no. Errors
name the file, line and column, and the exit code is 2. It also reports where a ground and a bar on the
same ground match the same facts (the bar wins there), with an example of such facts. That search has a
budget of screenings: a pair it could not search to the end is reported as "not exhaustive".`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return badInput(rules.Lint(cmd.Context(), cmd.OutOrStdout(), args, !noBuiltin))
		},
	}
	cmd.Flags().BoolVar(&noBuiltin, "no-builtin", false, "lint the given packs alone, without the built-in ones")
	return cmd
}

func newRulesTest() *cobra.Command {
	var verbose, noBuiltin bool
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the table tests kept beside the packs",
		Long: `test runs the test suites of a pack folder (DIR/tests/*.yaml, with DIR's packs added to the built-in
ones), or the built-in suites without DIR. A case gives the facts of a request as changes to a baseline
(a stored-data request under the Budapest Convention for ransomware, criminal in both States, about a
suspect), a pinned date, the requested State's policy, and what must come out: available and barred
grounds, duties, invoked grounds, rules that must or must not fire, the decision. Each failure is printed
with the rules that fired; -v lists every case. The exit code is 1 if a case fails.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := rules.LoadPacks(args, !noBuiltin)
			if err != nil {
				return badInput(err)
			}
			dir := ""
			if len(args) == 1 {
				dir = filepath.Join(args[0], "tests")
			}
			cases, err := rules.CasesFrom(dir)
			if err != nil {
				return badInput(err)
			}
			if failed := rules.RunSuites(cmd.Context(), cmd.OutOrStdout(), e, cases, verbose); failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d cases failed", failed, len(cases))}
			}
			return cmd.Context().Err()
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list every case")
	cmd.Flags().BoolVar(&noBuiltin, "no-builtin", false, "use DIR's packs alone, without the built-in ones")
	return cmd
}

func newRulesExplain() *cobra.Command {
	var only string
	var packs []string
	var all bool
	cmd := &cobra.Command{
		Use:   "explain CASES.yaml",
		Short: "Say which rules fired for a case and which did not, and why",
		Long: `explain takes a test-suite file (the format of rules/packs/tests) and, for each case (or --case NAME),
prints the decision, then every rule of the packs that apply: fired or not, with its citation and
confidence tag, and each sub-condition of its condition with its value. Rules of packs that do not
apply to the request are summed up in one line per pack (--all lists them).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return badInput(rules.ExplainFile(cmd.Context(), cmd.OutOrStdout(), args[0], only, packs, all))
		},
	}
	cmd.Flags().StringVar(&only, "case", "", "explain only the cases whose name contains this text")
	cmd.Flags().StringSliceVar(&packs, "packs", nil, "extra pack files or folders")
	cmd.Flags().BoolVar(&all, "all", false, "list the rules of packs that do not apply, too")
	return cmd
}

func newRulesCoverage() *cobra.Command {
	var scenario, casesDir string
	var packs []string
	cmd := &cobra.Command{
		Use:   "coverage",
		Short: "List the rules that never fired over the test suites or a scenario run",
		Long: `coverage runs the built-in test suites (or the suites in --cases DIR), or a scenario (--scenario
NAME|FILE, run offline in-process), counts how often each rule fired, and lists the rules that never did.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := rules.LoadPacks(packs, true)
			if err != nil {
				return badInput(err)
			}
			cov := e.NewCoverage()
			what := "the built-in test suites"
			if scenario != "" {
				sc, _, err := loadScenario(scenario)
				if err != nil {
					return err
				}
				n, err := sim.Coverage(cmd.Context(), offlineEngine(e), sc, cov)
				if err != nil {
					return err
				}
				what = fmt.Sprintf("scenario %s (%d requests, every screening)", sc.ID, n)
			} else {
				cases, err := rules.CasesFrom(casesDir)
				if err != nil {
					return badInput(err)
				}
				for _, c := range cases {
					cov.Record(e.RunCase(cmd.Context(), c).Screening.Findings)
				}
				if casesDir != "" {
					what = casesDir
				}
			}
			rules.WriteCoverage(cmd.OutOrStdout(), cov, what)
			return cmd.Context().Err()
		},
	}
	cmd.Flags().StringVar(&scenario, "scenario", "", "run this scenario (name or file) offline and count its screenings")
	cmd.Flags().StringVar(&casesDir, "cases", "", "folder of test suites (default: the built-in ones)")
	cmd.Flags().StringSliceVar(&packs, "packs", nil, "extra pack files or folders")
	return cmd
}

func newRulesDiff() *cobra.Command {
	var casesDir string
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "List the cases whose outcome differs between two policies or policy packs",
		Long: `diff runs every case (the built-in suites, or --cases DIR) under policy A and under policy B, and prints
the cases whose decision or invoked grounds differ, with the rules that fired on one side only: the
rules that made the difference. A and B are names of built-in policies (standard, strict-safeguards,
permissive) or files of policy packs.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return badInput(rules.DiffPolicies(cmd.Context(), cmd.OutOrStdout(), args[0], args[1], casesDir))
		},
	}
	cmd.Flags().StringVar(&casesDir, "cases", "", "folder of test suites (default: the built-in ones)")
	return cmd
}
