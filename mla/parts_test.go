package mla

import (
	"strings"
	"testing"
)

func partsOf(d Decision) string {
	var b strings.Builder
	for _, p := range d.Parts {
		b.WriteString(p.Measure.String())
		switch {
		case !p.Granted:
			b.WriteString(" refused on " + strings.Join(p.Grounds, "+"))
		case p.NonCoercive:
			b.WriteString(" non-coercive on " + strings.Join(p.Grounds, "+"))
		default:
			b.WriteString(" granted")
		}
		b.WriteString("; ")
	}
	return b.String()
}

// A request for stored data and an interception: the requested State's law allows no interception for
// this offence, so that measure is refused whatever the decision, and the rest is granted.
func TestDecidePartsRefusesAMeasureTheLawBars(t *testing.T) {
	measures := []Measure{{Kind: KindStoredData, DataKind: "subscriber"}, {Kind: KindInterception, DataKind: "content"}}
	law := Finding{RuleID: "budapest.25.4.law-measure", Article: "Budapest Art 25(4)", Tag: TagPrimary, Effect: EffectMandatory, Ground: "measure-unavailable", Required: true}
	lawGround := law
	lawGround.Effect = EffectGround
	screenings := []Screening{{}, {Findings: []Finding{lawGround}}}
	d := DecideParts(Decision{Kind: DecisionGrant, By: ActorRequestedCA, Mode: ModeAutomatic}, measures, screenings)
	if d.Kind != DecisionPartial || partsOf(d) != "stored-data (subscriber) granted; interception (content) refused on measure-unavailable; " {
		t.Fatalf("%s: %s", d.Kind, partsOf(d))
	}
	if len(d.Citations) != 1 || d.Citations[0].RuleID != "budapest.25.4.law-measure" || len(d.Granted()) != 1 {
		t.Errorf("citations %+v granted %+v", d.Citations, d.Granted())
	}
	// A person's grant cannot carry the barred measure either.
	d = DecideParts(Decision{Kind: DecisionGrant, By: ActorRequestedCA, Mode: ModeManual}, measures, screenings)
	if d.Kind != DecisionPartial {
		t.Errorf("a person's grant: %s %s", d.Kind, partsOf(d))
	}
}

// A person's refusal applies to each measure for which its ground is available too; a measure without
// that ground is granted, so the request is granted partially. When every measure is refused, so is the
// request.
func TestDecidePartsFollowsAPersonsGrounds(t *testing.T) {
	nd := Finding{RuleID: "uncc.40.nd", Article: "UNCC Art 40(22)", Tag: TagSecondary, Effect: EffectGround, Ground: "non-discrimination"}
	dc := Finding{RuleID: "uncc.40.dc", Article: "UNCC Art 40(8)", Tag: TagSecondary, Effect: EffectGround, Ground: "dual-criminality"}
	measures := []Measure{{Kind: KindStoredData, DataKind: "content"}, {Kind: KindStoredData, DataKind: "subscriber"}, {Kind: KindRealTime, DataKind: "traffic"}}
	refuse := Decision{Kind: DecisionRefuse, Grounds: []string{"non-discrimination"}, Citations: []Citation{nd.Citation()}, By: ActorRequestedCA, Mode: ModeManual}
	d := DecideParts(refuse, measures, []Screening{{Findings: []Finding{nd}}, {Findings: []Finding{nd}}, {Findings: []Finding{dc}}})
	if d.Kind != DecisionPartial || partsOf(d) != "stored-data (content) refused on non-discrimination; stored-data (subscriber) refused on non-discrimination; real-time (traffic) granted; " {
		t.Fatalf("%s: %s", d.Kind, partsOf(d))
	}
	d = DecideParts(refuse, measures, []Screening{{Findings: []Finding{nd}}, {Findings: []Finding{nd}}, {Findings: []Finding{nd}}})
	if d.Kind != DecisionRefuse || strings.Join(d.Grounds, ",") != "non-discrimination" || len(d.Granted()) != 0 {
		t.Fatalf("every measure refused: %s %v %s", d.Kind, d.Grounds, partsOf(d))
	}
}

