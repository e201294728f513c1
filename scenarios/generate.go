package scenarios

import (
	"fmt"
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
	Window mla.Duration `yaml:"window"`
	// From and To are the requesting and requested States, drawn uniformly (never the same State).
	From []string `yaml:"from"`
	To   []string `yaml:"to"`
	// Kinds weighs request kinds, e.g. {stored-data: 0.6, preservation: 0.3, mla: 0.1}.
	Kinds map[mla.RequestKind]mla.Weight `yaml:"kinds"`
	// Offences weighs the offences of legitimate requests.
	Offences []WeightedOffence `yaml:"offences"`
	// Signs gives, for legitimate requests, how often each sign of targeting shows all the same (a
	// politically active suspect of a real fraud): the noise that makes a strict policy over-block.
	Signs map[mla.SignKind]mla.Share `yaml:"signs"`
	// AbusiveShare is the share of requests made to target a person for protected reasons (ground truth,
	// never seen by the rules); Abusive says what those requests look like.
	AbusiveShare mla.Share   `yaml:"abusive_share"`
	Abusive      AbusiveSpec `yaml:"abusive"`
	// FollowUpShare of preservations are followed by a stored-data request after about FollowUpAfter.
	FollowUpShare mla.Share    `yaml:"follow_up_share"`
	FollowUpAfter mla.Duration `yaml:"follow_up_after"`
	Provider      mla.Provider `yaml:"provider"`
}

// WeightedOffence is an offence with its weight in a mix.
type WeightedOffence struct {
	Weight      mla.Weight `yaml:"weight"`
	mla.Offence `yaml:",inline"`
}

// AbusiveSpec describes abusive requests: their offences, the roles of the persons targeted, and how
// often each sign a requested State could observe actually shows.
type AbusiveSpec struct {
	Offences []WeightedOffence `yaml:"offences"`
	Roles    []mla.Role        `yaml:"roles"`
	// IndicatorShare is how often the person's role is known and the conduct is protected expression in
	// the requested State.
	IndicatorShare mla.Share `yaml:"indicator_share"`
	// Signs gives how often each sign of targeting shows, e.g. {statement: 0.3, timing: 0.5}.
	Signs map[mla.SignKind]mla.Share `yaml:"signs"`
}

// MaxGenerated caps one generator's count.
const MaxGenerated = MaxRequests

// checkGenerator validates a generator and reports whether it can run.
func (l *loader) checkGenerator(s *Scenario, gi int, g GeneratorSpec) bool {
	at := func(k string) string { return mla.Index("generators", gi) + "." + k }
	n := len(l.errs)
	if !mla.ValidID(g.ID) {
		l.at(at("id"), "generator id %q: use letters, digits, '.', '_' and '-'", g.ID)
	}
	if g.Count <= 0 || g.Count > MaxGenerated {
		l.at(at("count"), "count must be between 1 and %d, not %d", MaxGenerated, g.Count)
	}
	if g.Window <= 0 {
		l.at(at("window"), "give the window over which requests arrive, e.g. 365d")
	}
	for _, side := range []struct {
		field string
		codes []string
	}{{"from", g.From}, {"to", g.To}} {
		if len(side.codes) == 0 {
			l.at(at(side.field), "list at least one State")
		}
		for j, c := range side.codes {
			if _, ok := s.States[c]; !ok {
				l.at(mla.Index(at(side.field), j), "unknown State %q", c)
			}
		}
	}
	if len(g.From) == 1 && len(g.To) == 1 && g.From[0] == g.To[0] {
		l.at(at("to"), "a request goes to another State")
	}
	if total(g.Kinds) <= 0 {
		l.at(at("kinds"), "weigh at least one request kind above zero")
	}
	l.checkMix(at("offences"), g.Offences, g.AbusiveShare < 1)
	l.checkMix(at("abusive.offences"), g.Abusive.Offences, g.AbusiveShare > 0)
	if g.AbusiveShare > 0 && len(g.Abusive.Roles) == 0 {
		l.at(at("abusive.roles"), "list the roles of the persons abusive requests target")
	}
	if g.FollowUpShare > 0 && g.FollowUpAfter <= 0 {
		l.at(at("follow_up_after"), "say how long after a preservation its follow-up comes, e.g. 40d")
	}
	l.problems(g.Provider.Validate().Prefixed(at("provider")))
	return len(l.errs) == n
}

