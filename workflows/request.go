package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
)

// RequestWorkflow is the lifecycle of one request for electronic evidence (general MLA, stored data,
// traffic data, real-time collection, interception, emergency, spontaneous information): drafting,
// transmission, registration and screening by the requested State, additional information,
// consultation, decision, postponement, execution through a service provider, evidence transfer and
// closure. The requesting State may withdraw it at any stage.
func RequestWorkflow(ctx workflow.Context, in RequestInput) (mla.Outcome, error) {
	w := &requestRun{lifecycle: newLifecycle(ctx, in)}
	runCtx, err := w.setup(ctx)
	if err != nil {
		return mla.Outcome{}, err
	}
	res, err := w.run(runCtx)
	if cctx, withdrawn := w.closing(ctx, err); withdrawn {
		res = w.finish(cctx, mla.StatusWithdrawn)
		w.notifyPreservation(cctx, res.Status)
		return res, nil
	}
	if err == nil {
		w.notifyPreservation(ctx, res.Status)
	} else {
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		w.notifyPreservation(dctx, mla.StatusFailed)
	}
	return res, err
}

type requestRun struct {
	*lifecycle
	// preservationLinked is set once the preservation knows of this follow-up; notified once told the end.
	preservationLinked bool
	notified           bool
}

func (w *requestRun) run(ctx workflow.Context) (mla.Outcome, error) {
	switch w.req.Kind {
	case mla.KindDirectOrder, mla.KindDomainName:
		return w.directOrder(ctx)
	case mla.KindDirectAccess:
		return w.directAccess(ctx)
	case mla.KindProductionOrder:
		if w.in.Basis.Basis == mla.BasisNone {
			w.record(ctx, "drafting", mla.StatusDrafted, mla.ActorRequestingCA, w.req.From,
				fmt.Sprintf("%s drafts an order for %s to give effect to: %s", w.req.From, w.req.To, w.req.Title))
			return w.noLegalBasis(ctx), nil
		}
	}
	if err := w.send(ctx); err != nil {
		return mla.Outcome{}, err
	}
	if w.req.Kind == mla.KindSpontaneous {
		return w.receiveSpontaneous(ctx)
	}
	decider := w.req.Decider() // the 24/7 point of contact for an emergency or over the 24/7 network
	preserved, err := w.register(ctx, decider)
	if err != nil {
		return mla.Outcome{}, err
	}
	// cur is the request as it stands: its missing contents answered, its postponement over.
	cur := w.req
	s, complete, err := w.screenComplete(ctx, &cur, decider)
	if err != nil || !complete {
		if err == nil {
			return w.closeUnanswered(ctx, s)
		}
		return mla.Outcome{}, err
	}
	if proceed, err := w.noteDuties(ctx, s, decider); err != nil || !proceed {
		if err == nil {
			return w.notGoingAhead(ctx), nil
		}
		return mla.Outcome{}, err
	}
	if err := w.screenForPerson(ctx, cur, decider); err != nil {
		return mla.Outcome{}, err
	}
	d, s, err := w.decideRounds(ctx, &cur, s, decider)
	if err != nil {
		return mla.Outcome{}, err
	}
	return w.conclude(ctx, cur, d, s, preserved)
}

// send drafts the request and transmits it to the requested State.
func (w *requestRun) send(ctx workflow.Context) error {
	r := w.req
	drafter := mla.ActorRequestingCA
	if r.Channel == mla.ChannelNetwork247 {
		drafter = mla.ActorPoC247
	}
	w.record(ctx, "drafting", mla.StatusDrafted, drafter, r.From,
		r.From+" drafts a request ("+string(r.Kind)+"; "+mla.KindArticles[r.Kind]+") to "+r.To+" under "+string(w.in.Basis.Basis)+": "+r.Title,
		w.in.Basis.Citations...)
	if w.in.Basis.Fallback != "" && workflow.GetVersion(ctx, changeBasisFallback, workflow.DefaultVersion, 1) == 1 {
		w.record(ctx, "drafting", "", mla.ActorSystem, r.To, w.in.Basis.Fallback, w.in.Basis.Citations...)
	}
	if line, cites := w.in.Basis.TreatyLine(r.From, r.To); line != "" && workflow.GetVersion(ctx, changeTreatyTerms, workflow.DefaultVersion, 1) == 1 {
		w.record(ctx, "drafting", "", mla.ActorSystem, r.To, line, cites...)
	}
	if missing := r.Missing(w.in.Requested, w.in.Basis.Basis); len(missing) > 0 {
		cites := make([]mla.Citation, len(missing))
		for i, m := range missing {
			cites[i] = m.Citation
		}
		w.record(ctx, "drafting", "", mla.ActorRequestingCA, r.From, "the request leaves out required contents: "+missingText(r, w.in.Requested, w.in.Basis.Basis), cites...)
	}
	return w.transmit(ctx, "request", r.From, r.To, true)
}

