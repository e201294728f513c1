package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
)

// PreservationWorkflow is an expedited preservation through the 24/7 network (Budapest Art 29, UNCC Art
// 42 [U]): the point of contact handles it at once, screens it against the preservation grounds only,
// has the provider preserve the data for the requested State's period (at least 60 days), extends it on
// request, keeps it pending a decision once the follow-up MLA request arrives, and releases it on expiry,
// which loses the evidence. Traffic data revealing a provider in a third State starts an onward
// preservation there (Budapest Art 30).
func PreservationWorkflow(ctx workflow.Context, in RequestInput) (mla.Outcome, error) {
	w := &preservationRun{lifecycle: newLifecycle(ctx, in)}
	runCtx, err := w.setup(ctx)
	if err != nil {
		return mla.Outcome{}, err
	}
	if err := w.setupPreservation(ctx); err != nil {
		return mla.Outcome{}, err
	}
	res, err := w.run(runCtx)
	if cctx, withdrawn := w.closing(ctx, err); withdrawn {
		w.answerAll(cctx)
		res, err = w.finish(cctx, mla.StatusWithdrawn), nil
		ctx = cctx
	}
	if err == nil {
		w.answerLastWords(ctx)
	}
	return res, err
}

// answerLastWords answers the follow-ups whose word reached the preservation after it answered the
// others but before it closed: the signal can arrive in the very task that ends the run, and unanswered
// the follow-up would wait out its bound and take the data as not kept, a line the other engine, closing
// sooner, never writes. Since changeLastWords the preservation drains its signal channel as it closes.
func (w *preservationRun) answerLastWords(ctx workflow.Context) {
	if w.fu == nil || workflow.GetVersion(ctx, changeLastWords, workflow.DefaultVersion, 1) != 1 {
		return
	}
	if workflow.GetVersion(ctx, changeLastWordsReceived, workflow.DefaultVersion, 1) == 1 {
		// A word that came in this very task may sit with the goroutine that receives words, handed to it
		// but not yet taken: its turn comes once this one yields, so yield once before draining.
		turned := false
		_ = workflow.Await(ctx, func() bool {
			was := turned
			turned = true
			return was
		})
	}
	ch := workflow.GetSignalChannel(ctx, SignalFollowUp)
	for {
		var f FollowUp
		if !ch.ReceiveAsync(&f) {
			break
		}
		w.fu.words = append(w.fu.words, f)
	}
	w.answerPending(ctx)
}

type preservationRun struct {
	*lifecycle
	until     time.Time
	preserved bool
	followUp  *FollowUp
	answered  bool
	outcome   *FollowUpOutcome
	extension *Extension
	onward    workflow.ChildWorkflowFuture
	// fu and reached serve the follow-up protocol since changeMessagesOnce.
	fu      *followUpState
	reached time.Time
}

func (w *preservationRun) setupPreservation(ctx workflow.Context) error {
	if w.version >= 1 {
		return w.setupFollowUps(ctx)
	}
	workflow.Go(ctx, func(gctx workflow.Context) {
		ch := workflow.GetSignalChannel(gctx, SignalFollowUp)
		for {
			var f FollowUp
			ch.Receive(gctx, &f)
			w.followUp = &f
		}
	})
	workflow.Go(ctx, func(gctx workflow.Context) {
		ch := workflow.GetSignalChannel(gctx, SignalFollowUpDecided)
		for {
			var o FollowUpOutcome
			ch.Receive(gctx, &o)
			w.outcome = &o
		}
	})
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateExtend,
		func(ctx workflow.Context, e Extension) (string, error) {
			w.extension = &e
			return "extension recorded", nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, e Extension) error {
			if !w.preserved || w.status.Final() {
				return fmt.Errorf("preservation %s holds no data to extend (status %s)", w.req.ID, w.status)
			}
			return nil
		}})
}

func (w *preservationRun) period() time.Duration {
	days := w.in.Requested.PreservationDays
	if days < 60 {
		days = 60 // Budapest Art 29(7): not less than sixty days
	}
	return time.Duration(days) * mla.Day
}

