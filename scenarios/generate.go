package scenarios

import (
	"fmt"
	"math"
	"time"

	"github.com/mlasim/mlasim/mla"
)

// GeneratorSpec generates a seeded stream of requests, for policy analysis. Every draw comes from the
// scenario seed and the generator's ID, so the same scenario gives the same requests.
type GeneratorSpec struct {
	ID string `yaml:"id"`
	// Count is how many requests (follow-ups come on top).
	Count int `yaml:"count"`
	// Window spreads arrivals uniformly over [0, window) after the scenario start.
	Window string `yaml:"window"`
	// From and To are the requesting and requested States, drawn uniformly (never the same State).
	From []string `yaml:"from"`
	To   []string `yaml:"to"`
	// Kinds weighs request kinds, e.g. {stored-data: 0.6, preservation: 0.3, mla: 0.1}.
	Kinds map[string]float64 `yaml:"kinds"`
	// Offences weighs the offences of legitimate requests.
	Offences []WeightedOffence `yaml:"offences"`
	// AbusiveShare is the share of requests made to target a person for protected reasons (ground truth,
	// never seen by the rules); Abusive says what those requests look like.
	AbusiveShare float64     `yaml:"abusive_share"`
	Abusive      AbusiveSpec `yaml:"abusive"`
	// FollowUpShare of preservations are followed by a stored-data request after about FollowUpAfter.
	FollowUpShare float64      `yaml:"follow_up_share"`
	FollowUpAfter string       `yaml:"follow_up_after"`
	Provider      ProviderSpec `yaml:"provider"`
}

// WeightedOffence is an offence with its weight in a mix.
type WeightedOffence struct {
	Weight      float64 `yaml:"weight"`
	mla.Offence `yaml:",inline"`
}

// AbusiveSpec describes abusive requests: their offences, the roles of the persons targeted, and how
// often each indicator a requested State could observe actually shows.
type AbusiveSpec struct {
	Offences       []WeightedOffence `yaml:"offences"`
	Roles          []string          `yaml:"roles"`
	IndicatorShare float64           `yaml:"indicator_share"`
}

