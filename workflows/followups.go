package workflows

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/mla"
)

// A preservation and the requests that follow it up talk by signals, and decide everything in legal
// time: each follow-up tells the preservation the legal time it arrived (or that it never will), the
// preservation answers whether the data was held then, and the follow-up tells it the legal time it was
// decided. Their scenario starts a follow-up only once its preservation has started, and tells either
// side when the other ended without a word (CounterpartGone). Every wait has a legal-time bound with a
// named outcome. This file holds that protocol as it runs since changeMessagesOnce.

// Bounds of the waits on another workflow, in legal time.
const (
	// wordMargin is how long after a follow-up is sent the preservation waits for its word: far more
	// than transmission and registration take on any channel.
	wordMargin = 60 * mla.Day
	// decisionBound is how long after a follow-up arrived the preservation waits for its decision.
	decisionBound = 3 * 365 * mla.Day
	// answerBound is how long a follow-up waits for the preservation's answer.
	answerBound = 60 * mla.Day
	// crossWaitFloor is the least engine time a bound on another workflow's message takes, whatever the
	// time scale: a saturated server (or the SDK's test environment, whose timers run on the wall clock
	// while an activity runs) can delay a message by minutes, and must not turn the delay into a
	// different outcome. Under time skipping the floor costs nothing; on a server, a counterpart that
	// ends without a word is reported by the scenario at once, so only a lost message waits this long.
	crossWaitFloor = 10 * time.Minute
)

// crossWait is the engine time a wait on another workflow bounded by a legal duration takes.
func crossWait(c mla.Clock, legal time.Duration) time.Duration {
	return max(c.Wall(legal), crossWaitFloor)
}

// followUpState is what a preservation knows of its follow-ups.
type followUpState struct {
	expected []FollowUpRef
	// words are the follow-ups' words not yet handled; extensions, the persons' requests to extend.
	words      []FollowUp
	extensions []Extension
	outcomes   []FollowUpOutcome
	gone       []CounterpartGone
	// heard marks the follow-ups whose word was handled (or given up on); kept, those that arrived while
	// the data was held, with the legal time of their decision once known.
	heard map[string]bool
	// received counts the messages received, so a wait ends on a new one only.
	received int
	kept     map[string]*time.Time
	order    []string // kept follow-ups in the order they arrived
	results  map[string]mla.Status
}

func newFollowUpState(expected []FollowUpRef) *followUpState {
	return &followUpState{expected: expected, heard: map[string]bool{}, kept: map[string]*time.Time{}, results: map[string]mla.Status{}}
}

// setupFollowUps receives the follow-ups' signals and the persons' extensions into queues that the hold
// step takes in legal-time order.
func (w *preservationRun) setupFollowUps(ctx workflow.Context) error {
	w.fu = newFollowUpState(w.in.FollowUps)
	// One goroutine takes the three kinds of message: each goroutine blocked costs the SDK a yield on
	// every step of the workflow.
	workflow.Go(ctx, func(ctx workflow.Context) {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(workflow.GetSignalChannel(ctx, SignalFollowUp), func(ch workflow.ReceiveChannel, _ bool) {
			var f FollowUp
			ch.Receive(ctx, &f)
			w.fu.words = append(w.fu.words, f)
			w.fu.received++
		})
		sel.AddReceive(workflow.GetSignalChannel(ctx, SignalFollowUpDecided), func(ch workflow.ReceiveChannel, _ bool) {
			var o FollowUpOutcome
			ch.Receive(ctx, &o)
			w.fu.outcomes = append(w.fu.outcomes, o)
			w.fu.received++
		})
		sel.AddReceive(workflow.GetSignalChannel(ctx, SignalCounterpartGone), func(ch workflow.ReceiveChannel, _ bool) {
			var g CounterpartGone
			ch.Receive(ctx, &g)
			w.fu.gone = append(w.fu.gone, g)
			w.fu.received++
		})
		for {
			sel.Select(ctx)
		}
	})
	if w.in.Clock.Unreachable {
		return nil // no one can ask for an extension
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateExtend,
		func(ctx workflow.Context, e Extension) (string, error) {
			w.fu.extensions = append(w.fu.extensions, e)
			w.fu.received++
			return "extension recorded", nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, e Extension) error {
			if !w.preserved || w.status.Final() {
				return fmt.Errorf("preservation %s holds no data to extend (status %s)", w.req.ID, w.status)
			}
			return nil
		}})
}

