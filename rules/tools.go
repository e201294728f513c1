package rules

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/mlasim/mlasim/mla"
)

// Overlap is a ground and a bar on the same ground that both match some facts: there the bar wins and
// the ground cannot be invoked. Lint reports them so an author sees which grounds a bar neutralises.
type Overlap struct {
	Ground, Bar string // rule IDs
	GroundAt    string // file:line
	BarAt       string
	Name        string // the ground
	// Witness describes facts on which both fire.
	Witness string
}

func (o Overlap) String() string {
	return fmt.Sprintf("%s: ground %s (%s) and bar %s (%s) both match %s: the bar wins there",
		o.GroundAt, o.Name, o.Ground, o.Bar, o.BarAt, o.Witness)
}

// OverlapReport is what the overlap search found, and what it could not search to the end.
type OverlapReport struct {
	Overlaps []Overlap
	// NotExhaustive lists the ground/bar pairs (as "ground-rule/bar-rule") whose search ran out of budget
	// before it found an overlap or tried every combination: an overlap may exist there.
	NotExhaustive []string
	// Screenings counts the screenings the search ran.
	Screenings int
}

// PairBudget bounds the screenings spent on one ground/bar pair; OverlapBudget, on a whole search.
const (
	PairBudget    = 4096
	OverlapBudget = 200000
)

// Overlaps finds, for every ground rule and bar rule on the same ground, facts on which both fire. It
// searches the baseline request under each kind the two rules share and each basis, with every
// combination of the yes/no facts the two conditions and their packs read, within a budget of screenings:
// pairs it could not search to the end are reported, so "no overlap" is never claimed without looking.
func (e *Engine) Overlaps(ctx context.Context, budget int) OverlapReport {
	var grounds, bars []*compiledRule
	packOf := map[*compiledRule]*compiledPack{}
	for _, p := range e.instruments {
		for _, r := range p.rules {
			packOf[r] = p
			switch r.effect {
			case mla.EffectGround:
				grounds = append(grounds, r)
			case mla.EffectBar:
				bars = append(bars, r)
			}
		}
	}
	var rep OverlapReport
	for _, g := range grounds {
		for _, b := range bars {
			if g.Ground != b.Ground {
				continue
			}
			s := &search{e: e, ctx: ctx, budget: min(PairBudget, budget-rep.Screenings)}
			w, found := s.witness(g, b, packOf[g], packOf[b])
			rep.Screenings += s.used
			switch {
			case found:
				rep.Overlaps = append(rep.Overlaps, Overlap{Ground: g.ID, Bar: b.ID, GroundAt: fmt.Sprintf("%s:%d", g.file, g.line),
					BarAt: fmt.Sprintf("%s:%d", b.file, b.line), Name: g.Ground, Witness: w})
			case !s.exhausted:
				rep.NotExhaustive = append(rep.NotExhaustive, g.ID+"/"+b.ID)
			}
		}
	}
	return rep
}

// search looks for facts on which two rules fire, within a budget of screenings.
type search struct {
	e         *Engine
	ctx       context.Context
	budget    int
	used      int
	exhausted bool // every combination was tried
}

func (s *search) witness(g, b *compiledRule, gp, bp *compiledPack) (string, bool) {
	base := Baseline()
	bools := s.boolFacts(&base, g, b, gp, bp)
	for _, kind := range mla.Kinds {
		if !g.kinds[kind] || !b.kinds[kind] {
			continue
		}
		for _, basis := range mla.Bases {
			for mask := 0; mask < 1<<min(len(bools), 30); mask++ {
				if s.used >= s.budget || s.ctx.Err() != nil {
					return "", false
				}
				if s.bothFire(base, kind, basis, bools, mask, g.ID, b.ID) {
					return describe(kind, basis, bools, mask), true
				}
			}
		}
	}
	s.exhausted = len(bools) <= 30
	return "", false
}

// boolFacts lists the yes/no facts the two rules' conditions and their packs' conditions read.
func (s *search) boolFacts(base *mla.Facts, g, b *compiledRule, gp, bp *compiledPack) []string {
	paths := map[string]bool{}
	for _, r := range []*compiledRule{g, b} {
		for _, ref := range r.factRef {
			paths[ref.path] = true
		}
	}
	for _, p := range []*compiledPack{gp, bp} {
		if p.Applies == "" {
			continue
		}
		if checked, iss := s.e.env.Compile(p.Applies); iss.Err() == nil {
			refs, _ := factRefs(s.e.env, checked)
			for _, ref := range refs {
				paths[ref.path] = true
			}
		}
	}
	var bools []string
	for _, p := range mla.SortedKeys(paths) {
		if v, ok := factField(base, p); ok && v.Kind() == reflect.Bool {
			bools = append(bools, p)
		}
	}
	return bools
}

// bothFire screens the baseline with a kind, a basis and the yes/no facts set as the mask says, and
// reports whether both rules fire.
func (s *search) bothFire(base mla.Facts, kind mla.RequestKind, basis mla.Basis, bools []string, mask int, ground, bar string) bool {
	f := base
	f.Kind, f.Coercive, f.Basis = kind, kind.Coercive(), basis
	for i, p := range bools {
		v, _ := factField(&f, p)
		v.SetBool(mask&(1<<i) != 0)
	}
	s.used++
	sc, err := s.e.Screen(s.ctx, f, "")
	return err == nil && fired(sc, ground) && fired(sc, bar)
}

func fired(s mla.Screening, id string) bool {
	for _, f := range s.Findings {
		if f.RuleID == id {
			return true
		}
	}
	return false
}