// register logs the request in the requested State, links it to the preservation it follows up, and
// queues it behind the central authority's backlog. It reports whether the data is preserved for it.
func (w *requestRun) register(ctx workflow.Context, decider mla.Actor) (bool, error) {
	r := w.req
	if err := w.sleep(ctx, w.vary("register", w.timings.Register)); err != nil {
		return false, err
	}
	w.record(ctx, "registration", mla.StatusRegistered, decider, r.To, r.To+" registers the request")
	w.received = w.now(ctx)
	link := w.linkPreservation
	if w.version >= 1 {
		link = w.linkPreservationV1
	}
	preserved, err := link(ctx)
	if err != nil {
		return false, err
	}
	if r.Backlog > 0 {
		w.record(ctx, "registration", "", decider, r.To, fmt.Sprintf("the request waits %s in the backlog of %s's central authority (%d requests ahead)",
			r.Backlog, r.To, r.BacklogAhead))
		if err := w.sleep(ctx, r.Backlog.D()); err != nil {
			return false, err
		}
	}
	return preserved, nil
}

// screenComplete screens the request and, when contents are missing, asks for them and screens again. It
// reports whether the request is complete (false: the answer never came).
func (w *requestRun) screenComplete(ctx workflow.Context, cur *mla.Request, decider mla.Actor) (mla.Screening, bool, error) {
	s, err := w.screen(ctx, *cur, decider)
	if err != nil || !s.Has(mla.EffectCompleteness) {
		return s, true, err
	}
	answered, err := w.askInformation(ctx, s, decider)
	if err != nil || !answered {
		return s, false, err
	}
	if workflow.GetVersion(ctx, changeFormAndLanguage, workflow.DefaultVersion, 1) == 1 {
		*cur = cur.Supplied(w.in.Requested)
	} else {
		cur.Omitted = nil
	}
	s, err = w.screen(ctx, *cur, decider)
	return s, true, err
}

// noteDuties records the duties the screening found that shape the handling, and policy choices that an
// instrument bars. It reports whether the request goes on: told that its confidentiality cannot be kept,
// the requesting State may not want it executed.
func (w *requestRun) noteDuties(ctx workflow.Context, s mla.Screening, decider mla.Actor) (bool, error) {
	r := w.req
	for f := range s.Each(mla.EffectDuty) {
		if f.Duty == "inform" {
			if proceed, err := w.informed(ctx, f, decider); err != nil || !proceed {
				return proceed, err
			}
		}
		if f.Duty == "refer" {
			if err := w.refer(ctx, f); err != nil {
				return false, err
			}
		}
		if f.Duty == "coordinate" {
			if err := w.coordinate(ctx, f); err != nil {
				return false, err
			}
		}
		if f.Duty == "expedite" {
			w.record(ctx, "screening", "", decider, r.To, "expedited handling: "+f.Explain, f.Citation())
		}
		if f.Duty == "inform-delay" && w.delayDuty == nil && workflow.GetVersion(ctx, changeDelayNotice, workflow.DefaultVersion, 1) == 1 {
			w.delayDuty = &f
			if left, ok := w.delayDue(); ok && left <= 0 {
				if err := w.noticeDelay(ctx); err != nil {
					return false, err
				}
			}
		}
	}
	for f := range s.IgnoredInvocations() {
		if b := barFor(s, f.Ground); b != nil {
			w.record(ctx, "screening", "", decider, r.To,
				fmt.Sprintf("its policy would invoke %s, but %s bars it: %s", f.Ground, b.Citation(), b.Explain), b.Citation())
		}
	}
	return true, nil
}

