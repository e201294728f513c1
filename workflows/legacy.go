package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/mla"
)

// This file holds the preservation's follow-up protocol as requests started before changeMessagesOnce
// run it: one follow-up, waited for without a bound (see followups.go for the protocol since). It must
// keep issuing the same commands in the same order: the committed histories replay it.

// holdV0 is what hold keeps between steps.
type holdV0 struct {
	extendAt time.Time // legal date of the scripted extension request
	expected bool
}

// hold keeps the data until the follow-up request is decided or the period expires. What happens first
// is decided in legal time: a scripted extension at its date, a follow-up at the legal time it arrived,
// the expiry at the end of the period. When a scripted follow-up is expected, the preservation waits for
// its word before letting the period run out.
func (w *preservationRun) hold(ctx workflow.Context) (mla.Outcome, error) {
	h := &holdV0{expected: w.in.FollowUpExpected}
	if w.req.Extend > 0 {
		h.extendAt = w.until.Add(-7 * mla.Day)
	}
	for {
		if !w.messageV0() {
			expired, err := w.waitV0(ctx, h)
			if err != nil {
				return mla.Outcome{}, err
			}
			if expired {
				return w.expire(ctx, preservationCite)
			}
			if !w.messageV0() {
				continue
			}
		}
		if w.takeExtensionV0(ctx) {
			continue
		}
		arrived, expired := w.takeFollowUpV0(ctx, h)
		if expired {
			return w.expire(ctx, preservationCite)
		}
		if arrived {
			return w.keepForFollowUpV0(ctx)
		}
	}
}

func (w *preservationRun) messageV0() bool { return w.followUp != nil || w.extension != nil }

// waitV0 waits for a message: for the expected follow-up's word (no longer than a scripted withdrawal),
// or until the scripted extension or the expiry. It reports whether the period expired.
func (w *preservationRun) waitV0(ctx workflow.Context, h *holdV0) (bool, error) {
	if left, due := w.withdrawDue(); h.expected && due {
		_, err := w.await(ctx, left, w.messageV0)
		return false, err
	}
	if h.expected {
		return false, workflow.Await(ctx, w.messageV0)
	}
	next := w.until
	if !h.extendAt.IsZero() && h.extendAt.Before(next) {
		next = h.extendAt
	}
	ok, err := w.await(ctx, next.Sub(w.legal), w.messageV0)
	if err != nil || ok {
		return false, err
	}
	if next.Equal(h.extendAt) {
		w.extendV0(ctx, w.req.Extend.D(), h.extendAt)
		h.extendAt = time.Time{}
		return false, nil
	}
	return true, nil
}

// takeExtensionV0 applies a person's extension, if one came.
func (w *preservationRun) takeExtensionV0(ctx workflow.Context) bool {
	e := w.extension
	if e == nil {
		return false
	}
	by := w.period()
	if e.For > 0 {
		by = e.For.D()
	}
	w.extension = nil
	w.extendV0(ctx, by, w.legal)
	return true
}

// takeFollowUpV0 takes the follow-up's word: after a scripted extension due first, it arrived in time,
// too late, or never will.
func (w *preservationRun) takeFollowUpV0(ctx workflow.Context, h *holdV0) (arrived, expired bool) {
	f := w.followUp
	if !h.extendAt.IsZero() && !h.extendAt.After(f.At) && !h.extendAt.After(w.until) {
		w.extendV0(ctx, w.req.Extend.D(), h.extendAt)
		h.extendAt = time.Time{}
		return false, false
	}
	if f.At.After(w.until) {
		return false, true
	}
	if f.At.After(w.legal) {
		w.legal = f.At
	}
	if f.None {
		w.followUp = nil
		h.expected = false
		return false, false
	}
	return true, false
}

func (w *preservationRun) extendV0(ctx workflow.Context, by time.Duration, at time.Time) {
	if at.After(w.legal) {
		w.legal = at
	}
	w.until = w.until.Add(by)
	w.record(ctx, "preservation", "", mla.ActorPoC247, w.req.To, fmt.Sprintf("%s asks for an extension: data now kept until %s", w.req.From, w.until.Format("2006-01-02")), preservationCite)
}

// keepForFollowUpV0 keeps the data pending the decision on the follow-up, then releases it.
func (w *preservationRun) keepForFollowUpV0(ctx workflow.Context) (mla.Outcome, error) {
	r := w.req
	w.record(ctx, "preservation", "", mla.ActorPoC247, r.To,
		fmt.Sprintf("the follow-up request %s arrived: the data is kept pending a decision on it", w.followUp.RequestID), preservationCite)
	w.answerFollowUp(ctx)
	if err := workflow.Await(ctx, func() bool { return w.outcome != nil }); err != nil {
		return mla.Outcome{}, err
	}
	if w.outcome.At.After(w.legal) {
		w.legal = w.outcome.At
	}
	status := mla.StatusReleased
	text := fmt.Sprintf("the follow-up request ended %s: the preserved data is released", w.outcome.Status)
	if w.outcome.Status == mla.StatusCompleted || w.outcome.Status == mla.StatusPartial {
		status = mla.StatusCompleted
		text = fmt.Sprintf("the preserved data was produced under the follow-up request %s", w.followUp.RequestID)
		w.result.Evidence = "preserved data handed over under " + w.followUp.RequestID
	}
	w.record(ctx, "closure", status, mla.ActorPoC247, r.To, text, preservationCite)
	return w.finishWithOnward(ctx, status)
}
