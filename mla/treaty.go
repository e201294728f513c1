package mla

import (
	"fmt"
	"slices"
	"strings"
)

// Treaty is a bilateral treaty on mutual legal assistance between two States, with the terms a scenario
// states of it. A treaty written as a bare pair ("NL-US") states no terms: the requested State's own law
// then gives the grounds of refusal. A treaty with terms gives its own grounds, duties and scope, and
// where it binds two Parties to the Budapest Convention its grounds replace those of Art 27 (Art 27(1),
// Art 25(4)). The terms are the scenario's statement of the treaty, not a retrieved text, so the rules that
// read them are tagged [U].
type Treaty struct {
	// Parties names the two States as "AA-BB" (order free).
	Parties string `json:"parties" yaml:"parties"`
	// Name is the treaty's title, for messages.
	Name string `json:"name,omitempty" yaml:"name"`
	// Grounds are the grounds of refusal the treaty allows the requested State (ground names the rules
	// know, e.g. political-offence, essential-interests, dual-criminality, non-discrimination).
	Grounds []string `json:"grounds,omitempty" yaml:"grounds"`
	// Duties are the duties the treaty imposes on the requested State (mla.Duties).
	Duties []string `json:"duties,omitempty" yaml:"duties"`
	// Conditions are the conditions the treaty lets the requested State attach to a grant
	// (confidentiality, use-limitation).
	Conditions []Condition `json:"conditions,omitempty" yaml:"conditions"`
	// MinPenaltyYears is the treaty's scope: it covers offences punishable by at least this many years of
	// deprivation of liberty in the requesting State (zero: every offence).
	MinPenaltyYears int `json:"min_penalty_years,omitempty" yaml:"min_penalty_years"`
	// Source says where the terms come from (the treaty's text, a secondary source, or "hypothesis of the
	// scenario"); required when terms are stated.
	Source string `json:"source,omitempty" yaml:"source"`
	// Stated is true when the scenario states the treaty's terms (the mapping form).
	Stated bool `json:"stated,omitempty" yaml:"-"`
}

// Pair returns the two State codes of the treaty.
func (t Treaty) Pair() (string, string) {
	a, b, _ := strings.Cut(t.Parties, "-")
	return a, b
}

// Binds reports whether the treaty binds a and b.
func (t Treaty) Binds(a, b string) bool {
	x, y := t.Pair()
	return (x == a && y == b) || (x == b && y == a)
}

// Label names the treaty in messages.
func (t Treaty) Label() string {
	if t.Name != "" {
		return t.Name
	}
	a, b := t.Pair()
	return fmt.Sprintf("the bilateral MLA treaty between %s and %s", a, b)
}

// Covers reports whether the treaty's scope covers an offence of the given maximum penalty.
func (t Treaty) Covers(o Offence) bool { return o.MaxPenaltyYears >= t.MinPenaltyYears }

// Validate checks the treaty's terms against the grounds the rules know; paths are relative to the treaty.
func (t Treaty) Validate(grounds []string) Problems {
	var ps Problems
	a, b, ok := strings.Cut(t.Parties, "-")
	if !ok || strings.Contains(b, "-") || a == "" || b == "" || a == b {
		ps.add("parties", "treaty %q: write its parties as two State codes, e.g. NL-US", t.Parties)
	}
	for j, g := range t.Grounds {
		if !slices.Contains(grounds, g) {
			ps.add(Index("grounds", j), "unknown ground %q (known: %s)", g, strings.Join(grounds, ", "))
		}
	}
	for j, d := range t.Duties {
		if !slices.Contains(Duties, d) {
			ps.add(Index("duties", j), "unknown duty %q (known: %s)", d, JoinDuties())
		}
	}
	for j, c := range t.Conditions {
		if !slices.Contains(Conditions, c) {
			ps.add(Index("conditions", j), "unknown condition %q (known: %s)", c, strings.Join(conditionNames(), ", "))
		}
	}
	if t.MinPenaltyYears < 0 || t.MinPenaltyYears > MaxPenaltyYears {
		ps.add("min_penalty_years", "a penalty threshold of %d years is outside 0..%d", t.MinPenaltyYears, MaxPenaltyYears)
	}
	if t.Stated && strings.TrimSpace(t.Source) == "" {
		ps.add("source", "say where the treaty's terms come from (its text, a source, or %q)", "hypothesis of the scenario")
	}
	return ps
}