func TestMeasuresValidate(t *testing.T) {
	c := Case{Kind: KindStoredData, DataKind: "content", Measures: []Measure{{Kind: KindStoredData, DataKind: "content"}, {Kind: KindPreservation}, {}}}
	ps := c.validateMeasures().Error()
	for _, want := range []string{"measures[0]: the request already seeks stored-data (content)", `measures[1].kind: a measure is one of mla, stored-data, real-time, interception, not "preservation"`, "measures[2].kind: missing kind"} {
		if !strings.Contains(ps, want) {
			t.Errorf("problems %q lack %q", ps, want)
		}
	}
	if ps := (Case{Kind: KindPreservation, Measures: []Measure{{Kind: KindStoredData}}}).validateMeasures().Error(); !strings.Contains(ps, "a preservation request seeks one measure") {
		t.Errorf("preservation with measures: %q", ps)
	}
}

// A person decides each further measure: a choice overrides the decision on the first measure, within
// what the measure's screening allows; a measure without a choice follows the first; a measure the law
// bars is refused whatever the choice.
func TestDecidePartsTakesAPersonsChoicePerMeasure(t *testing.T) {
	dc := Finding{RuleID: "uncc.40.dc", Article: "UNCC Art 40(8)", Tag: TagSecondary, Effect: EffectGround, Ground: "dual-criminality"}
	law := Finding{RuleID: "budapest.25.4.law-measure", Article: "Budapest Art 25(4)", Tag: TagPrimary, Effect: EffectGround, Ground: "measure-unavailable", Required: true}
	measures := []Measure{{Kind: KindStoredData, DataKind: "subscriber"}, {Kind: KindStoredData, DataKind: "content"},
		{Kind: KindRealTime, DataKind: "traffic"}, {Kind: KindInterception, DataKind: "content"}}
	screenings := []Screening{{Findings: []Finding{dc}}, {Findings: []Finding{dc}}, {Findings: []Finding{dc}}, {Findings: []Finding{law}}}
	grant := Decision{Kind: DecisionGrant, By: ActorRequestedCA, Mode: ModeManual, Choices: []PartChoice{
		{Measure: 1, Kind: DecisionRefuse, Grounds: []string{"dual-criminality"}},
		{Measure: 3, Kind: DecisionGrant},
	}}
	if err := ValidateChoices(grant.Choices, screenings); err != nil {
		t.Fatal(err)
	}
	d := DecideParts(grant, measures, screenings)
	want := "stored-data (subscriber) granted; stored-data (content) refused on dual-criminality; real-time (traffic) granted; interception (content) refused on measure-unavailable; "
	if d.Kind != DecisionPartial || partsOf(d) != want {
		t.Fatalf("%s: %s\nwant %s", d.Kind, partsOf(d), want)
	}
	// The policy's automatic decision takes no choice.
	auto := grant
	auto.Mode = ModeAutomatic
	if d := DecideParts(auto, measures, screenings); partsOf(d) == want {
		t.Errorf("an automatic decision took a person's choices: %s", partsOf(d))
	}
	for _, bad := range []struct {
		choices []PartChoice
		want    string
	}{
		{[]PartChoice{{Measure: 4, Kind: DecisionGrant}}, "the request's further measures are 1 to 3"},
		{[]PartChoice{{Measure: 0, Kind: DecisionGrant}}, "the request's further measures are 1 to 3"},
		{[]PartChoice{{Measure: 1, Kind: DecisionGrant}, {Measure: 1, Kind: DecisionGrant}}, "measure 1 is decided twice"},
		{[]PartChoice{{Measure: 1, Kind: DecisionRefuse}}, "name the grounds a refuse rests on"},
		{[]PartChoice{{Measure: 3, Kind: DecisionRefuse, Grounds: []string{"dual-criminality"}}}, "dual-criminality is not a ground available for it"},
		{[]PartChoice{{Measure: 2, Kind: DecisionPostpone}}, "not \"postpone\""},
		{[]PartChoice{{Measure: 2, Kind: DecisionGrant, Grounds: []string{"dual-criminality"}}}, "a grant rests on no ground"},
	} {
		if err := ValidateChoices(bad.choices, screenings); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want %q", bad.choices, err, bad.want)
		}
	}
}
