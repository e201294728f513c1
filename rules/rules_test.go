package rules

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
)

func loadBuiltin(t *testing.T) *Engine {
	t.Helper()
	e, err := LoadBuiltin()
	if err != nil {
		t.Fatalf("built-in packs: %v", err)
	}
	return e
}

var date = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)

var ctx = context.Background()

func facts(basis mla.Basis, kind mla.RequestKind, mutate func(*mla.Request)) mla.Facts {
	r := mla.Request{Case: mla.Case{Kind: kind, Offence: mla.Offence{Name: "ransomware", Category: "ransomware", MaxPenaltyYears: 10, ConventionOffence: true, CriminalInRequested: true}, Person: mla.Person{Role: "suspect"}}}
	if mutate != nil {
		mutate(&r)
	}
	a := mla.State{Code: "AA", Budapest: mla.Yes, UNCC: mla.UNCCRatified}
	b := mla.State{Code: "ZZ", Budapest: mla.Yes, UNCC: mla.UNCCRatified}
	return mla.FactsFor(r, a, b, mla.BasisChoice{Basis: basis}, date)
}

func grounds(fs []mla.Finding) string {
	var g []string
	for _, f := range fs {
		g = append(g, f.Ground)
	}
	return strings.Join(g, ",")
}

func TestScreenTable(t *testing.T) {
	e := loadBuiltin(t)
	cases := []struct {
		name      string
		basis     mla.Basis
		kind      mla.RequestKind
		mutate    func(*mla.Request)
		policy    string
		available string
		barred    string
		invoked   string
		decision  mla.DecisionKind
	}{
		{"plain ransomware MLA under Budapest is granted", mla.BasisBudapest, mla.KindStoredData, nil, "standard", "", "", "", mla.DecisionGrant},
		{"journalist under UNCC: non-discrimination available, strict refuses", mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
			r.Offence = mla.Offence{Name: "false news", Category: "speech", MaxPenaltyYears: 5, CriminalInRequested: false}
			r.Person = mla.Person{Role: "journalist", ProtectedExpression: true}
			r.RequestingRecord = "documented"
		}, "strict-safeguards", "non-discrimination,dual-criminality", "", "non-discrimination,dual-criminality", mla.DecisionRefuse},
		{"journalist under UNCC: permissive grants", mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
			r.Person = mla.Person{Role: "journalist", ProtectedExpression: true}
			r.Signs = []mla.Sign{{Kind: mla.SignTiming, Source: "charged the week of the election"}}
		}, "permissive", "non-discrimination", "", "", mla.DecisionGrant},
		{"no dual criminality under UNCC: partial", mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
			r.Offence.CriminalInRequested = false
		}, "standard", "dual-criminality", "", "dual-criminality", mla.DecisionPartial},
		{"bank secrecy and fiscal are barred under UNCC", mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
			r.BankSecrecy = true
			r.Offence.Fiscal = true
		}, "strict-safeguards", "", "bank-secrecy,fiscal", "", mla.DecisionGrant},
		{"fiscal is barred under Budapest for a convention offence, bank secrecy is not", mla.BasisBudapest, mla.KindStoredData, func(r *mla.Request) {
			r.BankSecrecy = true
			r.Offence.Fiscal = true
		}, "strict-safeguards", "bank-secrecy", "fiscal", "bank-secrecy", mla.DecisionRefuse},
		{"preservation bars dual criminality under Budapest", mla.BasisBudapest, mla.KindPreservation, func(r *mla.Request) {
			r.Offence.CriminalInRequested = false
		}, "strict-safeguards", "", "dual-criminality", "", mla.DecisionGrant},
		{"political offence refused under Budapest without treaty", mla.BasisBudapest, mla.KindMLA, func(r *mla.Request) {
			r.Offence.Category = "sedition"
		}, "standard", "political-offence", "", "political-offence", mla.DecisionRefuse},
		{"ongoing investigation postpones", mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
			r.OngoingInvestigation = true
		}, "standard", "", "", "", mla.DecisionPostpone},
		{"out of UNCC scope", mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
			r.Offence = mla.Offence{Name: "minor fraud", Category: "fraud", MaxPenaltyYears: 2, CriminalInRequested: true}
		}, "strict-safeguards", "out-of-scope", "", "out-of-scope", mla.DecisionRefuse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := e.Screen(ctx, facts(c.basis, c.kind, c.mutate), c.policy)
			if err != nil {
				t.Fatal(err)
			}
			if got := grounds(s.Available()); got != c.available {
				t.Errorf("available = %q, want %q", got, c.available)
			}
			if got := grounds(s.Barred()); got != c.barred {
				t.Errorf("barred = %q, want %q", got, c.barred)
			}
			if got := grounds(s.Invoked()); got != c.invoked {
				t.Errorf("invoked = %q, want %q", got, c.invoked)
			}
			if got := mla.Propose(s, mla.Duration(10*mla.Day)).Decision.Kind; got != c.decision {
				t.Errorf("decision = %s, want %s", got, c.decision)
			}
		})
	}
}