// holdV1 keeps the data for its period, and past it while follow-ups that arrived in time wait for their
// decision, then releases it. What happens is decided in legal time, event by event: a scripted
// extension at its date, each follow-up at the legal time it arrived, each decision at its legal time,
// the expiry at the end of the period. An event is handled only when no word still expected could come
// before it, so a slow engine never changes the outcome or a legal date in the timeline.
func (w *preservationRun) holdV1(ctx workflow.Context) (mla.Outcome, error) {
	r := w.req
	var extendAt time.Time
	if r.Extend > 0 {
		extendAt = w.until.Add(-7 * mla.Day)
	}
	// reached is how far legal time has run without an event; legal, the time of the last event.
	w.reached = w.legal
	for {
		w.takeNotices(ctx)
		if !extendAt.IsZero() && w.extensionDue(extendAt) {
			w.legal = latest(w.legal, extendAt)
			w.extend(ctx, r.Extend.D())
			extendAt = time.Time{}
			continue
		}
		if f, ok := w.nextWord(); ok {
			w.handleWord(ctx, f)
			continue
		}
		if w.released() {
			return w.release(ctx)
		}
		deadline, what := w.nextDeadline(extendAt)
		woke, elapsed, err := w.awaitWord(ctx, deadline, what != nil)
		if err != nil {
			return mla.Outcome{}, err
		}
		if !woke {
			w.reached = deadline
			if what != nil {
				what()
			}
			continue
		}
		if len(w.fu.extensions) > 0 {
			// A person asked: the extension takes effect the legal time after the last event that the
			// wait lasted.
			w.legal = latest(w.legal, w.reached.Add(elapsed))
			w.reached = latest(w.reached, w.legal)
			w.takeExtensions(ctx)
		}
	}
}

// extensionDue reports whether the scripted extension at extendAt can be applied now: the data is still
// held then, every word before it is in and handled, and legal time has reached it (or a word after it is
// waiting).
func (w *preservationRun) extensionDue(extendAt time.Time) bool {
	if extendAt.After(w.until) || !w.safeBefore(extendAt) || !w.nextWordAt(extendAt) {
		return false
	}
	return !w.reached.Before(extendAt) || len(w.fu.words) > 0
}

// takeExtensions applies the persons' extensions at the current legal time.
func (w *preservationRun) takeExtensions(ctx workflow.Context) {
	for _, e := range w.fu.extensions {
		by := w.period()
		if e.For > 0 {
			by = e.For.D()
		}
		w.extend(ctx, by)
	}
	w.fu.extensions = nil
}

func (w *preservationRun) extend(ctx workflow.Context, by time.Duration) {
	w.until = w.until.Add(by)
	w.record(ctx, "preservation", "", mla.ActorPoC247, w.req.To, fmt.Sprintf("%s asks for an extension: data now kept until %s", w.req.From, w.until.Format("2006-01-02")), preservationCite)
}

// takeNotices records the follow-ups' decisions and the follow-ups that ended without a word.
func (w *preservationRun) takeNotices(ctx workflow.Context) {
	for _, o := range w.fu.outcomes {
		if at, ok := w.fu.kept[o.RequestID]; ok && at == nil {
			t := o.At
			w.fu.kept[o.RequestID] = &t
			w.fu.results[o.RequestID] = o.Status
		}
	}
	w.fu.outcomes = nil
	for _, g := range w.fu.gone {
		if at, ok := w.fu.kept[g.RequestID]; ok && at == nil {
			t := w.legal
			w.fu.kept[g.RequestID] = &t
			w.fu.results[g.RequestID] = mla.StatusFailed
			w.record(ctx, "preservation", "", mla.ActorSystem, w.req.To, fmt.Sprintf("the follow-up request %s ended without a decision (%s): it no longer holds the data", g.RequestID, g.Reason), preservationCite)
		} else if w.unheard(g.RequestID) {
			w.fu.heard[g.RequestID] = true
			w.record(ctx, "preservation", "", mla.ActorSystem, w.req.To, fmt.Sprintf("the follow-up request %s ended before it arrived (%s)", g.RequestID, g.Reason), preservationCite)
		}
	}
	w.fu.gone = nil
}