func (w *preservationRun) run(ctx workflow.Context) (mla.Outcome, error) {
	r := w.req
	w.record(ctx, "drafting", mla.StatusDrafted, mla.ActorPoC247, r.From,
		fmt.Sprintf("the 24/7 point of contact of %s asks %s to preserve %s data held by %s (%s): %s", r.From, r.To, r.DataOr("stored"), r.Provider.Label(), w.in.Basis.Basis, r.Title),
		w.in.Basis.Citations...)
	if err := w.transmit(ctx, "preservation request", r.From, r.To, true); err != nil {
		return mla.Outcome{}, err
	}
	if err := w.sleep(ctx, w.vary("register", w.timings.Register)); err != nil {
		return mla.Outcome{}, err
	}
	w.record(ctx, "registration", mla.StatusRegistered, mla.ActorPoC247, r.To, fmt.Sprintf("the 24/7 point of contact of %s takes the request at once", r.To),
		mla.Citation{RuleID: "budapest.35", Article: "Budapest Art 35(1)(b)", Tag: mla.TagPrimary})
	s, err := w.screen(ctx, r, mla.ActorPoC247)
	if err != nil {
		return mla.Outcome{}, err
	}
	if s.Has(mla.EffectCompleteness) {
		answered, err := w.askInformation(ctx, s, mla.ActorPoC247)
		if err != nil {
			return mla.Outcome{}, err
		}
		if !answered {
			w.record(ctx, "closure", mla.StatusLapsed, mla.ActorPoC247, r.To, "closed for want of the contents Art 29(2) requires", citationsOf(s.Incomplete())...)
			w.answerAll(ctx)
			return w.finish(ctx, mla.StatusLapsed), nil
		}
		r.Omitted = nil
		if s, err = w.screen(ctx, r, mla.ActorPoC247); err != nil {
			return mla.Outcome{}, err
		}
	}
	if proceed, err := w.duties(ctx, s); err != nil || !proceed {
		if err != nil {
			return mla.Outcome{}, err
		}
		w.answerAll(ctx)
		return w.notGoingAhead(ctx), nil
	}
	d, err := w.decide(ctx, mla.ActorPoC247, mla.Propose(s, 0))
	if err != nil {
		return mla.Outcome{}, err
	}
	w.result.Decision = &d
	if len(d.Grounds) > 0 {
		w.result.Grounds = d.Citations
	}
	if d.Kind == mla.DecisionRefuse {
		w.publishGrounds(ctx, d.Grounds)
		w.record(ctx, "decision", mla.StatusRefused, mla.ActorPoC247, r.To, refusalText(r.To, d), d.Citations...)
		w.answerAll(ctx)
		return w.finish(ctx, mla.StatusRefused), nil
	}
	if b := s.Barred(); len(b) > 0 {
		w.record(ctx, "decision", "", mla.ActorPoC247, r.To, "preserves: "+b[0].Explain, citationsOf(b)...)
	}

	preserved, err := w.preserve(ctx)
	if err != nil {
		return mla.Outcome{}, err
	}
	if !preserved {
		return w.finishWithOnward(ctx, mla.StatusFailed)
	}
	if r.RevealsProviderIn != "" && w.in.Onward != nil {
		w.startOnward(ctx)
	}
	if w.version >= 1 {
		return w.holdV1(ctx)
	}
	return w.hold(ctx)
}

// duties carries out the screening's duties before the decision: coordination with the authority for
// mutual assistance (Budapest Art 35(2)(b)), and informing the requesting State that confidentiality
// cannot be kept (Art 29(6)). It reports whether the requesting State still wants the preservation.
func (w *preservationRun) duties(ctx workflow.Context, s mla.Screening) (bool, error) {
	for f := range s.Each(mla.EffectDuty) {
		switch f.Duty {
		case "coordinate":
			if err := w.coordinate(ctx, f); err != nil {
				return false, err
			}
		case "inform":
			if proceed, err := w.informed(ctx, f, mla.ActorPoC247); err != nil || !proceed {
				return proceed, err
			}
		}
	}
	return true, nil
}

// preserve has the provider preserve the data. It reports false when the provider cannot: it failed every
// attempt the legal backoff allows.
func (w *preservationRun) preserve(ctx workflow.Context) (bool, error) {
	r := w.req
	if err := w.waitOutage(ctx); err != nil {
		return false, err
	}
	order := activities.OrderInput{RequestID: r.ID, Kind: mla.KindPreservation, DataKind: r.DataKind, Provider: r.Provider, Seed: w.in.Seed}
	var out activities.OrderResult
	if workflow.GetVersion(ctx, changeProviderAttempts, workflow.DefaultVersion, 1) == 1 {
		var err error
		if out, err = w.order(ctx, order); errors.Is(err, errProviderFailed) {
			w.result.ProviderAttempts = out.Attempt
			w.record(ctx, "preservation", mla.StatusFailed, mla.ActorPoC247, r.To,
				fmt.Sprintf("preservation impossible: %s failed %d times; %s informs %s", r.Provider.Label(), out.Attempt, r.To, r.From),
				mla.Citation{RuleID: "budapest.27.7", Article: "Budapest Art 27(7)", Tag: mla.TagPrimary})
			return false, nil
		} else if err != nil {
			return false, err
		}
		w.result.ProviderAttempts = out.Attempt
	} else if err := workflow.ExecuteActivity(w.activityCtx(ctx), a.ExecuteOrder, order).Get(ctx, &out); err != nil {
		return false, err
	}
	w.preserved = true
	w.until = w.now(ctx).Add(w.period())
	w.record(ctx, "preservation", mla.StatusPreserved, mla.ActorProvider, r.To,
		fmt.Sprintf("%s until %s (%d days)", out.Evidence, w.until.Format("2006-01-02"), int(w.period()/mla.Day)),
		mla.Citation{RuleID: "budapest.29.7", Article: "Budapest Art 29(7)", Tag: mla.TagPrimary})
	return true, nil
}

