package workflows_test

import (
	"strings"
	"testing"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// directInput is a direct order from AA to a provider in ZZ, with both States as mutate leaves them, and
// the basis chosen for it.
func directInput(t *testing.T, mutate func(in *workflows.RequestInput)) workflows.RequestInput {
	t.Helper()
	in := input(t, "standard", func(r *mla.Request) {
		r.Kind, r.DataKind, r.Channel = mla.KindDirectOrder, "subscriber", mla.ChannelProvider
		r.Provider = mla.Provider{Name: "Mailbox Ltd"}
	})
	in.Requesting.Budapest, in.Requested.Budapest = mla.Yes, mla.Yes
	in.Requesting.SecondProtocol, in.Requested.SecondProtocol = true, true
	if mutate != nil {
		mutate(&in)
	}
	choice, err := mla.SelectBasis(in.Request.Case, in.Requesting, in.Requested, start, mla.World{}, "")
	if err != nil {
		t.Fatal(err)
	}
	in.Basis = choice
	return in
}

// Between two States bound by the Second Additional Protocol, a direct order reaches the provider, which
// discloses the subscriber information to the requesting State: no authority of its own State registers,
// screens or decides the order.
func TestADirectOrderGoesStraightToTheProvider(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, directInput(t, nil))
	res := result(t, env)
	if res.Status != mla.StatusCompleted || res.Basis != mla.BasisSecondProtocol {
		t.Fatalf("status %s basis %s, timeline %v", res.Status, res.Basis, res.Timeline)
	}
	if !hasEvent(res, "drafting", "the competent authority of AA drafts an order to Mailbox Ltd in ZZ to disclose subscriber information") ||
		!hasEvent(res, "closure", "no authority of ZZ screened the order") {
		t.Errorf("timeline %v", res.Timeline)
	}
	for _, e := range res.Timeline {
		if e.Stage == "registration" || e.Stage == "screening" || e.Status == mla.StatusRegistered {
			t.Errorf("a direct order was %s by ZZ: %v", e.Stage, e)
		}
	}
}

// Without a legal basis the order is never issued, and the request ends NoLegalBasis with the reason:
// the Protocol does not bind the provider's State, it reserved Art 7, or the data is not subscriber
// information.
func TestADirectOrderWithoutALegalBasisIsNeverIssued(t *testing.T) {
	for name, c := range map[string]struct {
		mutate func(*workflows.RequestInput)
		why    string
	}{
		"not bound":    {func(in *workflows.RequestInput) { in.Requested.SecondProtocol = false }, "the Second Additional Protocol does not bind both AA and ZZ"},
		"reservation":  {func(in *workflows.RequestInput) { in.Requested.Reservations = []string{mla.ReservationArt7} }, "ZZ has reserved the right not to apply Art 7"},
		"traffic data": {func(in *workflows.RequestInput) { in.Request.DataKind = "traffic" }, "covers subscriber information only, not traffic data"},
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			env.ExecuteWorkflow(workflows.RequestWorkflow, directInput(t, c.mutate))
			res := result(t, env)
			if res.Status != mla.StatusNoLegalBasis || res.Basis != mla.BasisNone || !hasEvent(res, "closure", c.why) {
				t.Errorf("status %s basis %s, timeline %v", res.Status, res.Basis, res.Timeline)
			}
			if res.ProviderAttempts != 0 || hasEvent(res, "transmission", "the order is issued") {
				t.Errorf("an order without a legal basis reached the provider: %v", res.Timeline)
			}
		})
	}
}