// screenForPerson screens each further measure before a person decides the request, so that the person
// can decide the measures one by one, each on the grounds available for it.
func (w *requestRun) screenForPerson(ctx workflow.Context, cur mla.Request, decider mla.Actor) error {
	parts := cur.Parts()
	if len(parts) < 2 || w.req.ModeOf(decider) != mla.ModeManual || workflow.GetVersion(ctx, changeMeasuresByPerson, workflow.DefaultVersion, 1) != 1 {
		return nil
	}
	for i, m := range parts[1:] {
		s, err := w.screenMeasure(ctx, cur, m, decider)
		if err != nil {
			return err
		}
		w.measures = append(w.measures, MeasureScreening{Measure: i + 1, Label: m.String(), Screening: s})
	}
	return nil
}

// decideRounds takes the decision, consulting first where a duty requires it; a postponement waits out
// its period and the request is screened and decided again.
func (w *requestRun) decideRounds(ctx workflow.Context, cur *mla.Request, s mla.Screening, decider mla.Actor) (mla.Decision, mla.Screening, error) {
	r := w.req
	for round := 0; ; round++ {
		p := mla.Propose(s, mla.Duration(w.timings.Postponement))
		d, err := w.decide(ctx, decider, p)
		if err != nil {
			return d, s, err
		}
		needsConsult := s.HasDuty("consult") && (d.Kind == mla.DecisionRefuse || d.Kind == mla.DecisionPostpone || d.Kind == mla.DecisionGrantConditions)
		if needsConsult {
			curable := d.Kind != mla.DecisionRefuse || (d.Mode == mla.ModeAutomatic && p.Curable)
			if d, err = w.consult(ctx, d, curable, s); err != nil {
				return d, s, err
			}
		}
		if d.Kind != mla.DecisionPostpone || round >= 2 {
			return d, s, nil
		}
		w.record(ctx, "postponement", mla.StatusPostponed, decider, r.To,
			fmt.Sprintf("%s postpones execution for %s: %s", r.To, d.PostponeFor, d.Reasons), d.Citations...)
		w.publishGrounds(ctx, d.Grounds)
		if err := w.sleep(ctx, d.PostponeFor.D()); err != nil {
			return d, s, err
		}
		cur.OngoingInvestigation = false
		w.record(ctx, "postponement", "", decider, r.To, fmt.Sprintf("%s resumes the request: its own proceedings no longer stand in the way", r.To))
		if s, err = w.screen(ctx, *cur, decider); err != nil {
			return d, s, err
		}
		if len(w.measures) > 0 { // the person decides the further measures again, on fresh screenings
			w.measures = nil
			if err := w.screenForPerson(ctx, *cur, decider); err != nil {
				return d, s, err
			}
		}
	}
}

// conclude records the decision and ends with the refusal and its reasons, or executes the request.
func (w *requestRun) conclude(ctx workflow.Context, cur mla.Request, d mla.Decision, s mla.Screening, preserved bool) (mla.Outcome, error) {
	r := w.req
	if len(r.Measures) > 0 && workflow.GetVersion(ctx, changeMeasures, workflow.DefaultVersion, 1) == 1 {
		var err error
		if d, err = w.decideMeasures(ctx, cur, d, s); err != nil {
			return mla.Outcome{}, err
		}
	}
	w.result.Decision = &d
	if len(d.Grounds) > 0 {
		w.result.Grounds = d.Citations
	}
	w.publishGrounds(ctx, d.Grounds)
	if d.Kind == mla.DecisionRefuse {
		w.record(ctx, "decision", mla.StatusRefused, d.By, r.To, refusalText(r.To, d), append(d.Citations, dutyCitations(s, "reasons")...)...)
		if err := w.transmit(ctx, "refusal with reasons", r.To, r.From, false); err != nil {
			return mla.Outcome{}, err
		}
		return w.finish(ctx, mla.StatusRefused), nil
	}
	w.record(ctx, "decision", "", d.By, r.To, grantText(r.To, d), d.Citations...)
	if f, ok := dutyFinding(s, "consult-costs"); ok {
		agreed, err := w.consultCosts(ctx, f)
		if err != nil {
			return mla.Outcome{}, err
		}
		if !agreed {
			w.record(ctx, "closure", mla.StatusLapsed, mla.ActorRequestedCA, r.To,
				fmt.Sprintf("no terms agreed for the extraordinary costs: %s does not execute the request", r.To), f.Citation())
			return w.finish(ctx, mla.StatusLapsed), nil
		}
	}
	return w.execute(ctx, d, preserved)
}

