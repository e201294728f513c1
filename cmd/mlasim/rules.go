package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/rules"
)

func newRules(g *globals) *cobra.Command {
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

// packSet compiles the built-in packs (unless noBuiltin) with the given pack files and folders.
func packSet(paths []string, noBuiltin bool) (*rules.Engine, error) {
	files := map[string][]byte{}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, badInput(err)
		}
		names := []string{p}
		if info.IsDir() {
			names, _ = filepath.Glob(filepath.Join(p, "*.yaml"))
		}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				return nil, badInput(err)
			}
			files[n] = b
		}
	}
	var e *rules.Engine
	var err error
	switch {
	case noBuiltin:
		e, err = rules.Compile(files)
	default:
		e, err = rules.LoadBuiltin()
		if err == nil && len(files) > 0 {
			e, err = e.With(files)
		}
	}
	if err != nil {
		return nil, badInput(err)
	}
	return e, nil
}

func newRulesLint() *cobra.Command {
	var noBuiltin bool
	cmd := &cobra.Command{
		Use:   "lint [PACK|DIR...]",
		Short: "Compile and type-check rule packs; report errors and ground/bar overlaps",
		Long: `lint compiles every condition against the typed schema of a request's facts and rejects unknown fields,
duplicate rule IDs, unknown request kinds, effects and tags, and conditions that are not yes/no. Errors
name the file, line and column, and the exit code is 2. It also reports where a ground and a bar on the
same ground match the same facts (the bar wins there), with an example of such facts.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := packSet(args, noBuiltin)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			overlaps := e.Overlaps()
			for _, o := range overlaps {
				fmt.Fprintln(out, "overlap:", o)
			}
			fmt.Fprintf(out, "%d rules compiled, %d policies (%s), %d ground/bar overlaps\n", e.RuleCount(), len(e.Policies()), strings.Join(e.Policies(), ", "), len(overlaps))
			return nil
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
			var e *rules.Engine
			var cases []rules.Case
			var err error
			if len(args) == 0 {
				if e, err = packSet(nil, false); err != nil {
					return err
				}
				if cases, err = rules.BuiltinCases(); err != nil {
					return badInput(err)
				}
			} else {
				if e, err = packSet(args, noBuiltin); err != nil {
					return err
				}
				if cases, err = rules.LoadCases(os.DirFS(args[0]), "tests", filepath.Join(args[0], "tests")); err != nil {
					return badInput(err)
				}
			}
			out := cmd.OutOrStdout()
			cov := e.NewCoverage()
			failed := 0
			for _, c := range cases {
				r := e.RunCase(c)
				cov.Record(r.Screening.Findings)
				switch {
				case !r.Passed():
					failed++
					fmt.Fprintf(out, "FAIL %s:%d %s\n", c.File, c.Line, c.Name)
					for _, f := range r.Failures {
						fmt.Fprintf(out, "     %s\n", f)
					}
					fmt.Fprintf(out, "     rules that fired: %s\n", strings.Join(r.Fired(), ", "))
				case verbose:
					fmt.Fprintf(out, "ok   %s:%d %s (%s)\n", c.File, c.Line, c.Name, r.Decision)
				}
			}
			n, total := cov.Ratio()
			fmt.Fprintf(out, "%d cases: %d passed, %d failed; %d of %d rules fired\n", len(cases), len(cases)-failed, failed, n, total)
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d cases failed", failed, len(cases))}
			}
			return nil
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
			e, err := packSet(packs, false)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return badInput(err)
			}
			cases, err := rules.ParseCases(args[0], data)
			if err != nil {
				return badInput(err)
			}
			out := cmd.OutOrStdout()
			shown := 0
			for _, c := range cases {
				if only != "" && !strings.Contains(c.Name, only) {
					continue
				}
				shown++
				if err := explainCase(out, e, c, all); err != nil {
					return badInput(fmt.Errorf("%s:%d: %w", c.File, c.Line, err))
				}
			}
			if shown == 0 {
				return badInput(fmt.Errorf("no case in %s matches %q", args[0], only))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&only, "case", "", "explain only the cases whose name contains this text")
	cmd.Flags().StringSliceVar(&packs, "packs", nil, "extra pack files or folders")
	cmd.Flags().BoolVar(&all, "all", false, "list the rules of packs that do not apply, too")
	return cmd
}

func explainCase(out io.Writer, e *rules.Engine, c rules.Case, all bool) error {
	f, err := c.FactsOf()
	if err != nil {
		return err
	}
	xs, err := e.Explain(f, c.Policy)
	if err != nil {
		return err
	}
	res := e.RunCase(c)
	fmt.Fprintf(out, "\n== %s (%s:%d)\n", c.Name, c.File, c.Line)
	if len(c.Facts) > 0 {
		b, _ := yaml.Marshal(c.Facts)
		fmt.Fprintf(out, "facts (changes to the baseline): %s", strings.ReplaceAll(string(b), "\n", "\n  "))
		fmt.Fprintln(out)
	}
	policy := c.Policy
	if policy == "" {
		policy = "(none: instrument rules only)"
	}
	fmt.Fprintf(out, "basis %s, kind %s, policy %s\n", f.Basis, f.Kind, policy)
	p := mla.Propose(res.Screening, 30*mla.Day)
	fmt.Fprintf(out, "decision: %s", p.Decision.Kind)
	if len(p.Decision.Grounds) > 0 {
		fmt.Fprintf(out, " on %s", strings.Join(p.Decision.Grounds, ", "))
	}
	fmt.Fprintln(out)
	skipped := map[string]string{}
	var skippedOrder []string
	for _, x := range xs {
		if x.Outcome == rules.OutcomeNotApplicable && !all && strings.HasPrefix(x.Why, "pack ") {
			if _, seen := skipped[x.Pack]; !seen {
				skippedOrder = append(skippedOrder, x.Pack)
			}
			skipped[x.Pack] = x.Why
			continue
		}
		label := strings.ToUpper(x.Outcome)
		fmt.Fprintf(out, "\n%-14s %s  %s %s  %s %s\n", label, x.RuleID, x.Article, x.Tag.Label(), x.Effect, x.Subject)
		if x.Why != "" {
			fmt.Fprintf(out, "%15s %s\n", "", x.Why)
			continue
		}
		for _, t := range x.Terms {
			expr := t.Expr
			if t.Op != "" {
				expr = "all of (" + t.Op + ")"
				if t.Op == "||" {
					expr = "any of (||)"
				}
			}
			fmt.Fprintf(out, "%15s %s%s = %s\n", "", strings.Repeat("  ", t.Depth), expr, t.Value)
		}
	}
	sort.Strings(skippedOrder)
	for _, p := range skippedOrder {
		fmt.Fprintf(out, "\nNOT APPLICABLE all rules of pack %s: %s\n", p, strings.TrimPrefix(skipped[p], "pack "+p+" "))
	}
	return nil
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
			e, err := packSet(packs, false)
			if err != nil {
				return err
			}
			cov := e.NewCoverage()
			out := cmd.OutOrStdout()
			what := "the built-in test suites"
			if scenario != "" {
				sc, _, err := loadScenario(scenario)
				if err != nil {
					return err
				}
				res, err := offline.Run(cmd.Context(), sc.Input(), e, offlineOptions())
				if err != nil {
					return err
				}
				for _, r := range res.Results {
					cov.RecordIDs(r.Fired)
					if r.Onward != nil {
						cov.RecordIDs(r.Onward.Fired)
					}
				}
				what = fmt.Sprintf("scenario %s (%d requests, every screening)", sc.ID, len(res.Results))
			} else {
				cases, err := casesFrom(casesDir)
				if err != nil {
					return err
				}
				for _, c := range cases {
					cov.Record(e.RunCase(c).Screening.Findings)
				}
				if casesDir != "" {
					what = casesDir
				}
			}
			n, total := cov.Ratio()
			fmt.Fprintf(out, "coverage over %s: %d of %d rules fired\n", what, n, total)
			if never := cov.Never(); len(never) > 0 {
				fmt.Fprintln(out, "never fired:")
				for _, r := range never {
					fmt.Fprintln(out, "  "+r)
				}
			}
			return nil
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
			ea, pa, err := policyArg(args[0])
			if err != nil {
				return err
			}
			eb, pb, err := policyArg(args[1])
			if err != nil {
				return err
			}
			cases, err := casesFrom(casesDir)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			ds := rules.Diff(ea, pa, eb, pb, cases)
			for _, d := range ds {
				fmt.Fprintf(out, "\n%s (%s:%d)\n  %-20s %s\n  %-20s %s\n", d.Case.Name, d.Case.File, d.Case.Line, pa+":", d.OutcomeA, pb+":", d.OutcomeB)
				if len(d.OnlyA) > 0 {
					fmt.Fprintf(out, "  decided by, under %s only: %s\n", pa, strings.Join(d.OnlyA, ", "))
				}
				if len(d.OnlyB) > 0 {
					fmt.Fprintf(out, "  decided by, under %s only: %s\n", pb, strings.Join(d.OnlyB, ", "))
				}
			}
			fmt.Fprintf(out, "\n%d of %d cases differ between %s and %s\n", len(ds), len(cases), pa, pb)
			return nil
		},
	}
	cmd.Flags().StringVar(&casesDir, "cases", "", "folder of test suites (default: the built-in ones)")
	return cmd
}

// policyArg resolves a policy name or a policy pack file to an engine and a policy name.
func policyArg(arg string) (*rules.Engine, string, error) {
	if _, err := os.Stat(arg); err != nil {
		e, err := packSet(nil, false)
		if err != nil {
			return nil, "", err
		}
		if !e.HasPolicy(arg) {
			return nil, "", badInput(fmt.Errorf("%s is neither a file nor a built-in policy (known: %s)", arg, strings.Join(e.Policies(), ", ")))
		}
		return e, arg, nil
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		return nil, "", badInput(err)
	}
	var head struct {
		Pack string `yaml:"pack"`
		Type string `yaml:"type"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil || head.Type != "policy" {
		return nil, "", badInput(fmt.Errorf("%s: not a policy pack (type: policy)", arg))
	}
	e, err := packSet([]string{arg}, false)
	if err != nil {
		return nil, "", err
	}
	return e, head.Pack, nil
}

// casesFrom loads the test suites of a folder, or the built-in ones when dir is empty.
func casesFrom(dir string) ([]rules.Case, error) {
	var cases []rules.Case
	var err error
	if dir != "" {
		cases, err = rules.LoadCases(os.DirFS(dir), ".", dir)
	} else {
		cases, err = rules.BuiltinCases()
	}
	if err != nil {
		return nil, badInput(err)
	}
	return cases, nil
}
