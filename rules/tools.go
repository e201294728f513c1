package rules

import (
	"encoding/json"
	"fmt"
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

// Overlaps finds, for every ground rule and bar rule on the same ground, facts on which both fire. It
// searches the baseline request under each basis and kind the two rules share, with every combination of
// the yes/no facts the two conditions and their packs read.
func (e *Engine) Overlaps() []Overlap {
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
	var out []Overlap
	for _, g := range grounds {
		for _, b := range bars {
			if g.Ground != b.Ground {
				continue
			}
			if w, ok := e.witness(g, b, packOf[g], packOf[b]); ok {
				out = append(out, Overlap{Ground: g.ID, Bar: b.ID, GroundAt: fmt.Sprintf("%s:%d", g.file, g.line),
					BarAt: fmt.Sprintf("%s:%d", b.file, b.line), Name: g.Ground, Witness: w})
			}
		}
	}
	return out
}

func (e *Engine) witness(g, b *compiledRule, gp, bp *compiledPack) (string, bool) {
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
		checked, iss := e.env.Compile(p.Applies)
		if iss.Err() == nil {
			refs, _ := factRefs(e.env, checked)
			for _, ref := range refs {
				paths[ref.path] = true
			}
		}
	}
	base := Baseline()
	var bools []string
	for _, p := range mla.SortedKeys(paths) {
		if v, ok := lookup(base, p); ok {
			if _, isBool := v.(bool); isBool {
				bools = append(bools, p)
			}
		}
	}
	if len(bools) > 12 {
		bools = bools[:12]
	}
	for _, kind := range mla.Kinds {
		if !g.kinds[kind] || !b.kinds[kind] {
			continue
		}
		for _, basis := range []mla.Basis{mla.BasisBudapest, mla.BasisUNCC, mla.BasisBilateral, mla.BasisComity} {
			for mask := 0; mask < 1<<len(bools); mask++ {
				set := map[string]any{"kind": string(kind), "basis": string(basis)}
				for i, p := range bools {
					set[p] = mask&(1<<i) != 0
				}
				f, err := withFacts(base, set)
				if err != nil {
					continue
				}
				s, err := e.Screen(f, "")
				if err != nil {
					continue
				}
				if fired(s, g.ID) && fired(s, b.ID) {
					return describe(set), true
				}
			}
		}
	}
	return "", false
}

func fired(s mla.Screening, id string) bool {
	for _, f := range s.Findings {
		if f.RuleID == id {
			return true
		}
	}
	return false
}

func describe(set map[string]any) string {
	var parts []string
	for _, k := range mla.SortedKeys(set) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, set[k]))
	}
	return strings.Join(parts, " ")
}

// lookup reads a dotted JSON path of the facts.
func lookup(f mla.Facts, path string) (any, bool) {
	b, _ := json.Marshal(f)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	var cur any = m
	for _, part := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mm[part]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// withFacts sets dotted JSON paths on a copy of the facts.
func withFacts(f mla.Facts, set map[string]any) (mla.Facts, error) {
	b, _ := json.Marshal(f)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, path := range mla.SortedKeys(set) {
		parts := strings.Split(path, ".")
		cur := m
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				return f, fmt.Errorf("no field %s", path)
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = set[path]
	}
	b, _ = json.Marshal(m)
	var out mla.Facts
	err := json.Unmarshal(b, &out)
	return out, err
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
func Diff(a *Engine, pa string, b *Engine, pb string, cases []Case) []Difference {
	var out []Difference
	for _, c := range cases {
		ca, cb := c, c
		ca.Policy, cb.Policy = pa, pb
		ra, rb := a.RunCase(ca), b.RunCase(cb)
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