// decideMeasures screens each further measure the request seeks and extends the decision d, taken on
// its first measure, to all of them (mla.DecideParts); the timeline gives the decision on each.
func (w *requestRun) decideMeasures(ctx workflow.Context, cur mla.Request, d mla.Decision, first mla.Screening) (mla.Decision, error) {
	r := w.req
	measures := r.Parts()
	screenings := []mla.Screening{first}
	for i, m := range measures[1:] {
		if i < len(w.measures) { // screened for the person who decided, who decided on these
			screenings = append(screenings, w.measures[i].Screening)
			continue
		}
		s, err := w.screenMeasure(ctx, cur, m, d.By)
		if err != nil {
			return d, err
		}
		screenings = append(screenings, s)
	}
	d = mla.DecideParts(d, measures, screenings)
	for _, p := range d.Parts {
		text := fmt.Sprintf("%s grants the measure %s", r.To, p.Measure)
		switch {
		case !p.Granted:
			text = fmt.Sprintf("%s refuses the measure %s on %s", r.To, p.Measure, strings.Join(p.Grounds, ", "))
		case p.NonCoercive:
			text = fmt.Sprintf("%s grants the measure %s without coercive measures, on %s", r.To, p.Measure, strings.Join(p.Grounds, ", "))
		}
		w.record(ctx, "decision", "", d.By, r.To, text, p.Citations...)
	}
	return d, nil
}

// execute has the order issued and served on the provider, then transfers the evidence.
func (w *requestRun) execute(ctx workflow.Context, d mla.Decision, preserved bool) (mla.Outcome, error) {
	r := w.req
	if err := w.sleep(ctx, w.vary("order", w.timings.Order)); err != nil {
		return mla.Outcome{}, err
	}
	w.record(ctx, "execution", mla.StatusExecuting, mla.ActorJudge, r.To, "a judge or prosecutor of "+r.To+" issues the order to "+r.Provider.Label())
	served := w.now(ctx)
	limits := w.productionLimits(ctx, served)
	if err := w.sleep(ctx, w.vary("provider", w.timings.Provider)); err != nil {
		return mla.Outcome{}, err
	}
	if err := w.waitOutage(ctx); err != nil {
		return mla.Outcome{}, err
	}
	if !preserved && !w.dataHeld(ctx) {
		w.record(ctx, "execution", mla.StatusEvidenceLost, mla.ActorProvider, r.To,
			fmt.Sprintf("%s no longer holds the data: its retention of %s since the conduct has run out and no preservation kept it", r.Provider.Label(), r.Provider.Retention),
			mla.Citation{RuleID: "budapest.29.7", Article: "Budapest Art 29(7) (what preservation would have prevented)", Tag: mla.TagPrimary})
		w.result.EvidenceLost = true
		return w.finish(ctx, mla.StatusEvidenceLost), nil
	}
	nonCoercive := d.NonCoercive()
	order := activities.OrderInput{RequestID: r.ID, Kind: r.Kind, DataKind: r.DataKind, Provider: r.Provider, Seed: w.in.Seed, NonCoercive: nonCoercive, Parts: d.Granted()}
	var out activities.OrderResult
	var err error
	if workflow.GetVersion(ctx, changeProviderAttempts, workflow.DefaultVersion, 1) == 1 {
		out, err = w.order(ctx, order)
		w.result.ProviderAttempts = out.Attempt
	} else {
		err = workflow.ExecuteActivity(w.providerCtx(ctx), a.ExecuteOrder, order).Get(ctx, &out)
		w.result.ProviderAttempts = w.attempts(out, err)
	}
	if err != nil {
		if temporal.IsCanceledError(err) || !errors.Is(err, errProviderFailed) {
			return mla.Outcome{}, err
		}
		w.record(ctx, "execution", mla.StatusFailed, mla.ActorRequestedCA, r.To,
			fmt.Sprintf("execution impossible: %s failed %d times; %s informs %s", r.Provider.Label(), w.result.ProviderAttempts, r.To, r.From),
			mla.Citation{RuleID: "budapest.27.7", Article: "Budapest Art 27(7)", Tag: mla.TagPrimary})
		return w.finish(ctx, mla.StatusFailed), nil
	}
	text := out.Evidence
	if out.Attempt > 1 {
		text += fmt.Sprintf(" (after %d attempts)", out.Attempt)
	}
	w.record(ctx, "execution", "", mla.ActorProvider, r.To, text)
	if limits != nil {
		limits(ctx)
	}
	w.result.Evidence = out.Evidence
	w.record(ctx, "evidence transfer", mla.StatusTransferring, mla.ActorRequestedCA, r.To, fmt.Sprintf("%s sends the evidence to %s", r.To, r.From), conditionCitations(d)...)
	if err := w.transmit(ctx, "evidence", r.To, r.From, false); err != nil {
		return mla.Outcome{}, err
	}
	final := mla.StatusCompleted
	if nonCoercive || d.Kind == mla.DecisionPartial {
		final = mla.StatusPartial
	}
	closing := fmt.Sprintf("%s receives the evidence; the request is closed", r.From)
	if r.Deadline > 0 {
		took := w.now(ctx).Sub(w.in.Clock.Start)
		if took <= r.Deadline.D() {
			closing += fmt.Sprintf(" %s after sending, within its %s deadline", mla.FormatLegalDuration(took), r.Deadline)
		} else {
			closing += fmt.Sprintf(" %s after sending, past its %s deadline", mla.FormatLegalDuration(took), r.Deadline)
		}
	}
	w.record(ctx, "closure", final, mla.ActorRequestingCA, r.From, closing)
	return w.finish(ctx, final), nil
}

