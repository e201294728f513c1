package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/parser"

	"github.com/mlasim/mlasim/mla"
)

// Term is one sub-condition of a rule's `when`, with its value for the facts explained.
type Term struct {
	Expr  string `json:"expr"`
	Value string `json:"value"`
	// Depth is the nesting under && and ||, for indentation.
	Depth int `json:"depth"`
	// Op is "&&" or "||" for a connective line, empty for a leaf.
	Op string `json:"op,omitempty"`
}

// Explanation says what a rule did with a request's facts, and why.
type Explanation struct {
	RuleID  string     `json:"rule_id"`
	Pack    string     `json:"pack"`
	Article string     `json:"article"`
	Tag     mla.Tag    `json:"tag"`
	Effect  mla.Effect `json:"effect"`
	Subject string     `json:"subject"` // the ground, duty or condition
	// Outcome is fired, not fired, or not applicable (with the reason in Why).
	Outcome string `json:"outcome"`
	Why     string `json:"why,omitempty"`
	When    string `json:"when"`
	Terms   []Term `json:"terms,omitempty"`
	// Evidence, for a rule that weighs the signs of targeting, names every sign counted with its source
	// and weight, and the threshold.
	Evidence string `json:"evidence,omitempty"`
	Explain  string `json:"explain"`
}

// Outcomes of a rule in an explanation.
const (
	OutcomeFired         = "fired"
	OutcomeNotFired      = "not fired"
	OutcomeNotApplicable = "not applicable"
)

// Explain evaluates every rule of the applicable packs and the policy against the facts and says, for
// each, whether it fired and which of its sub-conditions held.
func (e *Engine) Explain(ctx context.Context, f mla.Facts, policy string) ([]Explanation, error) {
	packs, err := e.prepare(&f, policy)
	if err != nil {
		return nil, err
	}
	act := map[string]any{"request": f}
	var out []Explanation
	for _, p := range packs {
		applies := true
		if p.applies != nil {
			ok, err := evalBool(ctx, *p.applies, act)
			if err != nil {
				return nil, err
			}
			applies = ok
		}
		for _, r := range p.rules {
			x := Explanation{RuleID: r.ID, Pack: r.pack, Article: r.Article, Tag: r.tag, Effect: r.effect,
				Subject: subject(r), When: strings.Join(strings.Fields(r.When), " "), Explain: strings.TrimSpace(r.Explain)}
			switch {
			case !applies:
				x.Outcome, x.Why = OutcomeNotApplicable, fmt.Sprintf("pack %s applies only when %s", p.Name, strings.Join(strings.Fields(p.Applies), " "))
			case !r.kinds[mla.RequestKind(f.Kind)]:
				x.Outcome, x.Why = OutcomeNotApplicable, fmt.Sprintf("the rule is for %s requests, not %s", kindList(r), f.Kind)
			default:
				ok, err := evalBool(ctx, r.prg, act)
				if err != nil {
					return nil, fmt.Errorf("rule %s: %w", r.ID, err)
				}
				x.Outcome = OutcomeNotFired
				if ok {
					x.Outcome = OutcomeFired
				}
				x.Terms = e.terms(ctx, r.When, act)
				var ev []string
				if r.readsTargeting {
					ev = append(ev, f.Targeting.Evidence)
				}
				if d := r.derivedBasis(ctx, act); d != "" {
					ev = append(ev, d)
				}
				x.Evidence = strings.Join(ev, "; ")
			}
			out = append(out, x)
		}
	}
	return out, nil
}

func subject(r *compiledRule) string {
	switch {
	case r.Ground != "":
		return r.Ground
	case r.Duty != "":
		return r.Duty
	case r.Condition != "":
		return string(r.Condition)
	}
	return ""
}

func kindList(r *compiledRule) string {
	var ks []string
	for _, k := range mla.Kinds {
		if r.kinds[k] {
			ks = append(ks, string(k))
		}
	}
	return strings.Join(ks, ", ")
}

// terms splits a condition on && and || and evaluates each part. Errors leave the value "?": an
// explanation never fails because a sub-expression cannot stand alone.
func (e *Engine) terms(ctx context.Context, when string, act map[string]any) []Term {
	parsed, iss := e.env.Parse(when)
	if iss.Err() != nil {
		return nil
	}
	native := parsed.NativeRep()
	var out []Term
	var walk func(x ast.Expr, depth int)
	walk = func(x ast.Expr, depth int) {
		if x.Kind() == ast.CallKind {
			c := x.AsCall()
			if op := c.FunctionName(); (op == operators.LogicalAnd || op == operators.LogicalOr) && len(c.Args()) == 2 {
				sym := "&&"
				if op == operators.LogicalOr {
					sym = "||"
				}
				out = append(out, Term{Expr: unparse(x, native.SourceInfo()), Value: e.value(ctx, x, native.SourceInfo(), act), Depth: depth, Op: sym})
				for _, a := range flatten(x, op) {
					walk(a, depth+1)
				}
				return
			}
		}
		out = append(out, Term{Expr: unparse(x, native.SourceInfo()), Value: e.value(ctx, x, native.SourceInfo(), act), Depth: depth})
	}
	walk(native.Expr(), 0)
	return out
}

// flatten lists the operands of a chain of the same connective: a && b && c gives a, b, c.
func flatten(x ast.Expr, op string) []ast.Expr {
	if x.Kind() == ast.CallKind && x.AsCall().FunctionName() == op && len(x.AsCall().Args()) == 2 {
		args := x.AsCall().Args()
		return append(flatten(args[0], op), flatten(args[1], op)...)
	}
	return []ast.Expr{x}
}

func unparse(x ast.Expr, info *ast.SourceInfo) string {
	s, err := parser.Unparse(x, info)
	if err != nil {
		return "?"
	}
	return s
}

func (e *Engine) value(ctx context.Context, x ast.Expr, info *ast.SourceInfo, act map[string]any) string {
	src := unparse(x, info)
	checked, iss := e.env.Compile(src)
	if iss.Err() != nil {
		return "?"
	}
	prg, err := program(e.env, checked)
	if err != nil {
		return "?"
	}
	v, err := prg.eval(ctx, act)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprint(v.Value())
}

// derivedBasis names the facts the rule's derived facts rest on, with their values for the request:
// "offence.political rests on offence.category = sedition, ...".
func (r *compiledRule) derivedBasis(ctx context.Context, act any) string {
	var parts []string
	for _, ref := range r.factRef {
		for derived, basis := range derivedFrom {
			if !slices.Contains(basis, ref.path) || !slices.ContainsFunc(r.factRef, func(f factRef) bool { return f.path == derived }) {
				continue
			}
			v, err := ref.prg.eval(ctx, act)
			if err == nil {
				parts = append(parts, fmt.Sprintf("%s = %v", ref.path, v.Value()))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "derived from " + strings.Join(parts, ", ")
}