// safeBefore reports whether every word that could come before legal time t has come: no expected
// follow-up sent by then is still unheard.
func (w *preservationRun) safeBefore(t time.Time) bool {
	for _, f := range w.fu.expected {
		if w.unheard(f.RequestID) && !f.SentAt.After(t) {
			return false
		}
	}
	return true
}

// unheard reports whether no word of the follow-up has come (handled or waiting to be).
func (w *preservationRun) unheard(id string) bool {
	if w.fu.heard[id] {
		return false
	}
	for _, f := range w.fu.words {
		if f.RequestID == id {
			return false
		}
	}
	return true
}

// nextWordAt reports whether no word already received comes before t.
func (w *preservationRun) nextWordAt(t time.Time) bool {
	for _, f := range w.fu.words {
		if f.At.Before(t) {
			return false
		}
	}
	return true
}

// nextWord returns the earliest received word, if it can be handled now: no earlier word can still
// come, and, for a word after the period, the decisions that say whether the data was still held are in.
func (w *preservationRun) nextWord() (FollowUp, bool) {
	if len(w.fu.words) == 0 {
		return FollowUp{}, false
	}
	sort.SliceStable(w.fu.words, func(i, j int) bool { return w.fu.words[i].At.Before(w.fu.words[j].At) })
	f := w.fu.words[0]
	if !w.safeBefore(f.At) {
		return FollowUp{}, false
	}
	if f.At.After(w.until) && !f.None {
		if _, known := w.heldAt(f.At); !known {
			return FollowUp{}, false
		}
	}
	w.fu.words = w.fu.words[1:]
	return f, true
}

// heldAt says whether the data was held at legal time t (after the period: pending the decision on a
// follow-up that arrived in time), and whether that is known yet.
func (w *preservationRun) heldAt(t time.Time) (held, known bool) {
	if !t.After(w.until) {
		return w.preserved, true
	}
	known = true
	for _, id := range w.fu.order {
		switch at := w.fu.kept[id]; {
		case at == nil:
			known = false
		case !at.Before(t):
			return true, true
		}
	}
	return false, known
}

// handleWord takes a follow-up's word: it arrived while the data was held (kept pending its decision) or
// too late, or it will not come.
func (w *preservationRun) handleWord(ctx workflow.Context, f FollowUp) {
	w.fu.heard[f.RequestID] = true
	if f.None {
		return
	}
	w.legal = latest(w.legal, f.At)
	held, _ := w.heldAt(f.At)
	if held {
		w.fu.kept[f.RequestID] = nil
		w.fu.order = append(w.fu.order, f.RequestID)
		w.record(ctx, "preservation", "", mla.ActorPoC247, w.req.To,
			fmt.Sprintf("the follow-up request %s arrived: the data is kept pending a decision on it", f.RequestID), preservationCite)
	}
	w.answer(ctx, f.WorkflowID, PreservationState{Preserved: held, Until: w.until, Status: w.status})
}

func (w *preservationRun) answer(ctx workflow.Context, workflowID string, st PreservationState) {
	if err := workflow.SignalExternalWorkflow(ctx, workflowID, "", SignalPreservationState, st).Get(ctx, nil); err != nil {
		w.logger.Info("follow-up request already ended", "error", err)
	}
}

// released reports whether the data is no longer held and no word that could change that can still
// come: the period is over (or every follow-up that kept the data is decided) and every follow-up sent
// before that moment has been heard.
func (w *preservationRun) released() bool {
	end := w.until
	for _, id := range w.fu.order {
		at := w.fu.kept[id]
		if at == nil {
			return false
		}
		end = latest(end, *at)
	}
	return !w.reached.Before(w.until) && w.safeBefore(end) && len(w.fu.words) == 0
}

// nextDeadline is the legal time to wake at if nothing comes, after the time already reached: the
// scripted extension, the end of the period, the bound of the wait for a word or a decision (with what to
// do when it passes).
func (w *preservationRun) nextDeadline(extendAt time.Time) (time.Time, func()) {
	deadline := w.reached.Add(decisionBound)
	var what func()
	consider := func(t time.Time, then func()) {
		if t.After(w.reached) && t.Before(deadline) {
			deadline, what = t, then
		}
	}
	consider(w.until, nil)
	if !extendAt.IsZero() && !extendAt.After(w.until) {
		consider(extendAt, nil)
	}
	for _, f := range w.fu.expected {
		if w.unheard(f.RequestID) {
			id, sent := f.RequestID, f.SentAt
			consider(sent.Add(wordMargin), func() { w.giveUpWord(id, sent) })
		}
	}
	if len(w.fu.order) > 0 {
		consider(w.legal.Add(decisionBound), w.giveUpDecisions)
	}
	return deadline, what
}