func (w *requestRun) providerCtx(ctx workflow.Context) workflow.Context {
	attempts := w.req.Provider.Attempts()
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: w.in.Clock.Wall(6 * time.Hour), BackoffCoefficient: 2,
			MaximumInterval: w.in.Clock.Wall(4 * mla.Day), MaximumAttempts: int32(attempts)},
	})
}

// errProviderFailed says the simulated provider failed every attempt it was allowed.
var errProviderFailed = errors.New("the provider failed every attempt")

// order has the provider execute an order, attempt after attempt as the scenario's failure rate says:
// the workflow counts the attempts and waits between them in legal time (6 hours, doubling, at most 4
// days), so a retry of the engine's own (a timeout, a worker lost) never changes the simulation.
func (l *lifecycle) order(ctx workflow.Context, in activities.OrderInput) (activities.OrderResult, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 10 * time.Second}})
	backoff := 6 * time.Hour
	n := in.Provider.Attempts()
	for attempt := 1; ; attempt++ {
		in.Attempt = attempt
		var out activities.OrderResult
		if l.in.Clock.InProcess {
			out = activities.ProviderAnswer(in)
		} else if err := workflow.ExecuteActivity(actx, a.ExecuteOrder, in).Get(ctx, &out); err != nil {
			return out, err
		}
		if !out.Failed {
			return out, nil
		}
		if attempt >= n {
			return out, errProviderFailed
		}
		if err := l.sleep(ctx, backoff); err != nil {
			return out, err
		}
		backoff = min(2*backoff, 4*mla.Day)
	}
}

// attempts counts provider calls: the successful attempt's number, or every allowed attempt on failure.
func (w *requestRun) attempts(out activities.OrderResult, err error) int {
	if err == nil {
		return out.Attempt
	}
	return w.req.Provider.Attempts()
}

// dataHeld reports whether the provider still holds the data without a preservation order.
func (w *requestRun) dataHeld(ctx workflow.Context) bool {
	if w.req.Provider.Retention <= 0 {
		return true
	}
	age := w.req.ConductAgo.D() + w.now(ctx).Sub(w.in.Clock.Start)
	return age <= w.req.Provider.Retention.D()
}

