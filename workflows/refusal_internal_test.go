package workflows

import (
	"strings"
	"testing"

	"github.com/mlasim/mlasim/mla"
)

// A refusal warns when it rests on a rule of unconfirmed source, and only then.
func TestRefusalTextFlagsUnconfirmedRules(t *testing.T) {
	unconfirmed := mla.Decision{Grounds: []string{"essential-interests"}, Reasons: "r",
		Citations: []mla.Citation{{RuleID: "uncc.40.essential-interests", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(21)(b))", Tag: mla.TagUnconfirmed}}}
	sourced := mla.Decision{Grounds: []string{"non-discrimination"}, Reasons: "r",
		Citations: []mla.Citation{{RuleID: "uncc.40.nd", Article: "UNCC Art 40(22)", Tag: mla.TagSecondary}}}
	if !strings.Contains(refusalText("PT", unconfirmed), "rests on a rule tagged [U]") {
		t.Errorf("no warning: %s", refusalText("PT", unconfirmed))
	}
	if strings.Contains(refusalText("PT", sourced), "[U]") {
		t.Errorf("warning on an [S] rule: %s", refusalText("PT", sourced))
	}
}
