package scenarios

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/mla"
)

// TreatySpec is a bilateral MLA treaty in a scenario's world: either a bare pair ("NL-US"), which states
// no terms, or a mapping that states them (parties, name, grounds, duties, conditions, min_penalty_years, source).
type TreatySpec struct {
	mla.Treaty
}

// treatyTerms is the mapping form, decoded field by field.
type treatyTerms struct {
	Parties         string          `yaml:"parties"`
	Name            string          `yaml:"name"`
	Grounds         []string        `yaml:"grounds"`
	Duties          []string        `yaml:"duties"`
	Conditions      []mla.Condition `yaml:"conditions"`
	MinPenaltyYears int             `yaml:"min_penalty_years"`
	Source          string          `yaml:"source"`
}

// UnmarshalYAML reads either form. Unknown keys of the mapping are type errors at their line, as the
// strict decoder reports them elsewhere.
func (t *TreatySpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		t.Treaty = mla.Treaty{Parties: n.Value}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a treaty is a pair of State codes (NL-US) or a mapping of its terms", n.Line)}}
	}
	known := map[string]bool{}
	rt := reflect.TypeFor[treatyTerms]()
	for i := range rt.NumField() {
		known[rt.Field(i).Tag.Get("yaml")] = true
	}
	var unknown []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !known[k.Value] {
			unknown = append(unknown, fmt.Sprintf("line %d: field %s not found in type scenarios.treatyTerms", k.Line, k.Value))
		}
	}
	if len(unknown) > 0 {
		return &yaml.TypeError{Errors: unknown}
	}
	var terms treatyTerms
	if err := n.Decode(&terms); err != nil {
		return err
	}
	t.Treaty = mla.Treaty{Parties: terms.Parties, Name: terms.Name, Grounds: terms.Grounds, Duties: terms.Duties, Conditions: terms.Conditions,
		MinPenaltyYears: terms.MinPenaltyYears, Source: terms.Source, Stated: true}
	return nil
}

// treaties checks the world's treaties: two known States each, at most one treaty a pair, and terms the
// rules know.
func (l *loader) treaties(f File, s *Scenario) {
	for i, t := range f.World.Treaties {
		at := mla.Index("world.treaties", i)
		ps := t.Validate(l.engine.Grounds())
		l.problems(ps.Prefixed(at))
		if len(ps) > 0 && strings.Contains(ps[0].Path, "parties") {
			continue
		}
		a, b := t.Pair()
		for _, c := range []string{a, b} {
			if _, ok := s.States[c]; !ok {
				l.at(at, "unknown State %q", c)
			}
		}
		if s.World.HasTreaty(a, b) {
			l.at(at, "a second treaty between %s and %s: state one treaty a pair", a, b)
			continue
		}
		s.World.Treaties = append(s.World.Treaties, t.Treaty)
	}
}