// linkPreservation (requests started before changeMessagesOnce; see linkPreservationV1) tells the
// preservation this request follows up that it arrived, with the legal time
// of arrival, and learns whether the data is still preserved. The preservation decides by comparing legal
// times, never by which message the engine delivered first, so the outcome is the same on every engine.
// A preservation that has ended cannot be signalled: the data is not kept.
func (w *requestRun) linkPreservation(ctx workflow.Context) (bool, error) {
	if w.in.PreservationWorkflowID == "" {
		return false, nil
	}
	info := workflow.GetInfo(ctx)
	err := workflow.SignalExternalWorkflow(ctx, w.in.PreservationWorkflowID, "", SignalFollowUp,
		FollowUp{RequestID: w.req.ID, WorkflowID: info.WorkflowExecution.ID, At: w.now(ctx)}).Get(ctx, nil)
	cite := mla.Citation{RuleID: "budapest.29.7", Article: "Budapest Art 29(7)", Tag: mla.TagPrimary}
	if err != nil {
		if temporal.IsCanceledError(err) {
			return false, err
		}
		w.notified = true
		w.record(ctx, "preservation", "", mla.ActorRequestedCA, w.req.To,
			fmt.Sprintf("preservation %s is no longer running: the data was not kept for this follow-up", w.req.FollowUpOf), cite)
		return false, nil
	}
	w.preservationLinked = true
	var st PreservationState
	// The preservation answers every follow-up before it ends, so this waits for the answer itself, never
	// for engine time (which would make the outcome depend on the engine's speed).
	workflow.GetSignalChannel(ctx, SignalPreservationState).Receive(ctx, &st)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	ok := true
	if !ok || !st.Preserved {
		w.notified = true
		w.record(ctx, "preservation", "", mla.ActorRequestedCA, w.req.To,
			fmt.Sprintf("preservation %s did not keep the data (%s)", w.req.FollowUpOf, st.Status), cite)
		return false, nil
	}
	w.record(ctx, "preservation", "", mla.ActorRequestedCA, w.req.To,
		fmt.Sprintf("the data preserved under %s until %s is kept pending the decision on this request", w.req.FollowUpOf, st.Until.Format("2006-01-02")), cite)
	return true, nil
}

// notifyPreservation tells the preservation how this follow-up ended (so it releases the data), or, if it
// ended before reaching the requested State, that no follow-up will come.
func (w *requestRun) notifyPreservation(ctx workflow.Context, status mla.Status) {
	if w.in.PreservationWorkflowID == "" || w.notified {
		return
	}
	w.notified = true
	var err error
	if w.preservationLinked {
		o := FollowUpOutcome{Status: status, At: w.now(ctx)}
		if w.version >= 1 {
			o.RequestID = w.req.ID
		}
		err = workflow.SignalExternalWorkflow(ctx, w.in.PreservationWorkflowID, "", SignalFollowUpDecided, o).Get(ctx, nil)
	} else {
		err = workflow.SignalExternalWorkflow(ctx, w.in.PreservationWorkflowID, "", SignalFollowUp, FollowUp{RequestID: w.req.ID, At: w.now(ctx), None: true}).Get(ctx, nil)
	}
	if err != nil {
		w.logger.Info("preservation already ended", "error", err)
	}
}

// receiveSpontaneous ends a spontaneous transmission: the receiving State accepts any conditions. One
// that cannot keep the information confidential says so, and the sending State decides whether to
// provide it nevertheless (Budapest Art 26(2)); if not, it withdraws it.
func (w *requestRun) receiveSpontaneous(ctx workflow.Context) (mla.Outcome, error) {
	s, err := w.screen(ctx, w.req, mla.ActorRequestedCA)
	if err != nil {
		return mla.Outcome{}, err
	}
	text := fmt.Sprintf("%s receives the information", w.req.To)
	if f, ok := dutyFinding(s, "inform"); ok && workflow.GetVersion(ctx, changeProviderDecides, workflow.DefaultVersion, 1) == 1 {
		provide, err := w.askToProceed(ctx, f, mla.ActorRequestedCA)
		if err != nil || !provide {
			if err != nil {
				return mla.Outcome{}, err
			}
			return w.notGoingAhead(ctx), nil
		}
		text += fmt.Sprintf(", which %s provided knowing it cannot be kept confidential", w.req.From)
		w.record(ctx, "closure", mla.StatusReceived, mla.ActorRequestedCA, w.req.To, text, f.Citation())
		return w.finish(ctx, mla.StatusReceived), nil
	}
	if c := s.Conditions(); len(c) > 0 {
		text += "; it accepts the sender's conditions and is bound by them"
	}
	w.record(ctx, "closure", mla.StatusReceived, mla.ActorRequestedCA, w.req.To, text, citationsOf(s.Conditions())...)
	return w.finish(ctx, mla.StatusReceived), nil
}

// closeUnanswered ends a request whose missing contents never came: refused as not in conformity where
// the instrument gives that ground, otherwise closed as lapsed.
func (w *requestRun) closeUnanswered(ctx workflow.Context, s mla.Screening) (mla.Outcome, error) {
	if f, ok := s.Ground("non-conformity"); ok {
		d := mla.Decision{Kind: mla.DecisionRefuse, Grounds: []string{f.Ground}, Citations: []mla.Citation{f.Citation()},
			Reasons: f.Explain, By: mla.ActorRequestedCA, Mode: mla.ModeAutomatic}
		w.result.Decision = &d
		w.result.Grounds = d.Citations
		w.publishGrounds(ctx, d.Grounds)
		w.record(ctx, "decision", mla.StatusRefused, mla.ActorRequestedCA, w.req.To, refusalText(w.req.To, d), d.Citations...)
		return w.finish(ctx, mla.StatusRefused), nil
	}
	w.record(ctx, "closure", mla.StatusLapsed, mla.ActorRequestedCA, w.req.To, "closed for want of the required contents")
	return w.finish(ctx, mla.StatusLapsed), nil
}

