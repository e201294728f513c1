package scenarios

import (
	"strings"
	"testing"

	"github.com/mlasim/mlasim/mla"
)

const withInjects = `id: inj
title: Injects
seed: 1
clock: {start: "2027-03-01", scale: 1d}
world:
  states:
    - {code: US, capacity: 0.5}
    - {code: PT, uncc: signed}
requests:
  - {id: a, title: A, kind: stored-data, from: NL, to: US, at: 0d}
  - {id: b, title: B, kind: stored-data, from: NL, to: US, at: 1d}
  - {id: c, title: C, kind: stored-data, from: NL, to: US, at: 2d}
  - {id: u, title: U, kind: stored-data, from: VN, to: PT, at: 40d, offence: {name: fraud, max_penalty_years: 5}}
injects:
  - {at: 10d, type: withdrawal, request: c}
  - {at: 5d, type: provider-outage, state: US, duration: 20d}
  - {at: 3d, type: policy-change, state: US, policy: strict-safeguards}
  - {at: 30d, type: ratification, state: PT}
  - {at: 4d, type: new-information, request: b, note: the account holder is a journalist, facts: {person: {role: journalist}}}
  - at: 6d
    type: emergency
    emergency: {id: e, title: E, from: JP, to: US, deadline: 12h, offence: {name: kidnapping, category: violent, max_penalty_years: 15, criminal_in_requested: true}}
`

func TestInjectsAndBacklogs(t *testing.T) {
	doc := strings.Replace(withInjects, `clock: {start: "2027-03-01", scale: 1d}`, `clock: {start: "2027-03-01", scale: 1d, uncc_in_force: "2027-01-01"}`, 1)
	sc, err := Parse("inj.yaml", []byte(doc), nil, engine(t))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]mla.Request{}
	for _, in := range sc.Requests {
		by[in.Request.ID] = in.Request
		if in.Request.ID == "u" && (in.Requested.UNCC != mla.UNCCRatified || in.Basis.Basis != mla.BasisUNCC) {
			t.Errorf("ratification inject: PT %s, basis %s", in.Requested.UNCC, in.Basis.Basis)
		}
	}
	if by["c"].WithdrawAfter.D() != 8*mla.Day {
		t.Errorf("withdraw after %s", by["c"].WithdrawAfter)
	}
	if len(by["a"].Outages) != 1 || !by["a"].Outages[0].Contains(sc.Clock.Start.Add(10*mla.Day)) || len(by["u"].Outages) != 0 {
		t.Errorf("outages %v / %v", by["a"].Outages, by["u"].Outages)
	}
	if mla.PolicyAt("standard", by["a"].PolicyChanges, sc.Clock.Start.Add(4*mla.Day)) != "strict-safeguards" {
		t.Errorf("policy changes %v", by["a"].PolicyChanges)
	}
	if len(by["b"].Updates) != 1 || len(by["a"].Updates) != 0 {
		t.Errorf("updates %v", by["b"].Updates)
	}
	r, n := mla.ApplyUpdates(by["b"], sc.Clock.Start.Add(5*mla.Day))
	if n != 1 || r.Person.Role != mla.RoleJournalist {
		t.Errorf("applied %d: %+v", n, r.Person)
	}
	if e := by["e"]; e.Kind != mla.KindEmergency || e.At.D() != 6*mla.Day || e.Channel != mla.ChannelNetwork247 {
		t.Errorf("emergency %+v", e)
	}
	// US reviews one request every two legal days: a (0d) waits 0, b (1d) waits 1d, c (2d) waits 2d;
	// the emergency goes through the 24/7 network and does not queue.
	if by["a"].Backlog != 0 || by["b"].Backlog.D() != mla.Day || by["c"].Backlog.D() != 2*mla.Day || by["e"].Backlog != 0 {
		t.Errorf("backlogs a %s b %s c %s e %s", by["a"].Backlog, by["b"].Backlog, by["c"].Backlog, by["e"].Backlog)
	}
	if by["c"].BacklogAhead != 1 { // a finished as c arrived; b is ahead
		t.Errorf("ahead of c: %d", by["c"].BacklogAhead)
	}
}

func TestInjectBadInput(t *testing.T) {
	e := engine(t)
	cases := []struct{ from, to, want string }{
		{"{at: 10d, type: withdrawal, request: c}", "{at: 10d, type: withdrawal, request: zz}", `injects[0].request: no request with id "zz"`},
		{"{at: 10d, type: withdrawal, request: c}", "{at: 1d, type: withdrawal, request: c}", `injects[0].at: request "c" is sent at 2d: a withdrawal must come after`},
		{"type: provider-outage, state: US", "type: provider-outage, state: QQ", `injects[1].state: unknown State "QQ"`},
		{"policy: strict-safeguards", "policy: lenient", `injects[2].policy: unknown policy "lenient"`},
		{"type: ratification", "type: coup", `inj.yaml:18:21: injects[3].type: unknown inject "coup"`},
		{"facts: {person: {role: journalist}}", "facts: {provider: {name: x}}", `inj.yaml:19:99: injects[4].facts.provider: unknown field "provider"`},
		{"facts: {person: {role: journalist}}", "facts: {person: {role: journalst}}", `injects[4].facts.person.role: unknown person role "journalst"`},
		{"{at: 10d, type: withdrawal, request: c}", "{type: withdrawal, request: c}", `injects[0].at: say when the inject happens`},
	}
	for _, c := range cases {
		_, err := Parse("inj.yaml", []byte(strings.Replace(withInjects, c.from, c.to, 1)), nil, e)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v\nwant %q", c.to, err, c.want)
		}
	}
}
