package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
)

func engine(t *testing.T) *rules.Engine {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestLibraryLoads(t *testing.T) {
	e := engine(t)
	if len(Names()) == 0 {
		t.Fatal("empty library")
	}
	for _, n := range Names() {
		sc, err := Builtin(n, e)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if len(sc.Requests) == 0 {
			t.Errorf("%s has no requests", n)
		}
	}
}

func TestDemoScenarioShape(t *testing.T) {
	sc, err := Builtin("demo", engine(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Requests) < 6 {
		t.Fatalf("%d requests", len(sc.Requests))
	}
	byID := map[string]int{}
	for i, r := range sc.Requests {
		byID[r.Request.ID] = i
	}
	j := sc.Requests[byID["journalist"]]
	if j.Basis.Basis != mla.BasisUNCC || !j.Requesting.Fictional || j.Requested.Policy != "strict-safeguards" {
		t.Errorf("journalist: %+v", j.Basis)
	}
	if len(j.Requested.Hypothetical) == 0 {
		t.Error("PT's hypothetical ratification is not marked as such")
	}
	if sc.Requests[byID["ransomware-preservation"]].Onward == nil {
		t.Error("onward preservation State not resolved")
	}
	if sc.Clock.Scale != 4*86400 {
		t.Errorf("scale %v", sc.Clock.Scale)
	}
}

const good = `id: t
title: T
seed: 1
clock: {start: "2027-03-01", scale: 1d}
requests:
  - id: a
    title: A
    kind: stored-data
    from: NL
    to: US
`

func TestBadInputNamesFileLineAndField(t *testing.T) {
	e := engine(t)
	cases := []struct {
		name, yaml, want string
	}{
		{"malformed YAML", good + "    at: [1d\n", "s.yaml:11:1"},
		{"unknown State", strings.Replace(good, "to: US", "to: QQ", 1), `s.yaml:10:9: requests[0].to: unknown State "QQ"`},
		{"unknown kind", strings.Replace(good, "stored-data", "telepathy", 1), `s.yaml:8:11: requests[0].kind: unknown request kind "telepathy"`},
		{"missing title", strings.Replace(good, "    title: A\n", "", 1), `s.yaml:6:5: requests[0].title: missing title`},
		{"unknown field", good + "    colour: red\n", `s.yaml:11:5: requests[0].colour: unknown field "colour"`},
		{"zero time scale", strings.Replace(good, "scale: 1d", "scale: 0d", 1), `s.yaml:4:37: clock.scale: missing time scale`},
		{"time scale of a nanosecond", strings.Replace(good, "scale: 1d", "scale: 0.000000001s", 1), `clock.scale: the time scale 0.000000001s is outside 1s..1000d per second`},
		{"start date out of range", strings.Replace(good, "2027-03-01", "9999-12-31", 1), `s.yaml:4:16: clock.start: date 9999-12-31 is outside 1990-01-01..2199-12-31`},
		{"self follow-up", good + "    follow_up_of: a\n", `requests[0].follow_up_of: a request cannot follow up itself`},
		{"penalty out of range", good + "    offence: {max_penalty_years: 1000000}\n", `requests[0].offence.max_penalty_years: a penalty of 1000000 years is outside 0..100`},
		{"unknown role", good + "    person: {role: journalst}\n", `s.yaml:11:20: requests[0].person.role: unknown person role "journalst"`},
		{"unknown kind of sign", good + "    signs: [{kind: rumour, source: a blog}]\n", `s.yaml:11:20: requests[0].signs[0].kind: unknown kind of sign "rumour"`},
		{"sign without a source", good + "    signs: [{kind: statement}]\n", `requests[0].signs[0].source: say where the sign comes from`},
		{"generator sign of an unknown kind", good + "generators:\n  - id: g\n    count: 1\n    window: 1d\n    from: [NL]\n    to: [US]\n    kinds: {mla: 1}\n    offences: [{weight: 1, name: fraud}]\n    signs: {rumour: 0.1}\n",
			`s.yaml:19:13: generators[0].signs.rumour: unknown kind of sign "rumour"`},
		{"State law with an unknown ground", good + "world:\n  states:\n    - code: US\n      law: {forbids: [bank-secrets], source: a statute}\n",
			`world.states[0].law.forbids[0]: unknown ground "bank-secrets"`},
		{"access without saying how", strings.Replace(good, "stored-data", "direct-access", 1), `requests[0].access: say how the data is accessed without the other Party's authorisation`},
		{"access on a request for assistance", good + "    access: consent\n", `requests[0].access: only access without authorisation (kind direct-access)`},
		{"unknown kind of access", strings.Replace(good, "stored-data", "direct-access", 1) + "    access: hacking\n", `requests[0].access: unknown kind of access "hacking"`},
		{"unknown form", good + "    form: telepathic\n", `s.yaml:11:11: requests[0].form: unknown form of request "telepathic"`},
		{"expedited means without urgency", good + "    form: expedited\n", `requests[0].form: expedited means are for urgent circumstances (Budapest Art 25(3))`},
		{"unknown basis of jurisdiction", good + "    jurisdiction: {basis: cosmic}\n", `s.yaml:11:27: requests[0].jurisdiction.basis: unknown basis of jurisdiction "cosmic"`},
		{"territorial claim over conduct abroad", good + "    jurisdiction: {basis: territorial, conduct_in: US}\n",
			`requests[0].jurisdiction.conduct_in: a territorial claim is over conduct in the requesting State (NL), not in US`},
		{"conduct in an unknown State", good + "    jurisdiction: {basis: nationality, conduct_in: QQ}\n", `requests[0].jurisdiction.conduct_in: unknown State "QQ"`},
		{"a derived sign written", good + "    signs: [{kind: extraterritorial-claim, source: a note}]\n", `requests[0].signs[0].kind: unknown kind of sign "extraterritorial-claim"`},
		{"a request straight to a provider that is no direct order", good + "    channel: direct-to-provider\n", `requests[0].channel: only a direct order (kind direct-order) or a request for domain name registration information (kind domain-name) travels straight to the provider`},
		{"direct order over another channel", strings.Replace(good, "stored-data", "direct-order", 1) + "    channel: judicial\n", `requests[0].channel: a direct order goes straight to the provider`},
		{"basis none cited", good + "    basis: none\n", `requests[0].basis: none is what basis selection finds`},
		{"treaty with an unknown ground", good + "world:\n  treaties:\n    - {parties: NL-US, grounds: [politics], source: a text}\n",
			`s.yaml:13:34: world.treaties[0].grounds[0]: unknown ground "politics"`},
		{"treaty with an unknown duty", good + "world:\n  treaties:\n    - {parties: NL-US, duties: [notify], source: a text}\n",
			`world.treaties[0].duties[0]: unknown duty "notify"`},
		{"treaty with an unknown field", good + "world:\n  treaties:\n    - {parties: NL-US, ground: [fiscal], source: a text}\n",
			`s.yaml:13:24: world.treaties[0].ground: unknown field "ground"`},
		{"treaty terms without a source", good + "world:\n  treaties:\n    - {parties: NL-US, grounds: [fiscal]}\n",
			`world.treaties[0].source: say where the treaty's terms come from`},
		{"treaty threshold out of range", good + "world:\n  treaties:\n    - {parties: NL-US, min_penalty_years: -1, source: a text}\n",
			`world.treaties[0].min_penalty_years: a penalty threshold of -1 years is outside 0..100`},
		{"treaty of a bad pair", good + "world:\n  treaties: [NL]\n",
			`world.treaties[0].parties: treaty "NL": write its parties as two State codes`},
		{"second treaty for a pair", good + "world:\n  treaties: [NL-US, {parties: US-NL, grounds: [fiscal], source: a text}]\n",
			`world.treaties[1]: a second treaty between US and NL`},
		{"State law without a source", good + "world:\n  states:\n    - code: US\n      law: {protects_sources: true}\n",
			`world.states[0].law.source: say where the description of the law comes from`},
		{"inject by hand with a legal time", good + "injects:\n  - {type: withdrawal, by_hand: true, at: 3d, request: a, note: n}\n", `injects[0].at: an inject fired by hand has no legal time of its own`},
		{"outage by hand", good + "injects:\n  - {type: provider-outage, by_hand: true, state: US, note: n}\n", `injects[0].by_hand: a trainer fires new-information and withdrawal injects by hand, not provider-outage`},
		{"capacity NaN", good + "world:\n  states:\n    - {code: US, capacity: .nan}\n", `world.states[0].capacity: capacity is a number of requests a legal day`},
		{"unknown policy", good + "world:\n  states:\n    - code: US\n      policy: lenient\n", `s.yaml:14:15: world.states[0].policy: unknown policy "lenient"`},
		{"fictional State with a real code", good + "world:\n  states:\n    - code: FR\n      name: Fantasia\n      fictional: true\n", `world.states[0].code: a fictional State needs a user-assigned code`},
		{"follow-up of nothing", good + "    follow_up_of: b\n", `requests[0].follow_up_of: no request with id "b"`},
		{"failure rate above one", good + "    provider: {failure_rate: 1.5}\n", `requests[0].provider.failure_rate: a share is a number between 0 and 1, not 1.5`},
		{"bad duration", good + "    at: soon\n", `s.yaml:11:9: requests[0].at: duration "soon"`},
		{"duplicate id", good + "  - id: a\n    title: B\n    kind: mla\n    from: NL\n    to: US\n", `requests[1].id: duplicate request id "a"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(c.yaml), nil, e)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
	if _, err := Parse("s.yaml", []byte(good), nil, e); err != nil {
		t.Fatalf("the good scenario fails: %v", err)
	}
}

func TestScenarioPackWithBadCELIsRejected(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/bad-pack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(file, []byte(good+"packs: [policy.yaml]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(file, engine(t))
	want := filepath.Join(dir, "policy.yaml") + ":8:11: rule policy.bad.1.when: CEL:"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v\nwant it to contain %q", err, want)
	}
}

func TestRequestingStateProfiles(t *testing.T) {
	e := engine(t)
	ps, err := Profiles()
	if err != nil {
		t.Fatal(err)
	}
	if p := ps["fair-trials-2013"]; p.Tag != mla.TagSecondary || p.Source == "" || len(p.States) == 0 {
		t.Fatalf("profile %+v", p)
	}
	doc := strings.Replace(good, "from: NL", "from: TR", 1) + "world:\n  profiles: [fair-trials-2013]\n"
	sc, err := Parse("s.yaml", []byte(doc), nil, e)
	if err != nil {
		t.Fatal(err)
	}
	in := sc.Requests[0]
	if in.Requesting.Record != "documented" || !strings.Contains(in.Requesting.RecordSource, "Fair Trials") {
		t.Errorf("requesting State %+v", in.Requesting)
	}
	if f := mla.FactsFor(in.Request, in.Requesting, in.Requested, in.Basis, sc.Clock.Start); f.Requesting.Record != "documented" {
		t.Errorf("facts record %q", f.Requesting.Record)
	}
	_, err = Parse("s.yaml", []byte(good+"world:\n  states:\n    - code: NL\n      record: documented\n"), nil, e)
	if err == nil || !strings.Contains(err.Error(), "world.states[0].record_source: a record of NL for a real State needs its source") {
		t.Fatalf("unsourced record accepted: %v", err)
	}
	_, err = Parse("s.yaml", []byte(good+"world:\n  profiles: [rumours]\n"), nil, e)
	if err == nil || !strings.Contains(err.Error(), `world.profiles[0]: unknown profile "rumours"`) {
		t.Fatalf("unknown profile: %v", err)
	}
}

// A scenario loaded again from its source, as a worker does, plans the same requests; what a run
// changes (seed, policies, a first part, the time scale) travels with it.
func TestSourcePlansTheSameRequests(t *testing.T) {
	e := engine(t)
	for _, name := range []string{"demo", "hanoi-stream"} {
		sc, err := Builtin(name, e)
		if err != nil {
			t.Fatal(err)
		}
		sc, err = sc.WithSeed(sc.Seed + 1)
		if err != nil {
			t.Fatal(err)
		}
		sc = sc.WithPolicies(map[string]string{"*": "permissive"}).WithLimit(500).WithScale(86400)
		again, err := FromSource(sc.Source(), e)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if Fingerprint(again.Requests) != Fingerprint(sc.Requests) || len(again.Requests) == 0 || again.Clock.Scale != 86400 {
			t.Fatalf("%s: %d requests planned again, %d first", name, len(again.Requests), len(sc.Requests))
		}
		if again.Requests[0].Requested.Policy != "permissive" {
			t.Errorf("%s: policy %s", name, again.Requests[0].Requested.Policy)
		}
	}
}

// A request that cites a basis the pair does not share loads, handled under the basis that applies, and
// says why.
func TestCitedBasisThatDoesNotBindFallsBack(t *testing.T) {
	src := `id: s
title: T
clock: {start: "2027-03-01", scale: 1d}
requests:
  - id: a
    title: A
    kind: mla
    from: NL
    to: US
    basis: uncc
`
	sc, err := Parse("s.yaml", []byte(src), nil, engine(t))
	if err != nil {
		t.Fatal(err)
	}
	b := sc.Requests[0].Basis
	if b.Basis != mla.BasisBudapest || !strings.Contains(b.Fallback, "NL cites uncc, which does not bind NL and US") {
		t.Errorf("basis %s, fallback %q", b.Basis, b.Fallback)
	}
}

// A training run carries no answer key, ground truth or briefing in its source, and plans the same
// requests.
func TestWithoutTruth(t *testing.T) {
	e := engine(t)
	sc, err := Builtin("seats-journalist", e)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := sc.WithoutTruth(e)
	if err != nil {
		t.Fatal(err)
	}
	data := string(bare.Source().Data)
	for _, leak := range []string{"expected", "abusive", "briefing", "Refused"} {
		if strings.Contains(data, leak) {
			t.Errorf("the source still says %q:\n%s", leak, data)
		}
	}
	if len(bare.Requests) != len(sc.Requests) || Fingerprint(bare.Requests) != Fingerprint(sc.Requests) {
		t.Errorf("other requests without the truth")
	}
	for id, tr := range bare.Truth() {
		if tr.Abusive || tr.Expected != nil {
			t.Errorf("%s keeps its truth: %+v", id, tr)
		}
	}
	if !sc.Truth()["journalist"].Abusive {
		t.Error("the original lost its truth")
	}
}
