package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
)

// directOrder is an order of the requesting Party's competent authority straight to a service provider
// in the requested State, for subscriber information (CETS 224 Art 7 [S]), or its request straight to an
// entity providing domain name registration services there, for the information that identifies or
// contacts a domain's registrant (CETS 224 Art 6 [U]). No authority of the provider's State registers,
// screens or decides it: the provider or registrar answers itself. Without a legal basis (the Protocol
// does not bind both States, the provider's State reserved Art 7, the data is not what the article
// covers) nothing is sent, and the request ends NoLegalBasis with the reason.
func (w *requestRun) directOrder(ctx workflow.Context) (mla.Outcome, error) {
	r := w.req
	d := art7Order
	if r.Kind == mla.KindDomainName {
		d = art6Request
		workflow.GetVersion(ctx, changeDomainName, workflow.DefaultVersion, 1)
	} else {
		workflow.GetVersion(ctx, changeDirectOrder, workflow.DefaultVersion, 1)
	}
	if w.in.Basis.Basis != mla.BasisSecondProtocol {
		w.record(ctx, "drafting", mla.StatusDrafted, mla.ActorRequestingCA, r.From,
			fmt.Sprintf("%s drafts %s to %s in %s for %s data: %s", r.From, d.what, r.Provider.Label(), r.To, r.DataOr("unstated"), r.Title))
		return w.noLegalBasis(ctx), nil
	}
	w.record(ctx, "drafting", mla.StatusDrafted, mla.ActorRequestingCA, r.From,
		fmt.Sprintf("the competent authority of %s drafts %s to %s in %s %s (%s): %s",
			r.From, d.what, r.Provider.Label(), r.To, d.seeks, mla.KindArticles[r.Kind], r.Title), w.in.Basis.Citations...)
	if err := w.sleep(ctx, w.vary("order", w.timings.Order)); err != nil {
		return mla.Outcome{}, err
	}
	receipt, err := w.transport(ctx, activities.TransmitInput{RequestID: r.ID, From: r.From, To: r.Provider.Label() + " in " + r.To, Channel: mla.ChannelProvider, Kind: r.Kind, What: d.sent})
	if err != nil {
		return mla.Outcome{}, err
	}
	w.record(ctx, "transmission", mla.StatusSubmitted, mla.ActorRequestingCA, r.From, "the "+d.sent+" is issued: "+receipt.Text, w.in.Basis.Citations...)
	if err := w.sleep(ctx, w.vary("order/send", w.timings.Send)); err != nil {
		return mla.Outcome{}, err
	}
	if err := w.sleep(ctx, w.vary("provider", w.timings.Provider)); err != nil {
		return mla.Outcome{}, err
	}
	if err := w.waitOutage(ctx); err != nil {
		return mla.Outcome{}, err
	}
	if !w.dataHeld(ctx) {
		w.record(ctx, "execution", mla.StatusEvidenceLost, mla.ActorProvider, r.To,
			fmt.Sprintf("%s no longer holds the data: its retention of %s since the conduct has run out", r.Provider.Label(), r.Provider.Retention))
		w.result.EvidenceLost = true
		return w.finish(ctx, mla.StatusEvidenceLost), nil
	}
	out, err := w.order(ctx, activities.OrderInput{RequestID: r.ID, Kind: r.Kind, DataKind: r.DataKind, Provider: r.Provider, Seed: w.in.Seed})
	w.result.ProviderAttempts = out.Attempt
	if err != nil {
		if temporal.IsCanceledError(err) || !errors.Is(err, errProviderFailed) {
			return mla.Outcome{}, err
		}
		w.record(ctx, "execution", mla.StatusFailed, mla.ActorProvider, r.To,
			fmt.Sprintf("%s does not disclose the data after %d attempts; %s", r.Provider.Label(), out.Attempt, d.otherwise(r)), slices.Clone(d.otherCite)...)
		return w.finish(ctx, mla.StatusFailed), nil
	}
	w.result.Evidence = out.Evidence
	w.record(ctx, "execution", mla.StatusExecuting, mla.ActorProvider, r.To, out.Evidence+" and discloses it to "+r.From+" directly")
	w.record(ctx, "closure", mla.StatusCompleted, mla.ActorRequestingCA, r.From,
		fmt.Sprintf("%s receives the %s; no authority of %s screened the %s", r.From, d.received, r.To, d.sent))
	return w.finish(ctx, mla.StatusCompleted), nil
}