func describe(kind mla.RequestKind, basis mla.Basis, bools []string, mask int) string {
	parts := []string{"basis=" + string(basis), "kind=" + string(kind)}
	for i, p := range bools {
		parts = append(parts, fmt.Sprintf("%s=%v", p, mask&(1<<i) != 0))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// factField returns the field of the facts at a dotted path of CEL names ("offence.political"), settable.
func factField(f *mla.Facts, path string) (reflect.Value, bool) {
	v := reflect.ValueOf(f).Elem()
	for _, name := range strings.Split(path, ".") {
		next, ok := fieldByJSONName(v, name)
		if !ok {
			return reflect.Value{}, false
		}
		v = next
	}
	return v, true
}

// fieldByJSONName finds a struct field by its JSON name, looking into embedded structs.
func fieldByJSONName(v reflect.Value, name string) (reflect.Value, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			if x, ok := fieldByJSONName(v.Field(i), name); ok {
				return x, true
			}
			continue
		}
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// Coverage counts how often each rule fired over a set of screenings.
type Coverage struct {
	Counts map[string]int
	order  []string
	where  map[string]string
}

// NewCoverage starts a coverage count over every rule of the engine.
func (e *Engine) NewCoverage() *Coverage {
	c := &Coverage{Counts: map[string]int{}, where: map[string]string{}}
	for _, p := range e.instruments {
		for _, r := range p.rules {
			c.add(r)
		}
	}
	for _, name := range mla.SortedKeys(e.policies) {
		for _, r := range e.policies[name].rules {
			c.add(r)
		}
	}
	return c
}

func (c *Coverage) add(r *compiledRule) {
	c.order = append(c.order, r.ID)
	c.Counts[r.ID] = 0
	c.where[r.ID] = fmt.Sprintf("%s:%d", r.file, r.line)
}

// Record counts the rules that fired in a screening.
func (c *Coverage) Record(fs []mla.Finding) {
	for _, f := range fs {
		if _, ok := c.Counts[f.RuleID]; ok {
			c.Counts[f.RuleID]++
		}
	}
}

// RecordIDs counts rules by ID.
func (c *Coverage) RecordIDs(ids []string) {
	for _, id := range ids {
		if _, ok := c.Counts[id]; ok {
			c.Counts[id]++
		}
	}
}

// Never lists the rules that never fired, with where they are defined.
func (c *Coverage) Never() []string {
	var out []string
	for _, id := range c.order {
		if c.Counts[id] == 0 {
			out = append(out, fmt.Sprintf("%s (%s)", id, c.where[id]))
		}
	}
	return out
}

// Ratio is the share of rules that fired at least once.
func (c *Coverage) Ratio() (int, int) {
	n := 0
	for _, id := range c.order {
		if c.Counts[id] > 0 {
			n++
		}
	}
	return n, len(c.order)
}

// Difference is a case whose outcome differs between two rule sets or policies.
type Difference struct {
	Case       Case
	A, B       CaseResult
	OnlyA      []string // decisive rules under A only
	OnlyB      []string // decisive rules under B only
	OutcomeA   string
	OutcomeB   string
	Difference string
}

// Diff runs every case under A (engine a with policy pa) and B, and returns the cases whose decision or
// invoked grounds differ, with the decisive rules (the policy rules that invoked a ground or a
// postponement, and the instrument rules that made it available) found on one side only.
func Diff(ctx context.Context, a *Engine, pa string, b *Engine, pb string, cases []Case) []Difference {
	var out []Difference
	for _, c := range cases {
		ca, cb := c, c
		ca.Policy, cb.Policy = pa, pb
		ra, rb := a.RunCase(ctx, ca), b.RunCase(ctx, cb)
		oa, ob := outcome(ra), outcome(rb)
		if oa == ob {
			continue
		}
		fa, fb := decisive(ra), decisive(rb)
		d := Difference{Case: c, A: ra, B: rb, OutcomeA: oa, OutcomeB: ob}
		for _, id := range fa {
			if !slices.Contains(fb, id) {
				d.OnlyA = append(d.OnlyA, id)
			}
		}
		for _, id := range fb {
			if !slices.Contains(fa, id) {
				d.OnlyB = append(d.OnlyB, id)
			}
		}
		out = append(out, d)
	}
	return out
}

// decisive lists the rules a decision rests on: each invoked ground's policy rule and instrument rule,
// and for a postponement the postponement rule and the policy rule that uses it.
func decisive(r CaseResult) []string {
	s := r.Screening
	var ids []string
	add := func(id string) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, f := range s.Invoked() {
		add(f.RuleID)
		if g, ok := s.Ground(f.Ground); ok {
			add(g.RuleID)
		}
	}
	if r.Decision == mla.DecisionPostpone {
		if p, ok := s.Postponement(); ok {
			add(p.RuleID)
		}
		for _, f := range s.Findings {
			if f.Effect == mla.EffectInvoke && f.Remedy == mla.RemedyPostpone {
				add(f.RuleID)
			}
		}
	}
	return ids
}

func outcome(r CaseResult) string {
	if len(r.Screening.Findings) == 0 && len(r.Failures) > 0 && r.Decision == "" {
		return "error: " + r.Failures[0]
	}
	g := groundsOf(r.Screening.Invoked())
	sort.Strings(g)
	if len(g) == 0 {
		return string(r.Decision)
	}
	return fmt.Sprintf("%s on %s", r.Decision, strings.Join(g, ", "))
}
