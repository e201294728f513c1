package mla

import (
	"slices"
	"strings"
)

// Law is what a scenario says of a requested State's own law on mutual assistance: the discretionary
// grounds its central authority may or may not invoke, the measures the law knows, the penalty a measure
// needs, and whether it protects journalists' sources. The instruments make assistance subject to that
// law (Budapest Art 25(4)); the law itself is a fact of the scenario, with its source, never treaty text.
type Law struct {
	// Permits, when set, lists the only discretionary grounds the law lets the State invoke; every
	// other ground the screening finds is barred by its own law.
	Permits []string `json:"permits,omitempty" yaml:"permits"`
	// Forbids lists discretionary grounds the law forbids the State to invoke.
	Forbids []string `json:"forbids,omitempty" yaml:"forbids"`
	// Knows, when set, lists the measures (request kinds) the law provides for; a measure it does not
	// know would not be available in a similar domestic case.
	Knows []string `json:"knows,omitempty" yaml:"knows"`
	// MinPenalty gives, per measure, the maximum penalty in years an offence must carry for the measure
	// to be available (e.g. {interception: 4}).
	MinPenalty map[string]int `json:"min_penalty,omitempty" yaml:"min_penalty"`
	// ProtectsSources: the law forbids disclosing data that would identify a journalist's sources.
	ProtectsSources bool `json:"protects_sources,omitempty" yaml:"protects_sources"`
	// Source says where the description of the law comes from (a statute, a secondary source, or
	// "hypothesis of the scenario").
	Source string `json:"source,omitempty" yaml:"source"`
}

// IsZero reports whether the scenario says nothing of the law.
func (l Law) IsZero() bool {
	return len(l.Permits) == 0 && len(l.Forbids) == 0 && len(l.Knows) == 0 && len(l.MinPenalty) == 0 && !l.ProtectsSources
}

// Allows reports whether the law lets the State invoke a discretionary ground.
func (l Law) Allows(ground string) bool {
	if slices.Contains(l.Forbids, ground) {
		return false
	}
	return len(l.Permits) == 0 || slices.Contains(l.Permits, ground)
}

// Validate checks a law against the grounds the rules know; paths are relative to the law.
func (l Law) Validate(grounds []string) Problems {
	var ps Problems
	for _, list := range []struct {
		field string
		names []string
	}{{"permits", l.Permits}, {"forbids", l.Forbids}} {
		for j, g := range list.names {
			if !slices.Contains(grounds, g) {
				ps.add(Index(list.field, j), "unknown ground %q (known: %s)", g, strings.Join(grounds, ", "))
			}
		}
	}
	for _, g := range l.Permits {
		if slices.Contains(l.Forbids, g) {
			ps.add("forbids", "ground %q is both permitted and forbidden", g)
		}
	}
	for j, k := range l.Knows {
		if _, err := ParseKind(k); err != nil {
			ps.add(Index("knows", j), "%v", err)
		}
	}
	for _, k := range SortedKeys(l.MinPenalty) {
		if _, err := ParseKind(k); err != nil {
			ps.add("min_penalty."+k, "%v", err)
		}
		if y := l.MinPenalty[k]; y < 0 || y > MaxPenaltyYears {
			ps.add("min_penalty."+k, "a penalty threshold of %d years is outside 0..%d", y, MaxPenaltyYears)
		}
	}
	if !l.IsZero() && strings.TrimSpace(l.Source) == "" {
		ps.add("source", "say where the description of the law comes from (a statute, a source, or %q)", "hypothesis of the scenario")
	}
	return ps
}

// lawFacts is the law as rules see it: lists never nil.
func (l Law) lawFacts() Law {
	out := l
	for _, p := range []*[]string{&out.Permits, &out.Forbids, &out.Knows} {
		if *p == nil {
			*p = []string{}
		}
	}
	if out.MinPenalty == nil {
		out.MinPenalty = map[string]int{}
	}
	return out
}