// giveUpWord stops waiting for a follow-up that has sent no word long after it was sent.
func (w *preservationRun) giveUpWord(id string, sent time.Time) {
	w.fu.heard[id] = true
	w.legal = latest(w.legal, w.reached)
	w.record(w.root, "preservation", "", mla.ActorSystem, w.req.To, fmt.Sprintf("no word from the follow-up request %s, sent on %s, within %s: it is taken as not having arrived",
		id, sent.Format("2006-01-02"), mla.FormatLegalDuration(wordMargin)), preservationCite)
}

// giveUpDecisions stops waiting for decisions that have not come within the bound.
func (w *preservationRun) giveUpDecisions() {
	w.legal = latest(w.legal, w.reached)
	for _, id := range w.fu.order {
		if w.fu.kept[id] == nil {
			t := w.legal
			w.fu.kept[id] = &t
			w.fu.results[id] = mla.StatusLapsed
			w.record(w.root, "preservation", "", mla.ActorSystem, w.req.To, fmt.Sprintf("no decision on the follow-up request %s within %s: the data is released",
				id, mla.FormatLegalDuration(decisionBound)), preservationCite)
		}
	}
}

// awaitWord waits for a message until a legal deadline (and no later than a scripted withdrawal) and
// reports whether one came, and after how much legal time (the engine time it waited, scaled). A
// deadline that bounds the wait for another workflow's word takes at least crossWaitFloor. Legal
// time itself does not move while it waits: a follow-up's message carries its own legal time.
func (w *preservationRun) awaitWord(ctx workflow.Context, deadline time.Time, bound bool) (bool, time.Duration, error) {
	seen := w.fu.received
	message := func() bool { return w.fu.received != seen }
	wait := deadline.Sub(w.reached)
	withdraw := false
	if at := w.in.Clock.Start.Add(w.req.WithdrawAfter.D()); w.req.WithdrawAfter > 0 && w.withdrawal == nil && !at.After(deadline) {
		wait, withdraw = max(at.Sub(w.reached), 0), true
	}
	engine := w.in.Clock.Wall(wait)
	if bound && !withdraw {
		engine = crossWait(w.in.Clock, wait)
	}
	t0 := workflow.Now(ctx)
	ok, err := workflow.AwaitWithTimeout(ctx, engine, message)
	elapsed := min(time.Duration(float64(workflow.Now(ctx).Sub(t0))*w.in.Clock.Scale), wait)
	if err != nil || ok || !withdraw {
		return ok, elapsed, err
	}
	return false, elapsed, w.scriptedWithdrawal()
}

// release ends the preservation: the evidence is lost if the period ran out with no follow-up in time;
// otherwise the data was produced under a follow-up, or released once each was decided.
func (w *preservationRun) release(ctx workflow.Context) (mla.Outcome, error) {
	if len(w.fu.order) == 0 {
		return w.expire(ctx, preservationCite)
	}
	var produced []string
	w.legal = latest(w.legal, w.until)
	for _, id := range w.fu.order {
		w.legal = latest(w.legal, *w.fu.kept[id])
		if s := w.fu.results[id]; s == mla.StatusCompleted || s == mla.StatusPartial {
			produced = append(produced, id)
		}
	}
	status := mla.StatusReleased
	text := fmt.Sprintf("the follow-up requests ended (%s): the preserved data is released", w.outcomeList())
	if len(produced) > 0 {
		status = mla.StatusCompleted
		text = fmt.Sprintf("the preserved data was produced under the follow-up request %s", joinIDs(produced))
		w.result.Evidence = "preserved data handed over under " + joinIDs(produced)
	}
	w.record(ctx, "closure", status, mla.ActorPoC247, w.req.To, text, preservationCite)
	return w.finishWithOnward(ctx, status)
}

func (w *preservationRun) outcomeList() string {
	var parts []string
	for _, id := range w.fu.order {
		parts = append(parts, fmt.Sprintf("%s %s", id, w.fu.results[id]))
	}
	return joinIDs(parts)
}

