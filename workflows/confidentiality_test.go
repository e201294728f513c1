package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

func unconfidential(r *mla.Request) {
	r.Confidential, r.CannotKeepConfidential = true, true
}

// Told that the requested State cannot keep its request confidential, a requesting State whose script
// says so withdraws the request before anything is executed; by default it has it executed nevertheless.
// Each step cites the duty it follows.
func TestRequesterDecidesWithoutConfidentiality(t *testing.T) {
	no := false
	for _, c := range []struct {
		name    string
		proceed *bool
		status  mla.Status
		line    string
	}{
		{"withdraws", &no, mla.StatusWithdrawn, "does not want the request executed without its confidentiality and withdraws it"},
		{"proceeds by default", nil, mla.StatusCompleted, "wants the request executed nevertheless"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
				unconfidential(r)
				r.ProceedsIfNotConfidential = c.proceed
			}))
			res := result(t, env)
			if res.Status != c.status || !hasEvent(res, "confidentiality", "cannot keep the request confidential") || !hasEvent(res, "confidentiality", c.line) {
				t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
			}
			for _, e := range res.Timeline {
				if e.Stage == "confidentiality" && (len(e.Citations) == 0 || e.Citations[0].RuleID != "uncc.40.confidentiality" || e.Citations[0].Tag != mla.TagUnconfirmed) {
					t.Errorf("%q cites %+v", e.Text, e.Citations)
				}
				if c.status == mla.StatusWithdrawn && e.Stage == "execution" {
					t.Errorf("a withdrawn request was executed: %q", e.Text)
				}
			}
		})
	}
}

// A person playing the requesting central authority takes the choice through an update: only while the
// request waits for it, once.
func TestRequesterChoosesThroughAnUpdate(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		unconfidential(r)
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestingCA: mla.ModeManual}
	})
	var early, choice *updateCallbacks
	env.RegisterDelayedCallback(func() {
		early = sendUpdate(env, workflows.UpdateRespondConfidentiality, workflows.ConfidentialityAnswer{Proceed: true})
	}, time.Millisecond)
	whenWaiting(t, env, workflows.UpdateRespondConfidentiality, 1, 60, nil, func() {
		choice = sendUpdate(env, workflows.UpdateRespondConfidentiality, workflows.ConfidentialityAnswer{Proceed: false, Note: "the suspect must not learn of it"})
	})
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if early == nil || early.rejected == nil || !strings.Contains(early.rejected.Error(), "not waiting") {
		t.Errorf("a choice before the notice: %+v", early)
	}
	if choice == nil || choice.rejected != nil {
		t.Fatalf("the choice was not taken: %+v", choice)
	}
	if res.Status != mla.StatusWithdrawn || !hasEvent(res, "confidentiality", "withdraws it: the suspect must not learn of it") {
		t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
	}
}

// A preservation whose confidentiality cannot be kept (Budapest Art 29(6)) is withdrawn when the
// requesting State does not want it executed, before the provider is asked.
func TestPreservationRequesterDecides(t *testing.T) {
	no := false
	env := newEnv(t)
	in := preservationInput(t, func(r *mla.Request) {
		unconfidential(r)
		r.ProceedsIfNotConfidential = &no
	})
	// Between Parties to Budapest only: its Art 29(6) is the confidentiality duty the packs model for a
	// preservation.
	budapestOnly(t, &in)
	env.ExecuteWorkflow(workflows.PreservationWorkflow, in)
	res := result(t, env)
	if res.Status != mla.StatusWithdrawn || !hasEvent(res, "confidentiality", "withdraws it") || hasEvent(res, "preservation", "") || in.Basis.Basis != "budapest" {
		t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
	}
}

// budapestOnly makes an input's States Parties to the Budapest Convention only, and selects the basis.
func budapestOnly(t *testing.T, in *workflows.RequestInput) {
	t.Helper()
	in.Requesting.Budapest, in.Requested.Budapest, in.Requesting.UNCC, in.Requested.UNCC = mla.Yes, mla.Yes, mla.UNCCNone, mla.UNCCNone
	choice, err := mla.SelectBasis(in.Request.Case, in.Requesting, in.Requested, start, mla.World{}, "")
	if err != nil {
		t.Fatal(err)
	}
	in.Basis = choice
}

// Spontaneous information the receiving State cannot keep confidential: it says so, and the sending
// State decides whether to provide it nevertheless (Budapest Art 26(2) [P]).
func TestSenderOfSpontaneousInformationDecides(t *testing.T) {
	no := false
	for _, c := range []struct {
		name    string
		provide *bool
		status  mla.Status
		line    string
	}{
		{"provides by default", nil, mla.StatusReceived, "which AA provided knowing it cannot be kept confidential"},
		{"withdraws", &no, mla.StatusWithdrawn, "AA does not want the information provided without its confidentiality and withdraws it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			in := input(t, "standard", func(r *mla.Request) {
				r.Kind, r.Channel = mla.KindSpontaneous, mla.ChannelCentralAuthority
				unconfidential(r)
				r.ProceedsIfNotConfidential = c.provide
			})
			budapestOnly(t, &in)
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			res := result(t, env)
			if res.Status != c.status || !hasEvent(res, "confidentiality", "ZZ cannot keep the information confidential as AA asked") {
				t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
			}
			found := false
			for _, e := range res.Timeline {
				if strings.Contains(e.Text, c.line) {
					found = len(e.Citations) > 0 && e.Citations[0].RuleID == "budapest.26.2.notify"
				}
			}
			if !found {
				t.Errorf("no line %q citing budapest.26.2.notify: %+v", c.line, res.Timeline)
			}
		})
	}
}

// A requesting State that never says whether its request should go ahead without confidentiality did not
// withdraw it: the request lapses unexecuted, and its last line says so with that status.
func TestUnansweredConfidentialityNoticeLapses(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", func(r *mla.Request) {
		unconfidential(r)
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestingCA: mla.ModeManual}
		r.DecisionTimeout = mla.Duration(10 * mla.Day)
	})
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	last := res.Timeline[len(res.Timeline)-1]
	if res.Status != mla.StatusLapsed || last.Status != mla.StatusLapsed || !strings.Contains(last.Text, "did not say whether it should go ahead") ||
		!hasEvent(res, "confidentiality", "no answer from AA within 10d") {
		t.Fatalf("status %s; last %+v", res.Status, last)
	}
}