// A provider that does not disclose leaves the requesting State the Art 8 route or mutual assistance.
func TestADirectOrderTheProviderDoesNotAnswer(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, directInput(t, func(in *workflows.RequestInput) {
		in.Request.Provider.FailureRate, in.Request.Provider.MaxAttempts = 1, 2
	}))
	res := result(t, env)
	if res.Status != mla.StatusFailed || res.ProviderAttempts != 2 || !hasEvent(res, "execution", "give effect to the order (CETS 224 Art 8 [S])") {
		t.Errorf("status %s attempts %d, timeline %v", res.Status, res.ProviderAttempts, res.Timeline)
	}
	var cites []string
	for _, e := range res.Timeline {
		for _, c := range e.Citations {
			cites = append(cites, c.RuleID)
		}
	}
	if !strings.Contains(strings.Join(cites, " "), "cets224.7") {
		t.Errorf("no Art 7 citation in %v", cites)
	}
}

// A Party accesses open-source data, or data disclosed with the consent of the person with the lawful
// authority to disclose it, without asking the State where it is stored (Budapest Art 32); where the
// Convention does not allow it, the access does not happen.
func TestAccessWithoutAuthorisation(t *testing.T) {
	for _, c := range []struct {
		name   string
		access mla.Access
		party  bool // the State where the data is stored is a Party
		want   mla.Status
		text   string
	}{
		{"open source, anywhere", mla.AccessOpenSource, false, mla.StatusCompleted, "AA accesses the publicly available data stored in ZZ"},
		{"consent, between Parties", mla.AccessConsent, true, mla.StatusCompleted, "obtains the lawful and voluntary consent of the person who has the lawful authority"},
		{"consent, data in a non-Party", mla.AccessConsent, false, mla.StatusNoLegalBasis, "Art 32(b) of the Budapest Convention applies to data located in another Party"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			in := input(t, "standard", func(r *mla.Request) {
				r.Kind, r.Access, r.Channel = mla.KindDirectAccess, c.access, mla.ChannelOwnSystem
			})
			in.Requesting.Budapest, in.Requested.Budapest = mla.Yes, mla.No
			if c.party {
				in.Requested.Budapest = mla.Yes
			}
			choice, err := mla.SelectBasis(in.Request.Case, in.Requesting, in.Requested, start, mla.World{}, "")
			if err != nil {
				t.Fatal(err)
			}
			in.Basis = choice
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			res := result(t, env)
			if res.Status != c.want || !strings.Contains(fmtTimeline(res), c.text) {
				t.Errorf("status %s, want %s; timeline %v", res.Status, c.want, res.Timeline)
			}
			for _, e := range res.Timeline {
				if e.State == "ZZ" && e.Actor != mla.ActorSystem {
					t.Errorf("ZZ took a step: %+v", e)
				}
			}
		})
	}
}

func fmtTimeline(res mla.Outcome) string {
	var b strings.Builder
	for _, e := range res.Timeline {
		b.WriteString(e.Text + "\n")
	}
	return b.String()
}

// An order the requesting Party sends to be given effect (CETS 224 Art 8) is registered, screened under
// the requested Party's law and served on the provider, and the timeline measures service and production
// against the Article's time limits [U]; a requested Party that reserved Art 8 has no legal basis to.
func TestAnOrderGivenEffectIsMeasuredAgainstArticle8sLimits(t *testing.T) {
	for _, c := range []struct {
		name     string
		latency  float64 // the provider's, in legal days
		reserved bool
		want     mla.Status
		text     string
	}{
		{"in time", 0, false, mla.StatusCompleted, "the subscriber data"}, // default latency

		{"a slow provider", 30, false, mla.StatusCompleted, "beyond the limit of 20d"},
		{"Art 8 reserved", 0, true, mla.StatusNoLegalBasis, "ZZ has reserved the right not to apply Art 8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			in := directInput(t, func(in *workflows.RequestInput) {
				in.Request.Kind, in.Request.Channel = mla.KindProductionOrder, mla.ChannelCentralAuthority
				if c.latency > 0 {
					in.Request.Provider.Latency = mla.Duration(c.latency * float64(mla.Day))
				}
				if c.reserved {
					in.Requested.Reservations = []string{mla.ReservationArt8}
				}
			})
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			res := result(t, env)
			text := fmtTimeline(res)
			if res.Status != c.want || !strings.Contains(text, c.text) {
				t.Fatalf("status %s, want %s; timeline:\n%s", res.Status, c.want, text)
			}
			if c.reserved {
				return
			}
			if !strings.Contains(text, "ZZ serves the order") || !strings.Contains(text, "after receiving it, within the limit of 45d") ||
				!strings.Contains(text, "Mailbox Ltd produces the subscriber data") || !hasEvent(res, "registration", "ZZ registers the request") {
				t.Errorf("timeline:\n%s", text)
			}
			if c.latency == 0 && strings.Contains(text, "beyond the limit") {
				t.Errorf("a provider of default latency breached a limit:\n%s", text)
			}
		})
	}
}