// answerPending answers every word received but not yet handled: the preservation is ending, so the data
// is not (or no longer) held for them.
func (w *preservationRun) answerPending(ctx workflow.Context) {
	if w.fu == nil {
		return
	}
	for _, f := range w.fu.words {
		if !f.None && !w.fu.heard[f.RequestID] {
			w.fu.heard[f.RequestID] = true
			w.answer(ctx, f.WorkflowID, PreservationState{Preserved: false, Until: w.until, Status: w.status})
		}
	}
	w.fu.words = nil
}

var preservationCite = mla.Citation{RuleID: "budapest.29.7", Article: "Budapest Art 29(7)", Tag: mla.TagPrimary}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func joinIDs(ids []string) string {
	if len(ids) < 2 {
		return strings.Join(ids, "")
	}
	return fmt.Sprintf("%s and %s", strings.Join(ids[:len(ids)-1], ", "), ids[len(ids)-1])
}

// notKept records that the preservation this request follows up did not keep the data for it. Whether
// the preservation answered or had already ended depends on how fast the engine closed it, not on legal
// time, so since changeLateFollowUp both read the same; before, the line said which (legacy).
func (w *requestRun) notKept(ctx workflow.Context, legacy string) {
	text := legacy
	if workflow.GetVersion(ctx, changeLateFollowUp, workflow.DefaultVersion, 1) == 1 {
		text = fmt.Sprintf("preservation %s no longer holds the data: it was not kept for this follow-up", w.req.FollowUpOf)
	}
	w.record(ctx, "preservation", "", mla.ActorRequestedCA, w.req.To, text, preservationCite)
}

// linkPreservationV1 tells the preservation this request follows up that it arrived, with the legal
// time of arrival, and waits for its answer: whether the data is still held. The scenario starts a
// follow-up only once its preservation has started, so a preservation that cannot be signalled has
// ended: the data is not kept. The wait ends with the answer, with word that the preservation ended
// without answering, or after answerBound of legal time; each has its line in the timeline.
func (w *requestRun) linkPreservationV1(ctx workflow.Context) (bool, error) {
	if w.in.PreservationWorkflowID == "" {
		return false, nil
	}
	p := w.req.FollowUpOf
	info := workflow.GetInfo(ctx)
	err := workflow.SignalExternalWorkflow(ctx, w.in.PreservationWorkflowID, "", SignalFollowUp,
		FollowUp{RequestID: w.req.ID, WorkflowID: info.WorkflowExecution.ID, At: w.now(ctx)}).Get(ctx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		w.notified = true
		w.notKept(ctx, fmt.Sprintf("preservation %s is no longer running: the data was not kept for this follow-up", p))
		return false, nil
	}
	w.preservationLinked = true
	var st PreservationState
	var gone CounterpartGone
	answered, ended := false, false
	tctx, cancel := workflow.WithCancel(ctx)
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalPreservationState), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, &st)
		answered = true
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, SignalCounterpartGone), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, &gone)
		ended = true
	})
	sel.AddFuture(workflow.NewTimer(tctx, crossWait(w.in.Clock, answerBound)), func(workflow.Future) {})
	sel.Select(ctx)
	cancel()
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	switch {
	case ended:
		w.notified = true
		w.record(ctx, "preservation", "", mla.ActorRequestedCA, w.req.To,
			fmt.Sprintf("preservation %s ended without answering (%s): the data was not kept for this follow-up", p, gone.Reason), preservationCite)
		return false, nil
	case !answered:
		w.legal = w.legal.Add(answerBound)
		w.record(ctx, "preservation", "", mla.ActorSystem, w.req.To,
			fmt.Sprintf("no answer from preservation %s within %s: the data is taken as not kept", p, mla.FormatLegalDuration(answerBound)), preservationCite)
		return false, nil
	case !st.Preserved:
		w.notified = true
		w.notKept(ctx, fmt.Sprintf("preservation %s did not keep the data (%s)", p, st.Status))
		return false, nil
	}
	w.record(ctx, "preservation", "", mla.ActorRequestedCA, w.req.To,
		fmt.Sprintf("the data preserved under %s until %s is kept pending the decision on this request", p, st.Until.Format("2006-01-02")), preservationCite)
	return true, nil
}
