package mla

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDurationsReadAndWriteThemselves(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		text string
	}{
		{"60d", 60 * Day, "60d"},
		{"2w", 14 * Day, "14d"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"1.5d", 36 * time.Hour, "1d12h"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"0.000000001s", time.Nanosecond, "0.000000001s"},
		{"3d4h5m6.25s", 3*Day + 4*time.Hour + 5*time.Minute + 6250*time.Millisecond, "3d4h5m6.25s"},
	} {
		d, err := ParseDuration(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if d.D() != c.want {
			t.Errorf("%s = %v, want %v", c.in, d.D(), c.want)
		}
		if d.String() != c.text {
			t.Errorf("%s prints as %q, want %q", c.in, d.String(), c.text)
		}
	}
	for _, bad := range []string{"", "60", "d", "-1d", "5y", "1..5d", "106000d106000d106000d", "36501d", "99999999999999999999w", "0.0000000001s"} {
		if d, err := ParseDuration(bad); err == nil {
			t.Errorf("%q parsed as %v", bad, d)
		}
	}
}

func TestDurationJSONReadsLegalUnitsAndNanoseconds(t *testing.T) {
	var v struct{ A, B Duration }
	if err := json.Unmarshal([]byte(`{"A": "60d", "B": 3600000000000}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.D() != 60*Day || v.B.D() != time.Hour {
		t.Fatalf("got %v, %v", v.A, v.B)
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"A":"60d","B":"1h"}` {
		t.Fatalf("wrote %s", b)
	}
}

func FuzzDurationRoundTrip(f *testing.F) {
	for _, s := range []string{"60d", "1d12h", "0.5s", "7h30m", "1w2d3h4m5.000000006s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 || d > MaxDuration {
			t.Fatalf("%q gives %d, outside 0..MaxDuration", s, d)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q = %d prints %q which reads back as %d (%v)", s, d, d.String(), back, err)
		}
	})
}

func TestDatesAndSharesAreRangeChecked(t *testing.T) {
	if _, err := ParseDate("9999-12-31"); err == nil {
		t.Error("9999-12-31 accepted")
	}
	if d, err := ParseDate("2027-03-01"); err != nil || d.String() != "2027-03-01" {
		t.Errorf("2027-03-01: %v %v", d, err)
	}
	var s Share
	for _, bad := range []string{"NaN", "Inf", "-0.1", "1.5", "x"} {
		if err := s.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("share %q accepted", bad)
		}
	}
	var w Weight
	for _, bad := range []string{"NaN", "+Inf", "-1"} {
		if err := w.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("weight %q accepted", bad)
		}
	}
	if err := json.Unmarshal([]byte("0.25"), &s); err != nil || math.Abs(float64(s)-0.25) > 0 {
		t.Errorf("share 0.25: %v %v", s, err)
	}
}

func TestEnumsNameTheKnownValues(t *testing.T) {
	var k RequestKind
	err := k.UnmarshalText([]byte("stored-dta"))
	if err == nil || !strings.Contains(err.Error(), "stored-data") {
		t.Fatalf("got %v", err)
	}
	var r Role
	if err := r.UnmarshalText([]byte("journalst")); err == nil || !strings.Contains(err.Error(), "journalist") {
		t.Fatalf("got %v", err)
	}
	if err := k.UnmarshalText(nil); err != nil || k != "" {
		t.Fatalf("empty kind: %v %q", err, k)
	}
}

func TestPatchChangesOnlyWhatItSets(t *testing.T) {
	yes, three := true, 3
	c := Case{Kind: KindStoredData, Offence: Offence{Name: "fraud", MaxPenaltyYears: 8}, Omitted: []string{"facts"}}
	omitted := []string{}
	got := CasePatch{Offence: &OffencePatch{MaxPenaltyYears: &three, Violent: &yes}, Omitted: &omitted}.Apply(c)
	if got.Offence.Name != "fraud" || got.Offence.MaxPenaltyYears != 3 || !got.Offence.Violent || len(got.Omitted) != 0 || got.Kind != KindStoredData {
		t.Fatalf("got %+v", got)
	}
	if c.Offence.MaxPenaltyYears != 8 || len(c.Omitted) != 1 {
		t.Fatalf("the original changed: %+v", c)
	}
	kind := KindPreservation
	f := FactsPatch{Kind: &kind}.Apply(Facts{Case: c, Coercive: true})
	if f.Coercive || f.Kind != KindPreservation {
		t.Fatalf("kind patch: %+v", f)
	}
}