func TestFindingCarriesFactsAndTag(t *testing.T) {
	e := loadBuiltin(t)
	s, err := e.Screen(ctx, facts(mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) { r.BankSecrecy = true }), "")
	if err != nil {
		t.Fatal(err)
	}
	b := s.Barred()
	if len(b) != 1 || b[0].RuleID != "uncc.40.bank-secrecy" || b[0].Tag != mla.TagUnconfirmed {
		t.Fatalf("barred = %+v", b)
	}
	if b[0].Facts["bank_secrecy"] != "true" {
		t.Errorf("facts = %v, want bank_secrecy=true", b[0].Facts)
	}
}

func TestUnknownPolicy(t *testing.T) {
	_, err := loadBuiltin(t).Screen(ctx, facts(mla.BasisUNCC, mla.KindMLA, nil), "nope")
	if err == nil || !strings.Contains(err.Error(), `unknown policy "nope"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestCompileErrorsNameFileLineColumn(t *testing.T) {
	cases := []struct {
		name, pack, want string
	}{
		{"syntax", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    kinds: [mla]\n    effect: ground\n    ground: g\n    explain: e\n    when: request.offence.political &&\n", "bad.yaml:11:11: rule x.1.when: CEL:"},
		{"unknown field in CEL", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    kinds: [mla]\n    effect: ground\n    ground: g\n    explain: e\n    when: request.offence.colour == 'red'\n", "bad.yaml:11:11: rule x.1.when: CEL:"},
		{"unknown kind", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    kinds: [mla, teleport]\n    effect: ground\n    ground: g\n    explain: e\n    when: \"true\"\n", "bad.yaml:7:18: rule x.1.kinds[1]: unknown request kind \"teleport\""},
		{"unknown field", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    colour: red\n    kinds: [mla]\n    effect: ground\n    ground: g\n    explain: e\n    when: \"true\"\n", "bad.yaml:7:5: rules[0].colour: unknown field \"colour\""},
		{"bad tag", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: Q\n    kinds: [mla]\n    effect: ground\n    ground: g\n    explain: e\n    when: \"true\"\n", "bad.yaml:6:10: rules[0].tag: unknown confidence tag \"Q\" (known: P, S, U)"},
		{"malformed yaml", "pack: p\ntype: instrument\nrules:\n  - id: [x\n", "bad.yaml:4:1: malformed YAML: did not find expected"},
		{"unknown expansion", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    kinds: [mla]\n    effect: bar\n    expand: everything\n    explain: e\n    when: \"true\"\n", "bad.yaml:9:13: rule x.1.expand: the only expansion is forbidden-grounds, not \"everything\""},
		{"expansion of a ground", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    kinds: [mla]\n    effect: ground\n    ground: g\n    expand: forbidden-grounds\n    explain: e\n    when: \"true\"\n", "rule x.1.expand: only a bar rule expands"},
		{"threshold in an instrument", "pack: p\ntype: instrument\nsubstantial_grounds: 2\nrules: []\n", "bad.yaml:3:22: substantial_grounds: only a policy pack sets the threshold"},
		{"mandatory in a policy", "pack: p\ntype: policy\nrules:\n  - id: x.1\n    effect: mandatory\n    ground: g\n    explain: e\n    when: \"true\"\n", "rule x.1.effect: a policy pack's rules must have effect invoke"},
		{"unknown duty", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    kinds: [mla]\n    effect: duty\n    duty: apologise\n    explain: e\n    when: \"true\"\n", "bad.yaml:9:11: rule x.1.duty: unknown duty \"apologise\": the workflows carry out consult, reasons"},
		{"not bool", "pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    kinds: [mla]\n    effect: ground\n    ground: g\n    explain: e\n    when: request.offence.max_penalty_years\n", "condition must be a bool"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(map[string][]byte{"bad.yaml": []byte(c.pack)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestDuplicateIDs(t *testing.T) {
	p := []byte("pack: p\ntype: instrument\nrules:\n  - id: x.1\n    article: A\n    tag: P\n    kinds: [mla]\n    effect: duty\n    duty: reasons\n    explain: e\n    when: \"true\"\n")
	_, err := Compile(map[string][]byte{"a.yaml": p, "b.yaml": []byte(strings.Replace(string(p), "pack: p", "pack: q", 1))})
	if err == nil || !strings.Contains(err.Error(), `duplicate rule ID "x.1"`) {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkScreenFullStack(b *testing.B) {
	e, err := LoadBuiltin()
	if err != nil {
		b.Fatal(err)
	}
	f := facts(mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
		r.Person.Role = "journalist"
		r.Signs = []mla.Sign{{Kind: mla.SignStatement, Source: "a minister"}, {Kind: mla.SignTiming, Source: "an election"}}
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Screen(ctx, f, "strict-safeguards"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "screenings/s")
}

var update = flag.Bool("update", false, "rewrite the generated tables of docs/legal-model.md")

// The rule tables of docs/legal-model.md are generated from the packs, so the legal model never falls
// behind them. go test ./rules -run TestLegalModelTables -update rewrites them.
func TestLegalModelTables(t *testing.T) {
	const file = "../docs/legal-model.md"
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	e := loadBuiltin(t)
	var inst, pol strings.Builder
	inst.WriteString("| Rule | Article | Tag | Kinds | Effect | Condition |\n|---|---|---|---|---|---|\n")
	for _, p := range e.instruments {
		for _, r := range p.rules {
			effect := string(r.effect)
			if s := subject(r); s != "" {
				effect += ": " + s
			}
			fmt.Fprintf(&inst, "| `%s` | %s | [%s] | %s | %s | `%s` |\n", r.ID, r.Article, r.tag, strings.Join(r.Kinds, ", "), effect, strings.Join(strings.Fields(r.When), " "))
		}
	}
	pol.WriteString("| Policy | Rule | Ground | Remedy | When |\n|---|---|---|---|---|\n")
	for _, p := range mapValues(e.policies) {
		for _, r := range p.rules {
			fmt.Fprintf(&pol, "| `%s` | `%s` | %s | %s | `%s` |\n", p.Name, r.ID, r.Ground, r.Remedy, strings.Join(strings.Fields(r.When), " "))
		}
	}
	out := string(doc)
	for _, sec := range []struct{ begin, end, body string }{
		{"<!-- instrument rules: generated by go test ./rules -run TestLegalModelTables -update -->\n", "<!-- end instrument rules -->", inst.String()},
		{"<!-- policy rules: generated by go test ./rules -run TestLegalModelTables -update -->\n", "<!-- end policy rules -->", pol.String()},
	} {
		a, b := strings.Index(out, sec.begin), strings.Index(out, sec.end)
		if a < 0 || b < a {
			t.Fatalf("%s: markers %q missing", file, sec.begin)
		}
		out = out[:a+len(sec.begin)] + sec.body + out[b:]
	}
	if *update {
		if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if out != string(doc) {
		t.Errorf("%s is out of date with the packs: run go test ./rules -run TestLegalModelTables -update", file)
	}
}

func mapValues(m map[string]*compiledPack) []*compiledPack {
	var out []*compiledPack
	for _, k := range mla.SortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

// The built-in suites pass, and together they make every built-in rule fire at least once.
func TestBuiltinSuitesPassAndCoverEveryRule(t *testing.T) {
	e := loadBuiltin(t)
	cases, err := BuiltinCases()
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]bool{}
	for _, c := range cases {
		r := e.RunCase(ctx, c)
		for _, f := range r.Failures {
			t.Errorf("%s:%d %s: %s (fired: %v)", c.File, c.Line, c.Name, f, r.Fired())
		}
		for _, id := range r.Fired() {
			fired[id] = true
		}
	}
	for _, id := range e.RuleIDs() {
		if !fired[id] {
			t.Errorf("rule %s never fires in the built-in suites", id)
		}
	}
}

func TestCaseErrorsAreLocated(t *testing.T) {
	_, err := ParseCases("t.yaml", []byte("suite: s\ncases:\n  - name: x\n    facts: {offence: {colour: red}}\n"))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:4:") || !strings.Contains(err.Error(), "colour") {
		t.Fatalf("err = %v", err)
	}
	_, err = ParseCases("t.yaml", []byte("suite: s\ncases:\n  - name: x\n    expect: {decision: grant, avilable: []}\n"))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:4") {
		t.Fatalf("err = %v", err)
	}
}

func TestOverlapsFindBarsOverGrounds(t *testing.T) {
	got := map[string]string{}
	rep := loadBuiltin(t).Overlaps(ctx, OverlapBudget)
	if len(rep.NotExhaustive) > 0 {
		t.Errorf("the built-in packs' overlap search is not exhaustive for %v", rep.NotExhaustive)
	}
	for _, o := range rep.Overlaps {
		got[o.Ground+"|"+o.Bar] = o.Witness
	}
	want := []string{
		"budapest.25.4.law-fiscal|budapest.25.4.fiscal-bar",
		"domestic.bank-secrecy|uncc.40.bank-secrecy",
	}
	if _, ok := got[want[0]]; !ok {
		t.Errorf("missing overlap %s; got %v", want[0], got)
	}
	// The domestic bank-secrecy ground (comity) and the UNCC bar never apply together: their packs
	// exclude each other by basis.
	if _, ok := got[want[1]]; ok {
		t.Errorf("reported an impossible overlap %s", want[1])
	}
	if w := got[want[0]]; !strings.Contains(w, "offence.convention_offence=true") || !strings.Contains(w, "offence.fiscal=true") {
		t.Errorf("witness %q", w)
	}
}

func TestExplainShowsSubConditions(t *testing.T) {
	e := loadBuiltin(t)
	f := Baseline()
	f.Basis = mla.BasisUNCC
	f.Offence.ConventionOffence, f.Offence.MaxPenaltyYears = false, 2
	xs, err := e.Explain(ctx, f, "strict-safeguards")
	if err != nil {
		t.Fatal(err)
	}
	var scope, bud *Explanation
	for i := range xs {
		switch xs[i].RuleID {
		case "uncc.35.1.c":
			scope = &xs[i]
		case "budapest.27.4.a":
			bud = &xs[i]
		}
	}
	if scope == nil || scope.Outcome != OutcomeFired || len(scope.Terms) != 3 || scope.Terms[0].Op != "&&" {
		t.Fatalf("uncc.35.1.c: %+v", scope)
	}
	for _, term := range scope.Terms[1:] {
		if term.Value != "true" {
			t.Errorf("term %+v did not hold", term)
		}
	}
	if bud == nil || bud.Outcome != OutcomeNotApplicable || !strings.Contains(bud.Why, `request.basis == "budapest"`) {
		t.Errorf("budapest.27.4.a: %+v", bud)
	}
}

// The non-discrimination ground rests on the signs of targeting weighed against the policy's threshold,
// and its explanation names each sign with its source, its weight and the threshold; a role adds nothing.
func TestSubstantialGroundsFromSigns(t *testing.T) {
	e := loadBuiltin(t)
	f := Baseline()
	f.Basis = mla.BasisUNCC
	f.Person.Role = mla.RoleJournalist
	f.Signs = []mla.Sign{{Kind: mla.SignStatement, Source: "Interior Minister on television, 2027-01-12"}}
	find := func(policy, id string) *Explanation {
		t.Helper()
		xs, err := e.Explain(ctx, f, policy)
		if err != nil {
			t.Fatal(err)
		}
		for i := range xs {
			if xs[i].RuleID == id {
				return &xs[i]
			}
		}
		t.Fatalf("no explanation of %s", id)
		return nil
	}
	strict := find("strict-safeguards", "uncc.40.nd")
	if strict.Outcome != OutcomeFired {
		t.Errorf("a statement (weight 2) meets the strict threshold 2: %+v", strict)
	}
	for _, want := range []string{"statement +2 (Interior Minister on television, 2027-01-12)", "threshold 2"} {
		if !strings.Contains(strict.Evidence, want) {
			t.Errorf("evidence %q does not say %q", strict.Evidence, want)
		}
	}
	if std := find("standard", "uncc.40.nd"); std.Outcome != OutcomeNotFired || !strings.Contains(std.Evidence, "is below the threshold 3") {
		t.Errorf("a statement alone is below the standard threshold 3: %+v", std)
	}
	f.Signs = nil
	if x := find("strict-safeguards", "uncc.40.nd"); x.Outcome != OutcomeNotFired {
		t.Errorf("a journalist with no sign of targeting gave the ground: %+v", x)
	}
	s, err := e.Screen(ctx, f, "strict-safeguards")
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(s.Available(), func(g mla.Finding) bool { return g.Ground == "non-discrimination" }) {
		t.Errorf("the role alone made non-discrimination available")
	}
}

func TestDiffFindsCasesThatChangeWithThePolicy(t *testing.T) {
	e := loadBuiltin(t)
	cases, err := BuiltinCases()
	if err != nil {
		t.Fatal(err)
	}
	ds := Diff(ctx, e, "permissive", e, "strict-safeguards", cases)
	var found bool
	for _, d := range ds {
		if strings.Contains(d.Case.Name, "journalist targeted for a speech offence") {
			found = true
			if d.OutcomeA != "grant" || !strings.HasPrefix(d.OutcomeB, "refuse on non-discrimination") || !slices.Contains(d.OnlyB, "policy.strict.non-discrimination") {
				t.Errorf("difference %+v", d)
			}
		}
	}
	if !found {
		t.Errorf("the journalist case does not differ between permissive and strict: %d differences", len(ds))
	}
	if same := Diff(ctx, e, "standard", e, "standard", cases); len(same) != 0 {
		t.Errorf("a policy differs from itself on %d cases", len(same))
	}
}

// Every field of the facts a condition can read is documented in docs/rule-packs.md.
func TestSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/rule-packs.md")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Anonymous {
				walk(prefix, f.Type)
				continue
			}
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "" || name == "-" {
				continue
			}
			path := prefix + "." + name
			if f.Type.Kind() == reflect.Struct {
				walk(path, f.Type)
				continue
			}
			// A State's treaty facts are documented for the requesting State, its law for the requested one.
			if strings.HasPrefix(path, "request.requesting.law.") {
				continue
			}
			if strings.HasPrefix(path, "request.requested.") && path != "request.requested.code" && !strings.HasPrefix(path, "request.requested.law.") {
				continue
			}
			if !strings.Contains(string(doc), "`"+path+"`") {
				t.Errorf("%s is not documented in docs/rule-packs.md", path)
			}
		}
	}
	walk("request", reflect.TypeOf(mla.Facts{}))
}

const hostile = `pack: hostile
type: policy
rules:
  - id: policy.hostile.1
    effect: invoke
    ground: essential-interests
    remedy: refuse
    explain: nests comprehensions until the evaluation would take hours
    when: >-
      [1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c,
      [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f,
      [1,2,3,4,5,6,7,8,9,10].all(g, a+b+c+d+e+f+g > 0)))))))