// A request straight to a domain name registrar (CETS 224 Art 6 [U]) reaches the registrar, which
// discloses the registrant's information itself; where the Protocol does not bind both States, or the
// data is not registration information, nothing is sent. Every step cites the article with its number
// marked unconfirmed.
func TestARequestStraightToADomainNameRegistrar(t *testing.T) {
	registrar := func(mutate func(*workflows.RequestInput)) func(*workflows.RequestInput) {
		return func(in *workflows.RequestInput) {
			in.Request.Kind, in.Request.DataKind = mla.KindDomainName, "registration"
			in.Request.Provider = mla.Provider{Name: "Names Ltd"}
			if mutate != nil {
				mutate(in)
			}
		}
	}
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, directInput(t, registrar(nil)))
	res := result(t, env)
	if res.Status != mla.StatusCompleted || res.Basis != mla.BasisSecondProtocol ||
		!hasEvent(res, "drafting", "drafts a request to Names Ltd in ZZ for the information that identifies or contacts the registrant of a domain name") ||
		!hasEvent(res, "execution", "Names Ltd found the information that identifies or contacts the domain's registrant and discloses it to AA directly") ||
		!hasEvent(res, "closure", "receives the domain name registration information; no authority of ZZ screened the request") {
		t.Fatalf("status %s basis %s, timeline %v", res.Status, res.Basis, res.Timeline)
	}
	cited := false
	for _, e := range res.Timeline {
		for _, c := range e.Citations {
			if c.RuleID == "cets224.6" && c.Tag == mla.TagUnconfirmed && strings.Contains(c.Article, "number unconfirmed") {
				cited = true
			}
		}
		if e.Stage == "screening" || e.Status == mla.StatusRegistered {
			t.Errorf("a request to a registrar was %s by ZZ: %v", e.Stage, e)
		}
	}
	if !cited {
		t.Errorf("no citation of Art 6 tagged [U]: %v", res.Timeline)
	}
	for name, c := range map[string]struct {
		mutate func(*workflows.RequestInput)
		why    string
	}{
		"not bound":       {func(in *workflows.RequestInput) { in.Requested.SecondProtocol = false }, "the Second Additional Protocol does not bind both AA and ZZ"},
		"subscriber data": {func(in *workflows.RequestInput) { in.Request.DataKind = "subscriber" }, "covers domain name registration information only, not subscriber data"},
		"an Art 7 reservation does not reach Art 6": {func(in *workflows.RequestInput) { in.Requested.Reservations = []string{mla.ReservationArt7} }, ""},
	} {
		t.Run(name, func(t *testing.T) {
			env := newEnv(t)
			env.ExecuteWorkflow(workflows.RequestWorkflow, directInput(t, registrar(c.mutate)))
			res := result(t, env)
			if c.why == "" {
				if res.Status != mla.StatusCompleted {
					t.Errorf("status %s, timeline %v", res.Status, res.Timeline)
				}
				return
			}
			if res.Status != mla.StatusNoLegalBasis || !hasEvent(res, "closure", c.why) || res.ProviderAttempts != 0 {
				t.Errorf("status %s attempts %d, timeline %v", res.Status, res.ProviderAttempts, res.Timeline)
			}
		})
	}
}