// Whether an offence is political and whether essential interests are at stake are derived from facts;
// a scenario that writes the conclusion is told which facts to write.
func TestConclusionsAreDerivedFromFacts(t *testing.T) {
	for _, c := range []struct {
		o    Offence
		want bool
	}{
		{Offence{Category: "sedition"}, true},
		{Offence{Category: "illegal-access", Motive: MotivePolitical}, true},
		{Offence{Category: "illegal-access", Motive: MotivePolitical, Violent: true}, false},
		{Offence{Category: "terrorism", Motive: MotivePolitical}, false},
		{Offence{Category: "speech"}, false},
		{Offence{Category: "fraud", Motive: MotiveFinancial}, false},
	} {
		if got := c.o.IsPolitical(); got != c.want {
			t.Errorf("%+v: political %v, want %v", c.o, got, c.want)
		}
	}
	c := Case{Affects: []Interest{InterestDeathPenalty}}
	c.Derive()
	if !c.EssentialInterests || c.Offence.Political {
		t.Errorf("derived %+v", c)
	}
	r := Request{ID: "a", Title: "A", From: "AA", To: "ZZ", Case: Case{Kind: KindMLA}}
	r.Offence.Political, r.EssentialInterests = true, true
	ps := r.Validate().Error()
	for _, want := range []string{"offence.political: whether an offence is political is derived from its facts", "essential_interests: essential interests are derived from the interests execution affects: write affects: [national-security"} {
		if !strings.Contains(ps, want) {
			t.Errorf("problems %q lack %q", ps, want)
		}
	}
}

// A ground the requested State's law makes mandatory cannot be set aside by a person's decision.
func TestRequiredGroundRejectsAGrant(t *testing.T) {
	s := Screening{Findings: []Finding{{RuleID: "budapest.25.4.law-sources", Article: "Budapest Art 25(4)", Tag: TagPrimary, Effect: EffectGround, Ground: "journalistic-sources", Required: true}}}
	err := ValidateDecision(Decision{Kind: DecisionGrant}, s)
	if err == nil || !strings.Contains(err.Error(), `the request must be refused: ground "journalistic-sources" is required by`) {
		t.Fatalf("grant despite a required ground: %v", err)
	}
	if err := ValidateDecision(Decision{Kind: DecisionRefuse, Grounds: []string{"journalistic-sources"}}, s); err != nil {
		t.Fatalf("refusal on the required ground rejected: %v", err)
	}
}

// What a workflow input carries of a State keeps every fact the rules see: a fact dropped by Compact
// would silently never fire.
func TestCompactStateKeepsEveryFact(t *testing.T) {
	s := State{Code: "XA", Name: "Arcadia", UNCC: UNCCRatified, Budapest: Yes, SecondProtocol: true, Reservations: []string{"budapest.29.4"},
		Record: RecordDocumented, Law: Law{Permits: []string{"essential-interests"}, Knows: []string{"mla"}, MinPenalty: map[string]int{"interception": 4},
			ProtectsSources: true, Source: "a statute"}, PoCOutsideMLAAuthority: true}
	full, compact := s.FactsOf(), s.Compact().FactsOf()
	if !reflect.DeepEqual(full, compact) {
		t.Fatalf("Compact drops facts:\n full    %+v\n compact %+v", full, compact)
	}
	v := reflect.ValueOf(full)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Errorf("the test leaves StateFacts.%s unset: set it so Compact is checked for it", v.Type().Field(i).Name)
		}
	}
}
