package train

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// The decide form's boxes for further measures become the update's measures, numbered as the workflow
// numbers them (1 is the first further measure, shown as "Measure 2"); a refused or partly granted measure
// needs its grounds and the decision's reasons; a box left to follow the first sends nothing.
func TestDecideFormReadsEachMeasure(t *testing.T) {
	seat := &Seat{Role: mla.ActorRequestedCA, State: "XB"}
	form := url.Values{"kind": {"grant"}, "measure-1": {"refuse"}, "measure-1-ground": {"dual-criminality"}, "measure-2": {""},
		"measure-3": {"grant"}, "measure-3-ground": {"dual-criminality"}, "reasons": {"no dual criminality for the content"}}
	arg, summary, bad := parseDecision(form, seat)
	if bad != nil {
		t.Fatal(bad)
	}
	u := arg.(workflows.DecisionUpdate)
	if len(u.Measures) != 2 || u.Measures[0].Measure != 1 || u.Measures[0].Kind != mla.DecisionRefuse || strings.Join(u.Measures[0].Grounds, ",") != "dual-criminality" ||
		u.Measures[1].Measure != 3 || u.Measures[1].Kind != mla.DecisionGrant || u.Measures[1].Grounds != nil {
		t.Fatalf("measures %+v", u.Measures)
	}
	if !strings.Contains(summary, "measure 2: refuse on dual-criminality") || !strings.Contains(summary, "measure 4: grant") {
		t.Errorf("summary %q", summary)
	}
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"kind": {"grant"}, "measure-1": {"refuse"}, "reasons": {"r"}}, "Measure 2: a decision to refuse must name at least one ground"},
		{url.Values{"kind": {"grant"}, "measure-1": {"partial"}, "measure-1-ground": {"dual-criminality"}}, "Give the reasons for the decision to partial measure 2"},
		{url.Values{"kind": {"grant"}, "measure-2": {"maybe"}}, "Measure 3:"},
	} {
		if _, _, bad := parseDecision(c.form, seat); bad == nil || !strings.Contains(bad.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.form, bad, c.want)
		}
	}
}
