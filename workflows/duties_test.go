package workflows_test

import (
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// Executing a request that needs extraordinary expenses waits for the States to agree its terms (UNCC as
// UNTOC 18(28) [U]): agreed, it is executed; not agreed, it is not, and the request lapses. Each step
// cites the rule.
func TestExtraordinaryCostsAreAgreedFirst(t *testing.T) {
	no := false
	for _, c := range []struct {
		name   string
		agrees *bool
		status mla.Status
		stage  string
		line   string
	}{
		{"agreed by default", nil, mla.StatusCompleted, "consultation", "AA agrees the terms and how the extraordinary costs are borne"},
		{"not agreed", &no, mla.StatusLapsed, "closure", "no terms agreed for the extraordinary costs: ZZ does not execute the request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
				r.ExtraordinaryCosts = true
				r.BearsCosts = c.agrees
			}))
			res := result(t, env)
			if res.Status != c.status || !hasEvent(res, "consultation", "consults AA on the terms under which it will be executed") || !hasEvent(res, c.stage, c.line) {
				t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
			}
			executed := hasEvent(res, "execution", "")
			if executed != (c.status == mla.StatusCompleted) {
				t.Errorf("executed: %v with status %s", executed, res.Status)
			}
			for _, e := range res.Timeline {
				if e.Stage == "consultation" && e.Actor != mla.ActorSystem && (len(e.Citations) == 0 || e.Citations[0].RuleID != "uncc.40.costs") {
					t.Errorf("%q cites %+v", e.Text, e.Citations)
				}
			}
		})
	}
}

// A 24/7 point of contact that is not part of the authority for mutual assistance coordinates with it
// before it decides (Budapest Art 35(2)(b)), in hours of legal time.
func TestPointOfContactCoordinatesWithTheMLAAuthority(t *testing.T) {
	env := newEnv(t)
	in := preservationInput(t, nil)
	in.Requested.PoCOutsideMLAAuthority = true
	budapestOnly(t, &in)
	env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
	res := result(t, env)
	var coord, screened *mla.Event
	for i, e := range res.Timeline {
		if e.Stage == "coordination" {
			coord = &res.Timeline[i]
		}
		if e.Stage == "screening" && screened == nil {
			screened = &res.Timeline[i]
		}
	}
	if coord == nil || len(coord.Citations) == 0 || coord.Citations[0].Article != "Budapest Art 35(2)(b)" || coord.Citations[0].Tag != mla.TagPrimary {
		t.Fatalf("no coordination citing Budapest Art 35(2)(b) [P]: %+v", res.Timeline)
	}
	if d := coord.At.Sub(screened.At); d <= 0 || d > 4*time.Hour {
		t.Errorf("coordination took %s of legal time", d)
	}
	if res.Status != mla.StatusEvidenceLost {
		t.Errorf("status %s", res.Status)
	}
}

// An urgent request sent directly to a judicial authority that is not competent to deal with it is
// referred to the central authority, and the requesting State is told (Budapest Art 27(9)(c) [P]); then
// it is handled as any other.
// A State that declared urgent judicial requests go to its central authority has its judge pass such a
// request on, and the requesting State is told (Budapest Art 27(9)(e)).
func TestAJudicialRequestGoesToTheCentralAuthorityADeclarationNames(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) { r.Channel = mla.ChannelJudicial })
	budapestOnly(t, &in)
	in.Requested.Reservations = []string{"budapest.27.9.e"}
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if res.Status != mla.StatusCompleted || !hasEvent(res, "registration", "is bound by its State's declaration that such requests go to the central authority: it refers the request to the central authority of ZZ") {
		t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
	}
}

func TestAMisdirectedRequestIsReferred(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		r.Channel, r.Misdirected = mla.ChannelJudicial, true
	})
	budapestOnly(t, &in)
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if res.Status != mla.StatusCompleted || !hasEvent(res, "registration", "is not competent to deal with it: it refers the request to the central authority of ZZ and tells AA directly") ||
		!hasEvent(res, "transmission", "notice of referral delivered to AA") || !hasEvent(res, "registration", "the central authority of ZZ takes over the request") {
		t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
	}
	for _, e := range res.Timeline {
		if e.Stage == "transmission" && e.Status == mla.StatusSubmitted && (len(e.Citations) == 0 || e.Citations[0].Article != "Budapest Art 27(9)(a)") {
			t.Errorf("the direct judicial channel cites %+v", e.Citations)
		}
	}
}
