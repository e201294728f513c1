package activities_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
)

func newActivities(t *testing.T) *activities.Activities {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	return activities.New(e)
}

func TestScreenFindsGroundsWithCitations(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	a := newActivities(t)
	env.RegisterActivity(a)
	facts := mla.Facts{Case: mla.Case{Kind: mla.KindStoredData, Offence: mla.Offence{CriminalInRequested: false, MaxPenaltyYears: 5},
		Person: mla.Person{Role: "journalist"}, Omitted: []string{}, Signs: []mla.Sign{{Kind: mla.SignInterpolFinding, Source: "INTERPOL deleted a red notice, 2026"}}},
		Basis: mla.BasisUNCC, Coercive: true,
		Missing: []string{}, Requesting: mla.StateFacts{Record: "none", Reservations: []string{}}, Requested: mla.StateFacts{Reservations: []string{}}}
	v, err := env.ExecuteActivity(a.Screen, activities.ScreenInput{Facts: facts, Policy: "strict-safeguards"})
	if err != nil {
		t.Fatal(err)
	}
	var s mla.Screening
	if err := v.Get(&s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range s.Available() {
		got = append(got, f.RuleID)
	}
	if strings.Join(got, ",") != "uncc.40.nd,uncc.40.dual-criminality" {
		t.Fatalf("available rules %v", got)
	}
}

func TestScreenWithScenarioPackAndBadPolicy(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	a := newActivities(t)
	env.RegisterActivity(a)
	pack := []byte(`pack: never-refuse
type: policy
rules:
  - id: policy.never.none
    effect: invoke
    ground: essential-interests
    remedy: conditions
    when: "false"
    explain: never invokes anything
`)
	facts := mla.Facts{Case: mla.Case{Kind: mla.KindMLA, Omitted: []string{}}, Basis: mla.BasisBudapest, Missing: []string{},
		Requesting: mla.StateFacts{Reservations: []string{}}, Requested: mla.StateFacts{Reservations: []string{}}}
	if _, err := env.ExecuteActivity(a.Screen, activities.ScreenInput{Facts: facts, Policy: "never-refuse", Packs: map[string][]byte{"my.yaml": pack}}); err != nil {
		t.Fatalf("scenario pack: %v", err)
	}
	_, err := env.ExecuteActivity(a.Screen, activities.ScreenInput{Facts: facts, Policy: "no-such-policy"})
	var appErr *temporal.ApplicationError
	if err == nil || !strings.Contains(err.Error(), `unknown policy "no-such-policy"`) {
		t.Fatalf("err = %v", err)
	}
	if !errors.As(err, &appErr) || !appErr.NonRetryable() {
		t.Errorf("an unknown policy must not be retried: %v", err)
	}
}

func TestExecuteOrderFailsAsTheSeedSays(t *testing.T) {
	a := newActivities(t)
	in := activities.OrderInput{RequestID: "r", Kind: mla.KindStoredData, Provider: mla.Provider{Name: "P", FailureRate: 0.5}, Seed: 1}
	// The first attempt of r1..r6 with seed 1 at a failure rate of one half, as mla.Chance draws them.
	want := []bool{false, false, true, true, true, true}
	for i, wantFail := range want {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivity(a)
		// The test environment always runs attempt 1, so vary the request ID instead of the attempt.
		in.RequestID = fmt.Sprintf("r%d", i+1)
		_, err := env.ExecuteActivity(a.ExecuteOrder, in)
		if (err != nil) != wantFail {
			t.Errorf("%s: err = %v, want failure %v", in.RequestID, err, wantFail)
		}
		if err != nil && !strings.Contains(err.Error(), "P did not answer") {
			t.Errorf("error %v does not name the provider", err)
		}
	}
}

func TestTransmitReceiptIsDeterministic(t *testing.T) {
	a := newActivities(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	in := activities.TransmitInput{RequestID: "r1", From: "NL", To: "US", Channel: mla.ChannelNetwork247, What: "request"}
	v, err := env.ExecuteActivity(a.Transmit, in)
	if err != nil {
		t.Fatal(err)
	}
	var r activities.Receipt
	if err := v.Get(&r); err != nil {
		t.Fatal(err)
	}
	if r.Reference != "24/7-network:request:NL>US:r1" {
		t.Errorf("reference %q", r.Reference)
	}
	if _, err := env.ExecuteActivity(a.Transmit, activities.TransmitInput{RequestID: "r1"}); err == nil {
		t.Error("a transmission without sender was accepted")
	}
}