// TreatyFacts is what rules see of the MLA treaty that binds the pair: whether its terms are stated, and
// those terms. Without a treaty, or without stated terms, the lists are empty.
type TreatyFacts struct {
	Stated  bool     `json:"stated" yaml:"stated"`
	Name    string   `json:"name" yaml:"name"`
	Grounds []string `json:"grounds" yaml:"grounds"`
	Duties  []string `json:"duties" yaml:"duties"`
	// Conditions are condition names, as strings for rule conditions.
	Conditions []string `json:"conditions" yaml:"conditions"`
}

// FactsOf returns what rules see of the treaty (nil: no treaty binds the pair).
func (t *Treaty) FactsOf() TreatyFacts {
	f := TreatyFacts{Grounds: []string{}, Duties: []string{}, Conditions: []string{}}
	if t == nil {
		return f
	}
	f.Stated, f.Name = t.Stated, t.Label()
	if t.Stated {
		f.Grounds = append(f.Grounds, t.Grounds...)
		f.Duties = append(f.Duties, t.Duties...)
		f.Conditions = append(f.Conditions, conditionStrings(t.Conditions)...)
	}
	return f
}

// normal returns the facts with nil lists made empty, as rules expect them.
func (f TreatyFacts) normal() TreatyFacts {
	if f.Grounds == nil {
		f.Grounds = []string{}
	}
	if f.Duties == nil {
		f.Duties = []string{}
	}
	if f.Conditions == nil {
		f.Conditions = []string{}
	}
	return f
}

func conditionNames() []string { return conditionStrings(Conditions) }

// TreatyLine says, for the timeline, which MLA treaty applies to the request and what its terms do, with
// the articles that give them that effect; empty when no treaty applies.
func (c BasisChoice) TreatyLine(requesting, requested string) (string, []Citation) {
	t := c.Treaty
	if !c.MLATreaty || t == nil {
		return "", nil
	}
	terms := "its terms are not stated, so the requested State's own law gives the grounds"
	if t.Stated {
		terms = "its terms, as the scenario states them (" + t.Source + "): grounds " + orNone(t.Grounds) +
			"; duties " + orNone(t.Duties) + "; conditions " + orNone(conditionStrings(t.Conditions))
	}
	line := fmt.Sprintf("%s binds %s and %s and covers the offence; %s", t.Label(), requesting, requested, terms)
	var cites []Citation
	switch c.Basis {
	case BasisBudapest:
		line += "; they apply in place of Budapest Art 27(2)-(9) (Art 27(1), Art 25(4))"
		cites = []Citation{{RuleID: "budapest.27.1", Article: "Budapest Art 27(1)", Tag: TagPrimary}, {RuleID: "budapest.25.4", Article: "Budapest Art 25(4)", Tag: TagPrimary}}
	case BasisUNCC:
		if !t.Stated {
			line = fmt.Sprintf("%s binds %s and %s and covers the offence; its terms are not stated, so the grounds and duties of UNCC Art 40 apply", t.Label(), requesting, requested)
		}
		if t.Stated {
			line += "; they apply in place of the procedure of UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(7))"
			cites = []Citation{{RuleID: "uncc.40.treaty", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(7))", Tag: TagUnconfirmed}}
		}
	case BasisBilateral:
		line += "; the request is made under it"
	}
	return line, cites
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func conditionStrings(cs []Condition) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}