// answerAll tells every follow-up still waiting for an answer that the data is not held for it: the
// preservation ends.
func (w *preservationRun) answerAll(ctx workflow.Context) {
	if w.version >= 1 {
		w.answerPending(ctx)
		return
	}
	w.answerFollowUp(ctx)
}

// expire releases the data at the end of the period: the evidence is lost.
func (w *preservationRun) expire(ctx workflow.Context, cite mla.Citation) (mla.Outcome, error) {
	w.legal = w.until
	w.preserved = false
	w.record(ctx, "preservation", mla.StatusEvidenceLost, mla.ActorProvider, w.req.To,
		fmt.Sprintf("the preservation expired on %s without a follow-up request: %s releases the data and the evidence is lost", w.until.Format("2006-01-02"), w.req.Provider.Label()), cite)
	w.result.EvidenceLost = true
	return w.finishWithOnward(ctx, mla.StatusEvidenceLost)
}

// answerFollowUp tells a waiting follow-up request whether the data is preserved.
func (w *preservationRun) answerFollowUp(ctx workflow.Context) {
	if w.followUp == nil || w.followUp.None || w.answered {
		return
	}
	w.answered = true
	st := PreservationState{Preserved: w.preserved, Until: w.until, Status: w.status}
	if err := workflow.SignalExternalWorkflow(ctx, w.followUp.WorkflowID, "", SignalPreservationState, st).Get(ctx, nil); err != nil {
		w.logger.Info("follow-up request already ended", "error", err)
	}
}

// startOnward discloses the traffic data that identifies a provider in a third State and starts the
// onward preservation there.
func (w *preservationRun) startOnward(ctx workflow.Context) {
	r := w.req
	third := w.in.Onward
	w.record(ctx, "onward preservation", "", mla.ActorPoC247, r.To,
		fmt.Sprintf("the preserved traffic data shows a provider in %s: %s discloses enough traffic data to %s to identify it and the path", third.Code, r.To, r.From),
		mla.Citation{RuleID: "budapest.30.1", Article: "Budapest Art 30(1) (UNCC Art 43 [U])", Tag: mla.TagPrimary})
	onward := w.in
	onward.Request.ID = r.ID + "-onward-" + third.Code
	onward.Request.Title = "onward preservation: " + r.Title
	onward.Request.To = third.Code
	onward.Request.RevealsProviderIn = ""
	onward.Request.FollowUpOf = ""
	onward.Request.Extend = 0
	onward.Request.WithdrawAfter = 0
	onward.Request.Actors = nil
	onward.Requested = *third
	onward.Onward = nil
	onward.FollowUpExpected = false
	onward.FollowUps = nil
	if w.in.OnwardBasis != nil {
		onward.Basis = *w.in.OnwardBasis
	}
	onward.OnwardBasis = nil
	onward.Clock = w.in.Clock.From(w.now(ctx))
	id := workflow.GetInfo(ctx).WorkflowExecution.ID + "-onward-" + third.Code
	cctx := workflow.WithChildOptions(ctx, childOptions(id, onward))
	w.onward = workflow.ExecuteChildWorkflow(cctx, PreservationWorkflow, onward)
}

func (w *preservationRun) finishWithOnward(ctx workflow.Context, status mla.Status) (mla.Outcome, error) {
	w.answerAll(ctx)
	res := w.finish(ctx, status)
	if w.onward != nil {
		var onward mla.Outcome
		if err := w.onward.Get(ctx, &onward); err == nil {
			res.Onward = &onward
		} else {
			w.logger.Warn("onward preservation failed", "error", err)
		}
	}
	return res, nil
}

// childOptions are the options of a request started as a child workflow: its ID and the search
// attributes that describe it.
func childOptions(id string, in RequestInput) workflow.ChildWorkflowOptions {
	r := in.Request
	return workflow.ChildWorkflowOptions{
		WorkflowID:            id,
		StaticSummary:         r.From + " → " + r.To + " · " + string(r.Kind) + " · " + r.Title,
		TaskQueue:             TaskQueue,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_TERMINATE,
		TypedSearchAttributes: InitialSearchAttributes(in),
	}
}