// directKind is what the timeline of a request straight to a provider or registrar says of it.
type directKind struct {
	what, seeks, sent, received string
	// otherwise is what the requesting State may do when no answer comes; otherCite cites it.
	otherwise func(r mla.Request) string
	otherCite []mla.Citation
}

var (
	art7Order = directKind{what: "an order", seeks: "to disclose subscriber information", sent: "order", received: "subscriber information",
		otherwise: func(r mla.Request) string {
			return fmt.Sprintf("%s may ask %s to give effect to the order (CETS 224 Art 8 [S]) or request mutual assistance", r.From, r.To)
		},
		otherCite: []mla.Citation{{RuleID: "cets224.8", Article: "CETS 224 Art 8", Tag: mla.TagSecondary}}}
	art6Request = directKind{what: "a request", seeks: "for the information that identifies or contacts the registrant of a domain name",
		sent: "request", received: "domain name registration information",
		otherwise: func(r mla.Request) string {
			return fmt.Sprintf("the registrar decides for itself whether to disclose; %s may request mutual assistance from %s", r.From, r.To)
		}}
)

// directAccess is a requesting Party's access to data stored in the requested State without its
// authorisation (Budapest Art 32 [P]): publicly available data (a), or data disclosed with the lawful and
// voluntary consent of the person who has the lawful authority to disclose it, received through a
// computer system in the requesting Party's territory (b). No one in the requested State is asked. Without
// a legal basis the access does not happen, and the request ends NoLegalBasis with the reason.
func (w *requestRun) directAccess(ctx workflow.Context) (mla.Outcome, error) {
	r := w.req
	workflow.GetVersion(ctx, changeDirectAccess, workflow.DefaultVersion, 1)
	what := "publicly available (open source) data"
	if r.Access == mla.AccessConsent {
		what = "data disclosed with the consent of the person who has the lawful authority to disclose it"
	}
	w.record(ctx, "drafting", mla.StatusDrafted, mla.ActorRequestingCA, r.From,
		fmt.Sprintf("%s seeks to obtain, without the authorisation of %s, %s: %s", r.From, r.To, what, r.Title), w.in.Basis.Citations...)
	if w.in.Basis.Basis == mla.BasisNone {
		return w.noLegalBasis(ctx), nil
	}
	if err := w.sleep(ctx, w.vary("order", w.timings.Order)); err != nil {
		return mla.Outcome{}, err
	}
	text := fmt.Sprintf("%s accesses the publicly available data stored in %s", r.From, r.To)
	if r.Access == mla.AccessConsent {
		text = fmt.Sprintf("%s obtains the lawful and voluntary consent of the person who has the lawful authority to disclose the data, and receives the data stored in %s through a computer system in its territory", r.From, r.To)
	}
	w.result.Evidence = text
	w.record(ctx, "execution", mla.StatusExecuting, mla.ActorRequestingCA, r.From, text, w.in.Basis.Citations...)
	w.record(ctx, "closure", mla.StatusCompleted, mla.ActorRequestingCA, r.From,
		fmt.Sprintf("%s has the data; %s was not asked, and screened nothing", r.From, r.To))
	return w.finish(ctx, mla.StatusCompleted), nil
}

// noLegalBasis closes a request that no instrument allows between the two States, with the reasons
// basis selection gave.
func (w *requestRun) noLegalBasis(ctx workflow.Context) mla.Outcome {
	w.record(ctx, "closure", mla.StatusNoLegalBasis, mla.ActorRequestingCA, w.req.From, strings.Join(w.in.Basis.Reasons, "; "), w.in.Basis.Citations...)
	return w.finish(ctx, mla.StatusNoLegalBasis)
}
