package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
)

const generated = `id: g
title: G
seed: 9
clock: {start: "2027-03-01", scale: 1d}
generators:
  - id: s
    count: 2000
    window: 100d
    from: [NL, FR, DE]
    to: [US, JP]
    kinds: {stored-data: 0.7, preservation: 0.3}
    offences:
      - {weight: 1, name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    abusive_share: 0.2
    abusive:
      offences:
        - {weight: 1, name: false news, category: speech, max_penalty_years: 5}
      roles: [journalist]
      indicator_share: 0.5
    follow_up_share: 0.5
    follow_up_after: 30d
`

func TestGeneratorIsSeededAndShaped(t *testing.T) {
	e := engine(t)
	a, err := Parse("g.yaml", []byte(generated), nil, e)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Parse("g.yaml", []byte(generated), nil, e)
	if len(a.Requests) != len(b.Requests) {
		t.Fatalf("%d vs %d requests", len(a.Requests), len(b.Requests))
	}
	abusive, preservations, followUps, shown := 0, 0, 0, 0
	for i, r := range a.Requests {
		if r.Request.ID != b.Requests[i].Request.ID || r.Request.At != b.Requests[i].Request.At || r.Request.To != b.Requests[i].Request.To {
			t.Fatalf("request %d differs between two loads", i)
		}
		if r.Request.From == r.Request.To {
			t.Errorf("%s goes to itself", r.Request.ID)
		}
		if r.Request.At < 0 || r.Request.At.D() > 160*24*time.Hour {
			t.Errorf("%s at %s", r.Request.ID, r.Request.At)
		}
		switch {
		case r.Request.FollowUpOf != "":
			followUps++
		case r.Request.Kind == "preservation":
			preservations++
		}
		if r.Request.Abusive && r.Request.FollowUpOf == "" {
			abusive++
			if r.Request.Person.ProtectedExpression {
				shown++
			}
		}
	}
	// The counts of this seed, recorded once: a change to the generator's draws shows here.
	if len(a.Requests) != 2320 || followUps != 320 || preservations != 636 || abusive != 394 || shown != 199 {
		t.Errorf("requests %d, follow-ups %d, preservations %d, abusive %d, indicators shown %d; want 2320, 320, 636, 394, 199",
			len(a.Requests), followUps, preservations, abusive, shown)
	}
	if first := a.Requests[0].Request; first.ID != "s-00001" || first.At.String() != "27d13h" || first.From != "NL" || first.To != "US" {
		t.Errorf("first request %s at %s %s→%s", first.ID, first.At, first.From, first.To)
	}
	ids := map[string]mla.RequestKind{}
	for _, r := range a.Requests {
		ids[r.Request.ID] = r.Request.Kind
	}
	for _, r := range a.Requests {
		if f := r.Request.FollowUpOf; f != "" && ids[f] != mla.KindPreservation {
			t.Errorf("%s follows up %s, which is not a generated preservation", r.Request.ID, f)
		}
	}
	within := func(name string, got, n int, share float64) {
		if want := share * float64(n); float64(got) < 0.8*want || float64(got) > 1.2*want {
			t.Errorf("%s: %d of %d, want about %.0f", name, got, n, want)
		}
	}
	within("abusive", abusive, 2000, 0.2)
	within("preservations", preservations, 2000, 0.3)
	within("follow-ups", followUps, preservations, 0.5)
	within("indicators shown", shown, abusive, 0.5)
}

func TestGeneratorBadInput(t *testing.T) {
	e := engine(t)
	cases := []struct{ from, to, want string }{
		{"abusive_share: 0.2", "abusive_share: 1.5", "g.yaml:14:20: generators[0].abusive_share: a share is a number between 0 and 1, not 1.5"},
		{"abusive_share: 0.2", "abusive_share: .nan", "g.yaml:14:20: generators[0].abusive_share: a share is a number between 0 and 1"},
		{"indicator_share: 0.5", "indicator_share: .inf", "generators[0].abusive.indicator_share: a share is a number between 0 and 1"},
		{"count: 2000", "count: -5", "g.yaml:7:12: generators[0].count: count must be between 1 and 200000, not -5"},
		{"count: 2000", "count: 200001", "generators[0].count: the scenario would have more than 200000 requests"},
		{"to: [US, JP]", "to: [US, XX]", `g.yaml:10:14: generators[0].to[1]: unknown State "XX"`},
		{"stored-data: 0.7", "teleport: 0.7", `generators[0].kinds.teleport: unknown request kind "teleport"`},
		{"window: 100d", "window: 0d", "generators[0].window: give the window over which requests arrive"},
		{"window: 100d", "window: 106000d106000d106000d", "g.yaml:8:13: generators[0].window: duration \"106000d106000d106000d\": 106000 is too large"},
		{"{weight: 1, name: fraud", "{weight: -1, name: fraud", "generators[0].offences[0].weight: a weight is a non-negative number"},
		{"{weight: 1, name: fraud", "{weight: .nan, name: fraud", "generators[0].offences[0].weight: a weight is a non-negative number"},
	}
	for _, c := range cases {
		doc := strings.Replace(generated, c.from, c.to, 1)
		_, err := Parse("g.yaml", []byte(doc), nil, e)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v\nwant %q", c.to, err, c.want)
		}
	}
}

// BenchmarkLoadGrowth loads generated scenarios of growing size, all to one State with a capacity (so
// the backlog queue is long), and reports the load time per request: it should stay about flat as the
// scenario grows (n log n at worst).
func BenchmarkLoadGrowth(b *testing.B) {
	e, err := rules.LoadBuiltin()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{25000, 50000, 100000, 200000} {
		doc := strings.NewReplacer("count: 2000", fmt.Sprintf("count: %d", n), "follow_up_share: 0.5", "follow_up_share: 0",
			"to: [US, JP]", "to: [US]").Replace(generated) + "world:\n  states:\n    - {code: US, capacity: 20}\n"
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sc, err := Parse("g.yaml", []byte(doc), nil, e)
				if err != nil {
					b.Fatal(err)
				}
				if len(sc.Requests) != n {
					b.Fatalf("%d requests", len(sc.Requests))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/request")
		})
	}
}