// generate validates a generator and returns its requests as scripted requests.
func (v *validator) generate(s *Scenario, gi int, g GeneratorSpec) []ReqSpec {
	at := func(k ...any) []any { return append([]any{"generators", gi}, k...) }
	n := len(v.errs)
	if g.ID == "" {
		v.at(at("id"), "missing generator id")
	}
	if g.Count <= 0 || g.Count > 200000 {
		v.at(at("count"), fmt.Sprintf("count must be between 1 and 200000, not %d", g.Count))
	}
	window := v.duration(at("window"), g.Window, true)
	if g.Window != "" && window <= 0 {
		v.at(at("window"), "window must be more than zero")
	}
	for _, side := range []struct {
		field string
		codes []string
	}{{"from", g.From}, {"to", g.To}} {
		if len(side.codes) == 0 {
			v.at(at(side.field), "list at least one State")
		}
		for j, c := range side.codes {
			if _, ok := s.States[c]; !ok {
				v.at(at(side.field, j), fmt.Sprintf("unknown State %q", c))
			}
		}
	}
	if len(g.From) == 1 && len(g.To) == 1 && g.From[0] == g.To[0] {
		v.at(at("to"), "a request goes to another State")
	}
	kinds := mla.SortedKeys(g.Kinds)
	if len(kinds) == 0 {
		v.at(at("kinds"), "weigh at least one request kind")
	}
	for _, k := range kinds {
		if _, err := mla.ParseKind(k); err != nil {
			v.at(at("kinds", k), err.Error())
		}
		if g.Kinds[k] < 0 {
			v.at(at("kinds", k), "weights must not be negative")
		}
	}
	checkShare := func(field string, x float64) {
		if x < 0 || x > 1 || math.IsNaN(x) {
			v.at(at(field), fmt.Sprintf("%s is a share between 0 and 1, not %v", field, x))
		}
	}
	checkShare("abusive_share", g.AbusiveShare)
	checkShare("follow_up_share", g.FollowUpShare)
	if g.Abusive.IndicatorShare < 0 || g.Abusive.IndicatorShare > 1 {
		v.at(at("abusive", "indicator_share"), fmt.Sprintf("indicator_share is a share between 0 and 1, not %v", g.Abusive.IndicatorShare))
	}
	if g.Provider.FailureRate < 0 || g.Provider.FailureRate > 1 {
		v.at(at("provider", "failure_rate"), "failure rate is a share between 0 and 1")
	}
	checkMix := func(field []any, mix []WeightedOffence, required bool) {
		if len(mix) == 0 && required {
			v.at(field, "list at least one offence")
		}
		for j, o := range mix {
			if o.Weight < 0 {
				v.at(append(field, j, "weight"), "weights must not be negative")
			}
		}
	}
	checkMix(at("offences"), g.Offences, g.AbusiveShare < 1)
	checkMix(at("abusive", "offences"), g.Abusive.Offences, g.AbusiveShare > 0)
	if g.AbusiveShare > 0 && len(g.Abusive.Roles) == 0 {
		v.at(at("abusive", "roles"), "list the roles of the persons abusive requests target")
	}
	followAfter := v.duration(at("follow_up_after"), g.FollowUpAfter, g.FollowUpShare > 0)
	if len(v.errs) > n {
		return nil
	}

	seed := mla.DeriveSeed(s.Seed, "generator/"+g.ID)
	draw := func(key string, i int) float64 { return mla.Chance(seed, fmt.Sprintf("%s/%d", key, i)) }
	pick := func(key string, i int, xs []string) string { return xs[int(draw(key, i)*float64(len(xs)))%len(xs)] }
	var out []ReqSpec
	for i := 0; i < g.Count; i++ {
		id := fmt.Sprintf("%s-%05d", g.ID, i+1)
		from := pick("from", i, g.From)
		to := pick("to", i, g.To)
		for shift := 1; to == from; shift++ {
			to = g.To[(indexOf(g.To, to)+shift)%len(g.To)]
		}
		kind := weighted(draw("kind", i), kinds, func(k string) float64 { return g.Kinds[k] })
		arrival := time.Duration(draw("at", i) * float64(window)).Round(time.Hour)
		rs := ReqSpec{ID: id, Title: fmt.Sprintf("generated %s request %d", kind, i+1), Kind: kind, From: from, To: to,
			At: mla.FormatLegalDuration(arrival), Provider: g.Provider, Person: mla.Person{Role: "suspect"}}
		if draw("abusive", i) < g.AbusiveShare {
			rs.Abusive = true
			rs.Offence = weightedOffence(draw("offence", i), g.Abusive.Offences)
			rs.Person.Role = "unknown"
			if draw("indicator/role", i) < g.Abusive.IndicatorShare {
				rs.Person.Role = pick("role", i, g.Abusive.Roles)
			}
			rs.Person.ProtectedExpression = draw("indicator/expression", i) < g.Abusive.IndicatorShare
		} else {
			rs.Offence = weightedOffence(draw("offence", i), g.Offences)
		}
		out = append(out, rs)
		if kind == string(mla.KindPreservation) && draw("follow-up", i) < g.FollowUpShare {
			delay := mla.Vary(seed, fmt.Sprintf("follow-up-after/%d", i), followAfter, 0.5)
			f := rs
			f.ID, f.Kind, f.FollowUpOf = id+"-mla", string(mla.KindStoredData), id
			f.Title = fmt.Sprintf("follow-up of generated preservation %d", i+1)
			f.At = mla.FormatLegalDuration(arrival + delay)
			out = append(out, f)
		}
	}
	return out
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return 0
}

// weighted picks a key by weight with u in [0, 1).
func weighted(u float64, keys []string, weight func(string) float64) string {
	total := 0.0
	for _, k := range keys {
		total += weight(k)
	}
	x := u * total
	for _, k := range keys {
		if x < weight(k) {
			return k
		}
		x -= weight(k)
	}
	return keys[len(keys)-1]
}

func weightedOffence(u float64, mix []WeightedOffence) mla.Offence {
	total := 0.0
	for _, o := range mix {
		total += o.Weight
	}
	x := u * total
	for _, o := range mix {
		if x < o.Weight {
			return o.Offence
		}
		x -= o.Weight
	}
	return mix[len(mix)-1].Offence
}