`

// A condition that would spin for hours fails its screening with an error naming the rule, once it
// passes the cost limit, and a screening stops when its context ends.
func TestHostileConditionFailsItsScreening(t *testing.T) {
	e, err := loadBuiltin(t).With(map[string][]byte{"hostile.yaml": []byte(hostile)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Screen(ctx, Baseline(), "hostile")
	if err == nil || !strings.Contains(err.Error(), "rule policy.hostile.1 (hostile.yaml:4)") || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("err = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := loadBuiltin(t).Screen(cancelled, Baseline(), "standard"); err == nil {
		t.Fatal("a cancelled screening succeeded")
	}
}

// The overlap search stops at its budget and says which pairs it could not search to the end.
func TestOverlapSearchIsBounded(t *testing.T) {
	rep := loadBuiltin(t).Overlaps(ctx, 10)
	if len(rep.NotExhaustive) == 0 || rep.Screenings > 10 {
		t.Fatalf("budget 10: %d screenings, not exhaustive %v", rep.Screenings, rep.NotExhaustive)
	}
	if full := loadBuiltin(t).Overlaps(ctx, OverlapBudget); len(full.NotExhaustive) != 0 || len(full.Overlaps) == 0 {
		t.Fatalf("full budget: %+v", full)
	}
}

func FuzzCompile(f *testing.F) {
	for _, name := range PackFiles() {
		b, err := os.ReadFile("../" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(hostile))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Compile(map[string][]byte{"fuzz.yaml": data})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		for _, p := range e.Policies() {
			if _, err := e.Screen(ctx, Baseline(), p); err != nil && !strings.Contains(err.Error(), "rule ") && !strings.Contains(err.Error(), "pack ") {
				t.Fatalf("screening error that names no rule: %v", err)
			}
		}
	})
}

func FuzzParseCases(f *testing.F) {
	files, _ := os.ReadDir("packs/tests")
	for _, d := range files {
		b, err := os.ReadFile("packs/tests/" + d.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	e, err := LoadBuiltin()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := ParseCases("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error not located in the file: %v", err)
			}
			return
		}
		for _, c := range cases {
			e.RunCase(ctx, c)
		}
	})
}

// sourcedUNCCParagraphs are the UNCC paragraph numbers a source gives (docs/legal-model.md, and the
// corrections of the project's legal reference): no citation may name another.
var sourcedUNCCParagraphs = []string{"35(1)(c)", "40(8)", "40(22)", "42(3)", "65(1)"}

// No rule, and no citation written in the code, carries a UNCC paragraph number it cannot source: the
// UNCC's Art 40 is not numbered like UNTOC Art 18, so a paragraph borrowed from the template is cited as
// "paragraph unconfirmed".
func TestNoUnsourcedUNCCParagraph(t *testing.T) {
	para := regexp.MustCompile(`UNCC Arts? (\d+\([^)]*\)(?:\([^)]*\))*)`)
	check := func(where, text string) {
		for _, m := range para.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(sourcedUNCCParagraphs, m[1]) {
				t.Errorf("%s cites UNCC Art %s, a paragraph no source gives", where, m[1])
			}
		}
	}
	for _, dir := range []string{"../mla", "../workflows", "../activities", "../scenarios/library", "packs", "packs/tests"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err == nil {
				check(f, string(b))
			}
		}
	}
}

// Screening without the rules tagged [U] leaves exactly those out: a refusal that rested on one can no
// longer be made, and the rules of other tags still fire.
func TestScreenWithoutUnconfirmedRules(t *testing.T) {
	e := loadBuiltin(t)
	ctx := context.Background()
	f := facts(mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
		r.Affects = []mla.Interest{mla.InterestSecurity}
		r.Offence.CriminalInRequested = false
	})
	all, err := e.Screen(ctx, f, "standard")
	if err != nil {
		t.Fatal(err)
	}
	without, err := e.ScreenWithout(ctx, f, "standard", []mla.Tag{mla.TagUnconfirmed})
	if err != nil {
		t.Fatal(err)
	}
	tags := func(s mla.Screening) map[mla.Tag]int {
		out := map[mla.Tag]int{}
		for _, x := range s.Findings {
			out[x.Tag]++
		}
		return out
	}
	if tags(all)[mla.TagUnconfirmed] == 0 {
		t.Fatalf("the facts fire no [U] rule: %v", all.Findings)
	}
	if n := tags(without)[mla.TagUnconfirmed]; n != 0 || tags(without)[mla.TagSecondary] != tags(all)[mla.TagSecondary] {
		t.Errorf("without [U]: %v; all: %v", tags(without), tags(all))
	}
	has := func(s mla.Screening, ground string) bool {
		for _, a := range s.Available() {
			if a.Ground == ground {
				return true
			}
		}
		return false
	}
	if !has(all, "essential-interests") || has(without, "essential-interests") || !has(without, "dual-criminality") {
		t.Errorf("available grounds: all %v, without [U] %v", all.Available(), without.Available())
	}
}

// Screenings running at once, as a worker's activities do, share no state: each gives what it gives
// alone, though the engine reuses its scratch space across screenings.
func TestConcurrentScreeningsAreIndependent(t *testing.T) {
	e := loadBuiltin(t)
	cases := []mla.Facts{
		facts(mla.BasisUNCC, mla.KindStoredData, nil),
		facts(mla.BasisBudapest, mla.KindInterception, func(r *mla.Request) { r.Offence.CriminalInRequested = false }),
		facts(mla.BasisUNCC, mla.KindStoredData, func(r *mla.Request) {
			r.Person.Role = "journalist"
			r.Signs = []mla.Sign{{Kind: mla.SignStatement, Source: "a minister"}, {Kind: mla.SignTiming, Source: "an election"}}
		}),
	}
	want := make([]string, len(cases))
	for i, f := range cases {
		s, err := e.Screen(ctx, f, "strict-safeguards")
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Findings) == 0 || slices.ContainsFunc(s.Findings, func(f mla.Finding) bool { return f.RuleID == "" }) {
			t.Fatalf("case %d: findings %+v", i, s.Findings)
		}
		b, _ := json.Marshal(s)
		want[i] = string(b)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				i := (g + j) % len(cases)
				s, err := e.Screen(ctx, cases[i], "strict-safeguards")
				if err != nil {
					t.Error(err)
					return
				}
				if b, _ := json.Marshal(s); string(b) != want[i] {
					t.Errorf("case %d screened differently at once with others:\n%s\nalone:\n%s", i, b, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}