func barFor(s mla.Screening, ground string) *mla.Finding {
	for _, b := range s.Barred() {
		if b.Ground == ground {
			return &b
		}
	}
	return nil
}

func dutyCitations(s mla.Screening, duty string) []mla.Citation {
	var out []mla.Citation
	for f := range s.Each(mla.EffectDuty) {
		if f.Duty == duty {
			out = append(out, f.Citation())
		}
	}
	return out
}

func conditionCitations(d mla.Decision) []mla.Citation {
	if len(d.Conditions) == 0 {
		return nil
	}
	return []mla.Citation{{RuleID: "uncc.40.use-limitation", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(19)-(20)); Budapest Art 28(2)", Tag: mla.TagUnconfirmed}}
}

func grantText(state string, d mla.Decision) string {
	switch {
	case len(d.Parts) > 0 && d.Kind == mla.DecisionPartial:
		var granted, refused []string
		for _, p := range d.Parts {
			switch {
			case !p.Granted:
				refused = append(refused, fmt.Sprintf("%s on %s", p.Measure, strings.Join(p.Grounds, ", ")))
			case p.NonCoercive:
				granted = append(granted, fmt.Sprintf("%s without coercive measures", p.Measure))
			default:
				granted = append(granted, p.Measure.String())
			}
		}
		text := fmt.Sprintf("%s grants the request in part: %s", state, strings.Join(granted, "; "))
		if len(refused) > 0 {
			text += fmt.Sprintf("; it refuses %s", strings.Join(refused, "; "))
		}
		if len(d.Conditions) > 0 {
			text += fmt.Sprintf("; on conditions: %s", joinConditions(d.Conditions))
		}
		return text
	}
	switch d.Kind {
	case mla.DecisionPartial:
		return fmt.Sprintf("%s grants partially (%s) on %v: %s", state, joinConditions(d.Conditions), d.Grounds, d.Reasons)
	case mla.DecisionGrantConditions:
		return fmt.Sprintf("%s grants on conditions: %s", state, joinConditions(d.Conditions))
	}
	if d.Reasons != "" {
		return fmt.Sprintf("%s grants the request; %s", state, d.Reasons)
	}
	return fmt.Sprintf("%s grants the request", state)
}

// productionLimits, for an order given effect under CETS 224 Art 8 whose screening found the duty,
// records its service against the Article's limit and returns what records its production once done;
// nil otherwise.
func (w *requestRun) productionLimits(ctx workflow.Context, served time.Time) func(workflow.Context) {
	if w.screening == nil {
		return nil
	}
	f, ok := dutyFinding(*w.screening, "production-limits")
	if !ok || workflow.GetVersion(ctx, changeProductionLimits, workflow.DefaultVersion, 1) != 1 {
		return nil
	}
	r := w.req
	w.record(ctx, "execution", "", mla.ActorRequestedCA, r.To, limitLine(fmt.Sprintf("%s serves the order", r.To), served.Sub(w.received), 45*mla.Day, "after receiving it"), f.Citation())
	return func(ctx workflow.Context) {
		limit := 20 * mla.Day
		if r.DataKind == "traffic" {
			limit = 45 * mla.Day
		}
		w.record(ctx, "execution", "", mla.ActorProvider, r.To, limitLine(r.Provider.Label()+" produces the "+r.DataKind+" data", w.now(ctx).Sub(served), limit, "after service"), f.Citation())
	}
}

// limitLine says how long a step of an order given effect under CETS 224 Art 8 took against its time
// limit ([U]): "XB serves the order 12d after receiving it, within the limit of 45d".
func limitLine(what string, took, limit time.Duration, since string) string {
	verdict := "within"
	if took > limit {
		verdict = "beyond"
	}
	return fmt.Sprintf("%s %s %s, %s the limit of %s", what, mla.FormatLegalDuration(took), since, verdict, mla.FormatLegalDuration(limit))
}
