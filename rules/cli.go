package rules

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/mla"
)

// This file holds what the `mlasim rules` commands print: the binary parses flags and calls these.

// LoadPacks compiles the built-in packs (unless builtin is false) with the pack files and folders given.
func LoadPacks(paths []string, builtin bool) (*Engine, error) {
	files := map[string][]byte{}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		names := []string{p}
		if info.IsDir() {
			names, _ = filepath.Glob(filepath.Join(p, "*.yaml"))
		}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				return nil, err
			}
			files[n] = b
		}
	}
	if !builtin {
		return Compile(files)
	}
	e, err := LoadBuiltin()
	if err != nil || len(files) == 0 {
		return e, err
	}
	return e.With(files)
}

// PolicyArg resolves a built-in policy name or a policy pack file to an engine and a policy name.
func PolicyArg(arg string) (*Engine, string, error) {
	if _, err := os.Stat(arg); err != nil {
		e, err := LoadBuiltin()
		if err != nil {
			return nil, "", err
		}
		if !e.HasPolicy(arg) {
			return nil, "", fmt.Errorf("%s is neither a file nor a built-in policy (known: %s)", arg, strings.Join(e.Policies(), ", "))
		}
		return e, arg, nil
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		return nil, "", err
	}
	var head struct {
		Pack string `yaml:"pack"`
		Type string `yaml:"type"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil || head.Type != "policy" {
		return nil, "", fmt.Errorf("%s: not a policy pack (type: policy)", arg)
	}
	e, err := LoadPacks([]string{arg}, true)
	return e, head.Pack, err
}

// CasesFrom loads the test suites of a folder, or the built-in ones when dir is empty.
func CasesFrom(dir string) ([]Case, error) {
	if dir == "" {
		return BuiltinCases()
	}
	return LoadCases(os.DirFS(dir), ".", dir)
}

// WriteLint prints the overlaps a lint found and the summary line.
func WriteLint(w io.Writer, e *Engine, rep OverlapReport) {
	for _, o := range rep.Overlaps {
		fmt.Fprintln(w, "overlap:", o)
	}
	for _, p := range rep.NotExhaustive {
		fmt.Fprintf(w, "not exhaustive: the overlap search of %s ran out of its budget of %d screenings; an overlap may exist there\n", p, PairBudget)
	}
	fmt.Fprintf(w, "%d rules compiled, %d policies (%s), %d ground/bar overlaps (%d screenings searched)\n",
		e.RuleCount(), len(e.Policies()), strings.Join(e.Policies(), ", "), len(rep.Overlaps), rep.Screenings)
}

// RunSuites runs the cases, prints each failure with the rules that fired (every case with verbose), then
// the counts and the coverage; it returns the number of cases that failed.
func RunSuites(ctx context.Context, w io.Writer, e *Engine, cases []Case, verbose bool) int {
	cov := e.NewCoverage()
	failed := 0
	for _, c := range cases {
		r := e.RunCase(ctx, c)
		cov.Record(r.Screening.Findings)
		switch {
		case !r.Passed():
			failed++
			fmt.Fprintf(w, "FAIL %s:%d %s\n", c.File, c.Line, c.Name)
			for _, f := range r.Failures {
				fmt.Fprintf(w, "     %s\n", f)
			}
			fmt.Fprintf(w, "     rules that fired: %s\n", strings.Join(r.Fired(), ", "))
		case verbose:
			fmt.Fprintf(w, "ok   %s:%d %s (%s)\n", c.File, c.Line, c.Name, r.Decision)
		}
	}
	n, total := cov.Ratio()
	fmt.Fprintf(w, "%d cases: %d passed, %d failed; %d of %d rules fired\n", len(cases), len(cases)-failed, failed, n, total)
	return failed
}

// WriteExplanation prints a case's decision and, rule by rule, whether it fired and which of its
// sub-conditions held. Rules of packs that do not apply are summed up per pack unless all is set.
func WriteExplanation(ctx context.Context, w io.Writer, e *Engine, c Case, all bool) error {
	f := c.FactsOf()
	xs, err := e.Explain(ctx, f, c.Policy)
	if err != nil {
		return err
	}
	res := e.RunCase(ctx, c)
	fmt.Fprintf(w, "\n== %s (%s:%d)\n", c.Name, c.File, c.Line)
	if b, _ := yaml.Marshal(c.Facts); len(b) > 0 && string(b) != "{}\n" {
		fmt.Fprintf(w, "facts (changes to the baseline): %s", strings.ReplaceAll(string(b), "\n", "\n  "))
		fmt.Fprintln(w)
	}
	policy := c.Policy
	if policy == "" {
		policy = "(none: instrument rules only)"
	}
	fmt.Fprintf(w, "basis %s, kind %s, policy %s\n", f.Basis, f.Kind, policy)
	p := mla.Propose(res.Screening, mla.Duration(30*mla.Day))
	fmt.Fprintf(w, "decision: %s", p.Decision.Kind)
	if len(p.Decision.Grounds) > 0 {
		fmt.Fprintf(w, " on %s", strings.Join(p.Decision.Grounds, ", "))
	}
	fmt.Fprintln(w)
	skipped := map[string]string{}
	for _, x := range xs {
		if x.Outcome == OutcomeNotApplicable && !all && strings.HasPrefix(x.Why, "pack ") {
			skipped[x.Pack] = x.Why
			continue
		}
		writeRule(w, x)
	}
	packs := mla.SortedKeys(skipped)
	sort.Strings(packs)
	for _, p := range packs {
		fmt.Fprintf(w, "\nNOT APPLICABLE all rules of pack %s: %s\n", p, strings.TrimPrefix(skipped[p], "pack "+p+" "))
	}
	return nil
}

func writeRule(w io.Writer, x Explanation) {
	fmt.Fprintf(w, "\n%-14s %s  %s %s  %s %s\n", strings.ToUpper(x.Outcome), x.RuleID, x.Article, x.Tag.Label(), x.Effect, x.Subject)
	if x.Why != "" {
		fmt.Fprintf(w, "%15s %s\n", "", x.Why)
		return
	}
	for _, t := range x.Terms {
		expr := t.Expr
		switch t.Op {
		case "&&":
			expr = "all of (&&)"
		case "||":
			expr = "any of (||)"
		}
		fmt.Fprintf(w, "%15s %s%s = %s\n", "", strings.Repeat("  ", t.Depth), expr, t.Value)
	}
	if x.Evidence != "" {
		fmt.Fprintf(w, "%15s evidence: %s\n", "", x.Evidence)
	}
}

// WriteCoverage prints how many rules fired over what, and those that never did.
func WriteCoverage(w io.Writer, cov *Coverage, what string) {
	n, total := cov.Ratio()
	fmt.Fprintf(w, "coverage over %s: %d of %d rules fired\n", what, n, total)
	if never := cov.Never(); len(never) > 0 {
		fmt.Fprintln(w, "never fired:")
		for _, r := range never {
			fmt.Fprintln(w, "  "+r)
		}
	}
}

// WriteDiff prints the cases whose outcome differs between policies A and B, with the rules that decided
// each side.
func WriteDiff(w io.Writer, ds []Difference, pa, pb string, cases int) {
	for _, d := range ds {
		fmt.Fprintf(w, "\n%s (%s:%d)\n  %-20s %s\n  %-20s %s\n", d.Case.Name, d.Case.File, d.Case.Line, pa+":", d.OutcomeA, pb+":", d.OutcomeB)
		if len(d.OnlyA) > 0 {
			fmt.Fprintf(w, "  decided by, under %s only: %s\n", pa, strings.Join(d.OnlyA, ", "))
		}
		if len(d.OnlyB) > 0 {
			fmt.Fprintf(w, "  decided by, under %s only: %s\n", pb, strings.Join(d.OnlyB, ", "))
		}
	}
	fmt.Fprintf(w, "\n%d of %d cases differ between %s and %s\n", len(ds), cases, pa, pb)
}

// Lint compiles the packs and searches them for overlaps, printing what it found.
func Lint(ctx context.Context, w io.Writer, paths []string, builtin bool) error {
	e, err := LoadPacks(paths, builtin)
	if err != nil {
		return err
	}
	rep := e.Overlaps(ctx, OverlapBudget)
	if err := ctx.Err(); err != nil {
		return err
	}
	WriteLint(w, e, rep)
	return nil
}

// ExplainFile explains every case of a suite file whose name contains only (all cases when empty).
func ExplainFile(ctx context.Context, w io.Writer, file, only string, packs []string, all bool) error {
	e, err := LoadPacks(packs, true)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	cases, err := ParseCases(file, data)
	if err != nil {
		return err
	}
	shown := 0
	for _, c := range cases {
		if only != "" && !strings.Contains(c.Name, only) {
			continue
		}
		shown++
		if err := WriteExplanation(ctx, w, e, c, all); err != nil {
			return fmt.Errorf("%s:%d: %w", c.File, c.Line, err)
		}
	}
	if shown == 0 {
		return fmt.Errorf("no case in %s matches %q", file, only)
	}
	return nil
}

// DiffPolicies runs the suites (of dir, or the built-in ones) under two policies or policy pack files
// and prints the cases whose outcome differs.
func DiffPolicies(ctx context.Context, w io.Writer, a, b, dir string) error {
	ea, pa, err := PolicyArg(a)
	if err != nil {
		return err
	}
	eb, pb, err := PolicyArg(b)
	if err != nil {
		return err
	}
	cases, err := CasesFrom(dir)
	if err != nil {
		return err
	}
	WriteDiff(w, Diff(ctx, ea, pa, eb, pb, cases), pa, pb, len(cases))
	return ctx.Err()
}