func (l *loader) checkMix(path string, mix []WeightedOffence, required bool) {
	sum := 0.0
	for _, o := range mix {
		sum += float64(o.Weight)
	}
	if required && sum <= 0 {
		l.at(path, "list at least one offence with a weight above zero")
	}
	for j, o := range mix {
		l.problems(o.Validate().Prefixed(mla.Index(path, j)))
	}
}

func total[K comparable](m map[K]mla.Weight) float64 {
	t := 0.0
	for _, w := range m {
		t += float64(w)
	}
	return t
}

// generate validates a generator and returns its requests.
func (l *loader) generate(s *Scenario, gi int, g GeneratorSpec) []mla.Request {
	if !l.checkGenerator(s, gi, g) {
		return nil
	}
	seed := mla.DeriveSeed(s.Seed, "generator/"+g.ID)
	draw := func(key string, i int) float64 { return mla.Chance(seed, fmt.Sprintf("%s/%d", key, i)) }
	pick := func(key string, i int, xs []string) string { return xs[int(draw(key, i)*float64(len(xs)))%len(xs)] }
	kinds := mla.SortedKeys(g.Kinds)
	out := make([]mla.Request, 0, g.Count)
	for i := 0; i < g.Count; i++ {
		id := fmt.Sprintf("%s-%05d", g.ID, i+1)
		from := pick("from", i, g.From)
		to := pick("to", i, g.To)
		for shift := 1; to == from; shift++ {
			to = g.To[(indexOf(g.To, to)+shift)%len(g.To)]
		}
		kind := weighted(draw("kind", i), kinds, func(k mla.RequestKind) float64 { return float64(g.Kinds[k]) })
		arrival := time.Duration(draw("at", i) * float64(g.Window)).Round(time.Hour)
		r := mla.Request{ID: id, Title: fmt.Sprintf("generated %s request %d", kind, i+1), From: from, To: to, At: mla.Duration(arrival),
			Case: mla.Case{Kind: kind, Person: mla.Person{Role: mla.RoleSuspect}}, Script: mla.Script{Provider: g.Provider}}
		if draw("abusive", i) < float64(g.AbusiveShare) {
			r.Abusive = true
			r.Offence = weightedOffence(draw("offence", i), g.Abusive.Offences)
			r.Person.Role = mla.RoleUnknown
			if draw("indicator/role", i) < float64(g.Abusive.IndicatorShare) {
				r.Person.Role = g.Abusive.Roles[int(draw("role", i)*float64(len(g.Abusive.Roles)))%len(g.Abusive.Roles)]
			}
			r.Person.ProtectedExpression = draw("indicator/expression", i) < float64(g.Abusive.IndicatorShare)
			r.Signs = drawSigns(g.Abusive.Signs, func(k mla.SignKind) float64 { return draw("sign/"+string(k), i) })
		} else {
			r.Offence = weightedOffence(draw("offence", i), g.Offences)
			r.Signs = drawSigns(g.Signs, func(k mla.SignKind) float64 { return draw("sign/"+string(k), i) })
		}
		out = append(out, r)
		if kind == mla.KindPreservation && draw("follow-up", i) < float64(g.FollowUpShare) {
			delay := mla.Vary(seed, fmt.Sprintf("follow-up-after/%d", i), g.FollowUpAfter.D(), 0.5)
			f := r
			f.ID, f.Kind, f.FollowUpOf = id+"-mla", mla.KindStoredData, id
			f.Title = fmt.Sprintf("follow-up of generated preservation %d", i+1)
			f.At = mla.Duration(arrival + delay)
			out = append(out, f)
		}
	}
	return out
}

// drawSigns gives the signs of targeting that show on one request, each kind with its share; the source
// says that the generator drew it.
func drawSigns(shares map[mla.SignKind]mla.Share, draw func(mla.SignKind) float64) []mla.Sign {
	var out []mla.Sign
	for _, k := range mla.SignKinds {
		if share, ok := shares[k]; ok && draw(k) < float64(share) {
			out = append(out, mla.Sign{Kind: k, Source: "drawn by the scenario's generator"})
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
func weighted[K any](u float64, keys []K, weight func(K) float64) K {
	sum := 0.0
	for _, k := range keys {
		sum += weight(k)
	}
	x := u * sum
	for _, k := range keys {
		if x < weight(k) {
			return k
		}
		x -= weight(k)
	}
	return keys[len(keys)-1]
}

func weightedOffence(u float64, mix []WeightedOffence) mla.Offence {
	return weighted(u, mix, func(o WeightedOffence) float64 { return float64(o.Weight) }).Offence
}
