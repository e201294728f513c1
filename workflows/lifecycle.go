package workflows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
)

// errWithdrawn ends a run whose request was withdrawn.
var errWithdrawn = errors.New("request withdrawn")

// lifecycle is the state and the steps the Request and Preservation workflows share: the legal clock,
// the timeline, status publication, the handlers for people's decisions, and withdrawal.
type lifecycle struct {
	in      RequestInput
	req     mla.Request
	timings mla.Timings
	// legal is the legal time: it advances by the legal duration of each step, never by the engine's
	// own processing time, so a timeline reads the same on every engine.
	legal  time.Time
	logger log.Logger

	status    mla.Status
	stage     string
	timeline  []mla.Event
	screening *mla.Screening
	// measures are the screenings of the further measures a person decides one by one.
	measures []MeasureScreening
	result   mla.Outcome

	// version is the version of message handling this run follows (see changeMessagesOnce).
	version workflow.Version
	// waiting names the update a person may send now; the inboxes hold what people sent.
	waiting      string
	decision     inbox[DecisionUpdate]
	consultation inbox[ConsultationAnswer]
	information  inbox[InformationAnswer]
	// confidentiality holds the requesting State's choice since changeRequesterDecides; unanswered, that
	// no choice came in time.
	confidentiality inbox[ConfidentialityAnswer]
	unanswered      bool
	withdrawal      *Withdrawal
	// delayDuty is the duty to say the request is late, once the screening found it; delayNoticed, once
	// said.
	delayDuty    *mla.Finding
	delayNoticed bool
	// received is the legal time the requested State registered the request.
	received time.Time
	cancel   workflow.CancelFunc
	// root is the workflow's own context, for a scripted withdrawal that cancels the run.
	root workflow.Context
	// updatesSeen counts the new information already recorded in the timeline.
	updatesSeen int
	// paused: in a training session, the trainer has paused the legal clock (SignalClock).
	paused bool
	// handUpdates is the new information a trainer fired (SignalNewInformation), at the legal time it came.
	handUpdates []mla.FactUpdate
}

// waitOutage waits out a provider outage in force at the current legal time.
func (l *lifecycle) waitOutage(ctx workflow.Context) error {
	for _, w := range l.req.Outages {
		if now := l.now(ctx); w.Contains(now) {
			l.record(ctx, "execution", "", mla.ActorProvider, l.req.To,
				fmt.Sprintf("%s is out of service until %s (scenario inject)", l.req.Provider.Label(), w.To.Format("2006-01-02 15:04")))
			if err := l.sleep(ctx, w.To.Sub(now)); err != nil {
				return err
			}
		}
	}
	return nil
}

func newLifecycle(ctx workflow.Context, in RequestInput) *lifecycle {
	r := in.Request
	l := &lifecycle{
		in: in, req: r,
		timings: mla.TimingsFor(r.Channel, r.Emergency || r.Kind == mla.KindEmergency),
		legal:   in.Clock.Start,
		status:  mla.StatusDrafted,
		// Most requests record between 8 and 16 events: one allocation instead of five.
		timeline: make([]mla.Event, 0, 16),
	}
	l.logger = log.With(workflow.GetLogger(ctx), "RequestID", r.ID, "Scenario", in.ScenarioID)
	if r.DecisionTimeout > 0 {
		l.timings.DecisionTimeout = r.DecisionTimeout.D()
	}
	if r.Provider.Latency > 0 {
		l.timings.Provider = r.Provider.Latency.D()
	}
	if r.Postponement > 0 {
		l.timings.Postponement = r.Postponement.D()
	}
	l.result = mla.Outcome{
		RequestID: r.ID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Title: r.Title, Kind: r.Kind,
		From: r.From, To: r.To, Channel: r.Channel, Basis: in.Basis.Basis, Sent: in.Clock.Start,
	}
	return l
}

// setup registers the queries and update handlers before the first blocking call, and returns the
// context every step runs in: cancelled when the request is withdrawn.
func (l *lifecycle) setup(ctx workflow.Context) (workflow.Context, error) {
	l.version = messagesVersion(ctx)
	legacy := l.version == workflow.DefaultVersion
	l.decision = inbox[DecisionUpdate]{name: UpdateDecide, legacy: legacy}
	l.consultation = inbox[ConsultationAnswer]{name: UpdateRespondConsultation, legacy: legacy}
	l.information = inbox[InformationAnswer]{name: UpdateAnswerInformation, legacy: legacy}
	l.confidentiality = inbox[ConfidentialityAnswer]{name: UpdateRespondConfidentiality}
	runCtx, cancel := workflow.WithCancel(ctx)
	l.cancel = cancel
	if l.in.Clock.HoldForPeople {
		clock := workflow.GetSignalChannel(ctx, SignalClock)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var c ClockSignal
				clock.Receive(ctx, &c)
				l.paused = c.Paused
			}
		})
		news := workflow.GetSignalChannel(ctx, SignalNewInformation)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var n NewInformation
				news.Receive(ctx, &n)
				l.handUpdates = append(l.handUpdates, mla.FactUpdate{At: l.legal, Note: n.Note, Set: n.Set})
			}
		})
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (StatusView, error) {
		v := StatusView{RequestID: l.req.ID, Status: l.status, Stage: l.stage, LegalTime: l.now(ctx), Waiting: l.waiting, Screening: l.screening, Measures: l.measures}
		if l.screening != nil {
			for _, f := range l.screening.Available() {
				v.Available = append(v.Available, f.Ground)
			}
		}
		return v, nil
	}); err != nil {
		return nil, err
	}
	if err := workflow.SetQueryHandler(ctx, QueryTimeline, func() ([]mla.Event, error) { return l.timeline, nil }); err != nil {
		return nil, err
	}
	if !l.in.Clock.Unreachable {
		// Offline no client can reach the run: registering the handlers, each of which costs the SDK a
		// yield, would change nothing. Live runs, and so every recorded history, always register them.
		if err := l.setupMessages(ctx); err != nil {
			return nil, err
		}
	}
	l.root = ctx
	return runCtx, nil
}

// setupMessages registers the handlers of the people's messages: a withdrawal, a decision, and the
// requesting State's answers.
func (l *lifecycle) setupMessages(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateWithdraw,
		func(ctx workflow.Context, w Withdrawal) (string, error) {
			l.withdraw(ctx, w)
			return "withdrawn", nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, w Withdrawal) error {
			if l.status.Final() || l.withdrawal != nil {
				return fmt.Errorf("request %s has already ended (%s)", l.req.ID, l.status)
			}
			return nil
		}}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateDecide,
		func(ctx workflow.Context, d DecisionUpdate) (string, error) {
			if err := l.decision.put(l.req.ID, d); err != nil {
				return "", err
			}
			return "decision recorded", nil
		},
		workflow.UpdateHandlerOptions{Validator: l.validateDecision}); err != nil {
		return err
	}
	if err := answerHandler(ctx, l, &l.consultation, "answer recorded"); err != nil {
		return err
	}
	if err := answerHandler(ctx, l, &l.confidentiality, "choice recorded"); err != nil {
		return err
	}
	if err := answerHandler(ctx, l, &l.information, "information recorded"); err != nil {
		return err
	}
	return nil
}

// requesterAnswer is the requesting State's answer to a step: a person's message in inbox b when a person
// plays its central authority (answered is false when none came within the decision timeout), or else
// script, after the time the simulated State takes to answer.
func requesterAnswer[T any](l *lifecycle, ctx workflow.Context, b *inbox[T], script T) (answer T, answered bool, err error) {
	if l.req.ModeOf(mla.ActorRequestingCA) == mla.ModeManual {
		ok, err := waitFor(l, ctx, b, l.timings.DecisionTimeout, l.vary("consult", l.timings.Consult))
		if err != nil || !ok {
			return answer, false, err
		}
		return b.take(), true, nil
	}
	if err := l.sleep(ctx, l.vary("consult", l.timings.Consult)); err != nil {
		return answer, false, err
	}
	return script, true, nil
}

// answerHandler takes the update that fills inbox b, from the requesting State's person: refused unless
// the workflow waits for it and the inbox is empty, then kept for the step, which acknowledges it.
func answerHandler[T any](ctx workflow.Context, l *lifecycle, b *inbox[T], ack string) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, b.name,
		func(ctx workflow.Context, a T) (string, error) {
			if err := b.put(l.req.ID, a); err != nil {
				return "", err
			}
			return ack, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, a T) error {
			return l.expect(b.name, b.refuse)
		}})
}

// expect rejects an update that the workflow is not waiting for, or whose step already has its answer.
func (l *lifecycle) expect(update string, refuse func(string) error) error {
	if l.waiting != update {
		waiting := l.waiting
		if waiting == "" {
			waiting = "nothing from a person"
		}
		return fmt.Errorf("request %s is not waiting for %q now (status %s; waiting for %s)", l.req.ID, update, l.status, waiting)
	}
	return refuse(l.req.ID)
}

func (l *lifecycle) validateDecision(ctx workflow.Context, d DecisionUpdate) error {
	if err := l.expect(UpdateDecide, l.decision.refuse); err != nil {
		return err
	}
	if err := mla.ValidateDecision(mla.Decision{Kind: d.Kind, Grounds: d.Grounds, Conditions: d.Conditions}, *l.screening); err != nil {
		return err
	}
	if len(d.Measures) == 0 {
		return nil
	}
	if len(l.measures) == 0 {
		return fmt.Errorf("this request has no further measure to decide one by one")
	}
	screenings := []mla.Screening{*l.screening}
	for _, m := range l.measures {
		screenings = append(screenings, m.Screening)
	}
	return mla.ValidateChoices(d.Measures, screenings)
}

func (l *lifecycle) withdraw(ctx workflow.Context, w Withdrawal) {
	l.withdrawal = &w
	l.record(ctx, "withdrawal", mla.StatusWithdrawn, mla.ActorRequestingCA, l.req.From,
		fmt.Sprintf("%s withdraws the request: %s", l.req.From, w.Reason),
		mla.Citation{RuleID: "uncc.40.no-longer-required", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(24)): the requesting State informs when assistance is no longer required", Tag: mla.TagUnconfirmed})
	l.cancel()
}

// now is the legal time.
func (l *lifecycle) now(workflow.Context) time.Time { return l.legal }

// withdrawDue returns the legal time left before a scripted withdrawal, and whether one is pending.
func (l *lifecycle) withdrawDue() (time.Duration, bool) {
	if l.req.WithdrawAfter <= 0 || l.withdrawal != nil || l.status.Final() {
		return 0, false
	}
	return l.in.Clock.Start.Add(l.req.WithdrawAfter.D()).Sub(l.legal), true
}

// scriptedWithdrawal withdraws the request at its scripted legal time and ends the run.
func (l *lifecycle) scriptedWithdrawal() error {
	l.legal = l.in.Clock.Start.Add(l.req.WithdrawAfter.D())
	l.withdraw(l.root, Withdrawal{Reason: "the requesting State no longer needs the assistance (scenario inject)"})
	return errWithdrawn
}

// sleep waits a legal duration. A scripted withdrawal that falls within it happens at its legal time, so
// it interrupts the same step on every engine.
func (l *lifecycle) sleep(ctx workflow.Context, legal time.Duration) error {
	if legal <= 0 {
		return nil
	}
	if left, ok := l.delayDue(); ok && left <= legal {
		left = max(left, 0) // passed while a person was deciding: said now
		if w, pending := l.withdrawDue(); !pending || w > left {
			if err := l.wallSleep(ctx, l.in.Clock.Wall(left), l.timerSummary(left)); err != nil {
				return err
			}
			l.legal = l.legal.Add(left)
			if err := l.noticeDelay(ctx); err != nil {
				return err
			}
			return l.sleep(ctx, legal-left)
		}
	}
	if left, ok := l.withdrawDue(); ok && left <= legal {
		if err := l.wallSleep(ctx, l.in.Clock.Wall(left), l.timerSummary(left)); err != nil {
			return err
		}
		return l.scriptedWithdrawal()
	}
	if err := l.wallSleep(ctx, l.in.Clock.Wall(legal), l.timerSummary(legal)); err != nil {
		return err
	}
	l.legal = l.legal.Add(legal)
	return nil
}

// untimed reports whether the request waits in legal time only (mla.Clock.Untimed): a request that
// talks to no other workflow, on an engine that asks for it.
func (l *lifecycle) untimed() bool {
	return l.in.Clock.Untimed && l.in.PreservationWorkflowID == "" && l.req.Kind != mla.KindPreservation
}

// delayDue returns the legal time left before the deadline the requesting State gave, and whether the
// requested State still owes a notice that the request is late.
func (l *lifecycle) delayDue() (time.Duration, bool) {
	if l.delayDuty == nil || l.delayNoticed || l.req.Deadline <= 0 || l.status.Final() {
		return 0, false
	}
	return l.in.Clock.Start.Add(l.req.Deadline.D()).Sub(l.legal), true
}

// noticeDelay tells the requesting State that the request is not executed within its deadline, and
// where it stands; a requesting State that no longer needs the assistance then says so, and the request
// is withdrawn.
func (l *lifecycle) noticeDelay(ctx workflow.Context) error {
	l.delayNoticed = true
	f := *l.delayDuty
	l.record(ctx, "delay", "", mla.ActorRequestedCA, l.req.To,
		fmt.Sprintf("%s informs %s that the request is not executed within the deadline of %s it gave: it stands at %s", l.req.To, l.req.From, l.req.Deadline, l.status),
		f.Citation())
	if !l.req.WithdrawsIfLate {
		return nil
	}
	l.withdraw(l.root, Withdrawal{Reason: "told that its deadline will not be met, it no longer needs the assistance"})
	return errWithdrawn
}

// timerSummary names a timer in the Web UI by the legal step it waits for and its legal date ("review:
// 3d of legal time, until 2027-03-13"), where the SDK would show "Sleep" and a duration in engine time.
// A summary is metadata of the timer's command, not part of what replay compares. Offline, where no Web
// UI reads a run, timers go without one.
func (l *lifecycle) timerSummary(legal time.Duration) string {
	if l.in.Clock.Unreachable {
		return ""
	}
	return fmt.Sprintf("%s: %s of legal time, until %s", l.stage, mla.FormatLegalDuration(legal), l.legal.Add(legal).Format("2006-01-02 15:04"))
}

// wallSleep sleeps an engine duration. In a training session (Clock.HoldForPeople) the trainer may pause
// the legal clock: the sleep stops while it is paused and takes up the time left when it resumes.
func (l *lifecycle) wallSleep(ctx workflow.Context, d time.Duration, summary string) error {
	if !l.in.Clock.HoldForPeople {
		if d <= 0 || l.untimed() {
			return nil
		}
		return workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: summary}).Get(ctx, nil)
	}
	for d > 0 {
		if err := workflow.Await(ctx, func() bool { return !l.paused }); err != nil {
			return err
		}
		t0 := workflow.Now(ctx)
		paused, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: d, TimerOptions: workflow.TimerOptions{Summary: summary}}, func() bool { return l.paused })
		if err != nil || !paused {
			return err
		}
		d -= workflow.Now(ctx).Sub(t0)
	}
	return nil
}

// await waits until cond holds or a legal timeout passes, and reports whether cond held. A wait that
// ends early advances legal time by the engine time it took, scaled. A scripted withdrawal due before
// the timeout ends the wait at its legal time.
func (l *lifecycle) await(ctx workflow.Context, timeout time.Duration, cond func() bool) (bool, error) {
	if left, ok := l.withdrawDue(); ok && left <= timeout {
		done, err := l.await0(ctx, left, cond)
		if err != nil || done {
			return done, err
		}
		return false, l.scriptedWithdrawal()
	}
	return l.await0(ctx, timeout, cond)
}

func (l *lifecycle) await0(ctx workflow.Context, timeout time.Duration, cond func() bool) (bool, error) {
	t0 := workflow.Now(ctx)
	ok, err := workflow.AwaitWithTimeout(ctx, l.in.Clock.Wall(timeout), cond)
	if err != nil {
		return false, err
	}
	if !ok {
		l.legal = l.legal.Add(timeout)
		return false, nil
	}
	waited := time.Duration(float64(workflow.Now(ctx).Sub(t0)) * l.in.Clock.Scale)
	if waited > timeout {
		waited = timeout
	}
	l.legal = l.legal.Add(waited)
	return true, nil
}

// vary applies the request's seeded variation (±30%) to a step's duration.
func (l *lifecycle) vary(key string, d time.Duration) time.Duration {
	return mla.Vary(l.in.Seed, l.req.ID+"/"+key, d, 0.3)
}

// record appends an event to the timeline and publishes the status.
func (l *lifecycle) record(ctx workflow.Context, stage string, status mla.Status, actor mla.Actor, state, text string, cites ...mla.Citation) {
	if status == "" {
		status = l.status
	}
	e := mla.Event{At: l.now(ctx), Stage: stage, Status: status, Actor: actor, State: state, Text: text, Citations: cites}
	l.timeline = append(l.timeline, e)
	l.stage = stage
	if status != l.status {
		l.status = status
		l.publishStatus(ctx)
	}
	if !l.in.Clock.Unreachable {
		// Offline, no one reads the details, and the engine drops the log (offline.Quiet) after the
		// call has built its line: about 2 KB a request.
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** · %s · legal time %s\n\n%s", l.status, stage, e.At.Format("2006-01-02 15:04"), text))
		l.logger.Info("lifecycle event", "stage", stage, "status", l.status, "actor", actor, "text", text)
	}
}

// publishStatus publishes the status as a search attribute, for the clients that list requests by status:
// none can reach an offline run, which publishes nothing.
func (l *lifecycle) publishStatus(ctx workflow.Context) {
	if l.in.Clock.Unreachable {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SAStatus.ValueSet(string(l.status))); err != nil {
		l.logger.Warn("publishing status", "error", err)
	}
}

// publishGrounds publishes the grounds a decision rests on.
func (l *lifecycle) publishGrounds(ctx workflow.Context, grounds []string) {
	if len(grounds) == 0 || l.in.Clock.Unreachable {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SAGrounds.ValueSet(grounds)); err != nil {
		l.logger.Warn("publishing grounds", "error", err)
	}
}

func (l *lifecycle) activityCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 5 * time.Second, MaximumAttempts: 5},
	})
}

// transmit sends something over the request's channel and records the transport acknowledgement ladder:
// submitted, delivered, acknowledged.
func (l *lifecycle) transmit(ctx workflow.Context, what, from, to string, ladder bool) error {
	receipt, err := l.transport(ctx, activities.TransmitInput{RequestID: l.req.ID, From: from, To: to, Channel: l.req.Channel, Kind: l.req.Kind, What: what})
	if err != nil {
		return err
	}
	actor := mla.ActorRequestingCA
	if l.req.Channel == mla.ChannelNetwork247 {
		actor = mla.ActorPoC247
	}
	if from == l.req.To {
		actor = mla.ActorRequestedCA
	}
	if ladder {
		l.record(ctx, "transmission", mla.StatusSubmitted, actor, from, receipt.Text, channelCitation(l.req.Channel))
	}
	if err := l.sleep(ctx, l.vary(what+"/send", l.timings.Send)); err != nil {
		return err
	}
	if !ladder {
		l.record(ctx, "transmission", "", actor, from, what+" delivered to "+to+" over the "+string(l.req.Channel)+" channel")
		return nil
	}
	l.record(ctx, "transmission", mla.StatusDelivered, actor, to, "the "+what+" reached "+to)
	if err := l.sleep(ctx, l.vary(what+"/ack", l.timings.Acknowledge)); err != nil {
		return err
	}
	l.record(ctx, "transmission", mla.StatusAcknowledged, receiverActor(l.req), to, to+" acknowledges receipt of the "+what)
	return nil
}

// transport has a message transmitted and returns its receipt: through the Transmit activity or,
// offline (mla.Clock.InProcess), by calling its code.
func (l *lifecycle) transport(ctx workflow.Context, in activities.TransmitInput) (activities.Receipt, error) {
	if l.in.Clock.InProcess {
		return activities.TransmitReceipt(in)
	}
	var receipt activities.Receipt
	err := workflow.ExecuteActivity(l.activityCtx(ctx), a.Transmit, in).Get(ctx, &receipt)
	return receipt, err
}

func receiverActor(r mla.Request) mla.Actor {
	if r.Channel == mla.ChannelNetwork247 {
		return mla.ActorPoC247
	}
	return mla.ActorRequestedCA
}

func channelCitation(ch mla.Channel) mla.Citation {
	switch ch {
	case mla.ChannelNetwork247:
		return mla.Citation{RuleID: "budapest.35", Article: "Budapest Art 35 (24/7 network; UNCC Art 41 [U])", Tag: mla.TagPrimary}
	case mla.ChannelInterpol:
		return mla.Citation{RuleID: "budapest.27.9.b", Article: "Budapest Art 27(9)(b)", Tag: mla.TagPrimary}
	case mla.ChannelJudicial:
		return mla.Citation{RuleID: "budapest.27.9.a", Article: "Budapest Art 27(9)(a)", Tag: mla.TagPrimary}
	case mla.ChannelDiplomatic:
		return mla.Citation{RuleID: "uncc.40.channels", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(13)): diplomatic channel", Tag: mla.TagUnconfirmed}
	}
	return mla.Citation{RuleID: "uncc.40.channels", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(13)); Budapest Art 27(2)", Tag: mla.TagUnconfirmed}
}

// screen runs the screening activity on the request as it stands: with the new information sent so far,
// under the policy the requested State applies on that date.
func (l *lifecycle) screen(ctx workflow.Context, r mla.Request, actor mla.Actor) (mla.Screening, error) {
	r, applied := l.asItStands(ctx, r)
	for ; l.updatesSeen < applied; l.updatesSeen++ {
		u := r.Updates[l.updatesSeen]
		l.record(ctx, "new information", "", mla.ActorRequestingCA, l.req.From,
			fmt.Sprintf("%s sent new information on %s: %s", l.req.From, u.At.Format("2006-01-02"), u.Note))
	}
	policy := mla.PolicyAt(l.in.Requested.Policy, r.PolicyChanges, l.now(ctx))
	l.record(ctx, "screening", mla.StatusScreening, actor, l.req.To, l.req.To+" screens the request under "+string(l.in.Basis.Basis)+" against the "+policy+" policy")
	s, err := l.runScreen(ctx, r, policy)
	if err != nil {
		return s, err
	}
	l.screening = &s
	l.result.Findings = s.Findings
	if workflow.GetVersion(ctx, changeCompactOutcome, workflow.DefaultVersion, 1) == 1 {
		l.result.Findings = briefFindings(s.Findings)
	}
	l.record(ctx, "screening", "", actor, l.req.To, screeningSummary(s), citationsOf(s.Available())...)
	return s, nil
}

// screenMeasure screens one further measure of the request: the request as it stands (cur: its missing
// contents answered, its postponement over), seeking that measure. The rules that fire join the
// outcome's; the findings it keeps are the first measure's.
func (l *lifecycle) screenMeasure(ctx workflow.Context, cur mla.Request, m mla.Measure, actor mla.Actor) (mla.Screening, error) {
	r, _ := l.asItStands(ctx, cur)
	r.Kind, r.DataKind, r.Measures = m.Kind, m.DataKind, nil
	s, err := l.runScreen(ctx, r, mla.PolicyAt(l.in.Requested.Policy, r.PolicyChanges, l.now(ctx)))
	if err != nil {
		return s, err
	}
	l.record(ctx, "screening", "", actor, l.req.To, fmt.Sprintf("%s screens the measure %s: %s", l.req.To, m, strings.TrimPrefix(screeningSummary(s), "screening: ")), citationsOf(s.Available())...)
	return s, nil
}

// asItStands is the request with the scripted and the trainer's new information applied up to now, and
// how many updates that applied.
func (l *lifecycle) asItStands(ctx workflow.Context, r mla.Request) (mla.Request, int) {
	if len(l.handUpdates) > 0 {
		r.Updates = append(slices.Clone(r.Updates), l.handUpdates...)
		slices.SortStableFunc(r.Updates, func(a, b mla.FactUpdate) int { return a.At.Compare(b.At) })
	}
	return mla.ApplyUpdates(r, l.now(ctx))
}

// runScreen screens r under policy, through the Screen activity or, offline, by calling its code
// (InProcess); the rules that fired join the outcome's.
func (l *lifecycle) runScreen(ctx workflow.Context, r mla.Request, policy string) (mla.Screening, error) {
	facts := mla.FactsFor(r, l.in.Requesting, l.in.Requested, l.in.Basis, l.now(ctx))
	in := activities.ScreenInput{Facts: facts, Policy: policy, PackSet: l.in.PackSet, Packs: l.in.Packs, SkipTags: l.in.SkipTags}
	var s mla.Screening
	if steps, ok := inProcess(ctx, l.in.Clock); ok {
		// Offline, the same activity code, called here: every pack is known before the run starts.
		var err error
		if s, err = steps.Screen(context.Background(), in); err != nil {
			return s, err
		}
	} else if err := workflow.ExecuteActivity(l.activityCtx(ctx), a.Screen, in).Get(ctx, &s); err != nil {
		return s, err
	}
	for _, f := range s.Findings {
		if !slices.Contains(l.result.Fired, f.RuleID) {
			l.result.Fired = append(l.result.Fired, f.RuleID)
		}
	}
	return s, nil
}

// briefFindings are findings without their explanatory text, for the outcome.
func briefFindings(fs []mla.Finding) []mla.Finding {
	out := make([]mla.Finding, len(fs))
	for i, f := range fs {
		f.Explain = ""
		out[i] = f
	}
	return out
}

func screeningSummary(s mla.Screening) string {
	var parts []string
	if a := s.Available(); len(a) > 0 {
		parts = append(parts, "grounds available: "+groundList(a))
	} else {
		parts = append(parts, "no ground for refusal available")
	}
	if b := s.Barred(); len(b) > 0 {
		parts = append(parts, "barred: "+groundList(b))
	}
	if inc := s.Incomplete(); len(inc) > 0 {
		parts = append(parts, "incomplete")
	}
	return "screening: " + strconv.Itoa(s.Evaluated) + " rules evaluated; " + strings.Join(parts, "; ")
}

func missingText(r mla.Request, requested mla.State, basis mla.Basis) string {
	var parts []string
	for _, m := range r.Missing(requested, basis) {
		parts = append(parts, m.Label)
	}
	return strings.Join(parts, "; ")
}

func groundList(fs []mla.Finding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Ground + " (" + f.Citation().String() + ")"
	}
	return strings.Join(parts, ", ")
}

func citationsOf(fs []mla.Finding) []mla.Citation {
	out := make([]mla.Citation, len(fs))
	for i, f := range fs {
		out[i] = f.Citation()
	}
	return out
}

// askInformation asks the requesting State for the missing contents and waits for the answer until the
// information deadline. It returns whether the answer came.
func (l *lifecycle) askInformation(ctx workflow.Context, s mla.Screening, actor mla.Actor) (bool, error) {
	inc := s.Incomplete()
	l.record(ctx, "additional information", mla.StatusAwaitingInfo, actor, l.req.To,
		fmt.Sprintf("%s asks %s for the missing contents (%s) within %s", l.req.To, l.req.From, missingText(l.req, l.in.Requested, l.in.Basis.Basis), mla.FormatLegalDuration(l.timings.InformationDeadline)),
		append(citationsOf(inc), mla.Citation{RuleID: "uncc.40.information", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(16))", Tag: mla.TagUnconfirmed})...)
	answered := false
	if l.req.ModeOf(mla.ActorRequestingCA) == mla.ModeManual {
		think := l.req.AnswerDelay.D()
		if think <= 0 {
			think = l.timings.Review
		}
		ok, err := waitFor(l, ctx, &l.information, l.timings.InformationDeadline, l.vary("answer", think))
		if err != nil {
			return false, err
		}
		if answered = ok; ok {
			l.information.take()
		}
	} else if l.req.AnswersInfo() && l.req.AnswerDelay.D() <= l.timings.InformationDeadline {
		if err := l.sleep(ctx, l.req.AnswerDelay.D()); err != nil {
			return false, err
		}
		answered = true
	} else if err := l.sleep(ctx, l.timings.InformationDeadline); err != nil {
		return false, err
	}
	if answered {
		l.record(ctx, "additional information", "", mla.ActorRequestingCA, l.req.From, fmt.Sprintf("%s sends the missing information", l.req.From))
	} else {
		l.record(ctx, "additional information", "", mla.ActorRequestedCA, l.req.To, fmt.Sprintf("no answer from %s within %s", l.req.From, mla.FormatLegalDuration(l.timings.InformationDeadline)))
	}
	return answered, nil
}

// waitFor opens an inbox, waits for a person's message until a legal timeout, and closes it; it reports
// whether a message came (the caller takes it).
func waitFor[T any](l *lifecycle, ctx workflow.Context, b *inbox[T], timeout time.Duration, think time.Duration) (bool, error) {
	l.waiting = b.name
	b.opened()
	var ok bool
	var err error
	if workflow.GetVersion(ctx, changePeopleHoldTheClock, workflow.DefaultVersion, 1) == 1 {
		ok, err = l.awaitPerson(ctx, timeout, think, b.filled)
	} else {
		ok, err = l.await(ctx, timeout, b.filled)
	}
	b.closed()
	l.waiting = ""
	return ok, err
}

// awaitPerson waits for a person's message. The legal clock does not follow the wall clock meanwhile:
// an answer advances legal time by the think budget (Script.ThinkBudget, else think, the time the
// simulated actor would take), capped by the timeout, in whole minutes. No answer within the timeout's
// wall time advances it by the timeout; in a training session (Clock.HoldForPeople) the wait has no
// deadline. A scripted withdrawal due within the timeout still ends the wait at its legal time.
func (l *lifecycle) awaitPerson(ctx workflow.Context, timeout, think time.Duration, cond func() bool) (bool, error) {
	if l.req.ThinkBudget > 0 {
		think = l.req.ThinkBudget.D()
	}
	think = min(think, timeout).Round(time.Minute)
	if l.in.Clock.HoldForPeople {
		if err := workflow.Await(ctx, cond); err != nil {
			return false, err
		}
		l.legal = l.legal.Add(think)
		return true, nil
	}
	left, due := l.withdrawDue()
	limit := timeout
	if due && left <= timeout {
		limit = left
	}
	summary := fmt.Sprintf("%s: waiting for a person (update %q), at most %s of legal time", l.stage, l.waiting, mla.FormatLegalDuration(limit))
	ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: l.in.Clock.Wall(limit), TimerOptions: workflow.TimerOptions{Summary: summary}}, cond)
	switch {
	case err != nil:
		return false, err
	case ok:
		l.legal = l.legal.Add(min(think, limit))
		return true, nil
	case due && left <= timeout:
		return false, l.scriptedWithdrawal()
	}
	l.legal = l.legal.Add(timeout)
	return false, nil
}

// decide takes the decision of the actor in role: a person's (through UpdateDecide) when the role is
// manual, else the State's policy after its review time. A person who does not decide in time leaves
// the decision to the policy, and the timeline says so.
func (l *lifecycle) decide(ctx workflow.Context, role mla.Actor, p mla.Proposal) (mla.Decision, error) {
	if l.req.ModeOf(role) == mla.ModeManual {
		l.record(ctx, "decision", mla.StatusAwaitDecision, role, l.req.To,
			fmt.Sprintf("waiting for the %s's decision (update %q); the policy would propose: %s", role, UpdateDecide, p.Decision.Kind))
		ok, err := waitFor(l, ctx, &l.decision, l.timings.DecisionTimeout, l.vary("review", l.timings.Review))
		if err != nil {
			return mla.Decision{}, err
		}
		if ok {
			return l.manualDecision(role, l.decision.take()), nil
		}
		l.record(ctx, "decision", "", mla.ActorSystem, l.req.To, fmt.Sprintf("no decision within %s: the %s policy decides", mla.FormatLegalDuration(l.timings.DecisionTimeout), l.in.Requested.Policy))
	} else if err := l.sleep(ctx, l.vary("review", l.timings.Review)); err != nil {
		return mla.Decision{}, err
	}
	d := p.Decision
	d.By = role
	return d, nil
}

func (l *lifecycle) manualDecision(role mla.Actor, u DecisionUpdate) mla.Decision {
	d := mla.Decision{Kind: u.Kind, Grounds: u.Grounds, Conditions: u.Conditions, Reasons: u.Reasons, By: role, Mode: mla.ModeManual, Choices: u.Measures}
	for _, g := range u.Grounds {
		if f, ok := l.screening.Ground(g); ok {
			d.Citations = append(d.Citations, f.Citation())
		} else if p, ok := l.screening.Postponement(); ok && p.Ground == g {
			d.Citations = append(d.Citations, p.Citation())
		}
	}
	if u.Kind == mla.DecisionPostpone {
		d.PostponeFor = mla.Duration(l.timings.Postponement)
		if u.PostponeFor > 0 {
			d.PostponeFor = u.PostponeFor
		}
	}
	if u.By != "" {
		d.Reasons = strings.TrimSpace(d.Reasons + " (decided by " + u.By + ")")
	}
	return d
}

// consult holds the consultation a duty requires before a refusal or postponement: the requested State
// proposes conditions, the requesting State accepts or declines them. A curable proposal accepted turns
// into a grant with conditions; otherwise the decision stands.
func (l *lifecycle) consult(ctx workflow.Context, d mla.Decision, curable bool, s mla.Screening) (mla.Decision, error) {
	duty, _ := dutyFinding(s, "consult")
	conds := d.Conditions
	if len(conds) == 0 {
		conds = []mla.Condition{mla.ConditionUseLimitation}
	}
	l.record(ctx, "consultation", mla.StatusConsultation, mla.ActorRequestedCA, l.req.To,
		fmt.Sprintf("before it would %s, %s consults %s and proposes conditions: %s", verb(d.Kind), l.req.To, l.req.From, joinConditions(conds)),
		duty.Citation())
	if err := l.transmit(ctx, "consultation", l.req.To, l.req.From, false); err != nil {
		return d, err
	}
	ans, answered, err := requesterAnswer(l, ctx, &l.consultation, ConsultationAnswer{Accept: l.req.AcceptsConditions})
	if err != nil {
		return d, err
	}
	if !answered && l.version >= 1 {
		l.record(ctx, "consultation", "", mla.ActorSystem, l.req.To, fmt.Sprintf("no answer from %s within %s: the conditions count as declined",
			l.req.From, mla.FormatLegalDuration(l.timings.DecisionTimeout)))
	}
	accept := answered && ans.Accept
	if accept {
		l.record(ctx, "consultation", "", mla.ActorRequestingCA, l.req.From, fmt.Sprintf("%s accepts the conditions and is bound by them", l.req.From),
			mla.Citation{RuleID: "uncc.40.consult", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(26))", Tag: mla.TagUnconfirmed})
	} else {
		l.record(ctx, "consultation", "", mla.ActorRequestingCA, l.req.From, fmt.Sprintf("%s declines the conditions", l.req.From))
	}
	if accept && curable {
		// A person's decisions on further measures stand (they exist only under changeMeasuresByPerson).
		return mla.Decision{Kind: mla.DecisionGrantConditions, Conditions: conds, Citations: d.Citations, Grounds: d.Grounds,
			Reasons: "granted on conditions agreed in consultation; " + d.Reasons, By: d.By, Mode: d.Mode, Choices: d.Choices}, nil
	}
	if accept {
		l.record(ctx, "consultation", "", mla.ActorRequestedCA, l.req.To, "conditions cannot remove the ground: the decision stands")
	}
	return d, nil
}

// informed carries out the duty f to inform the requesting State that its request cannot be kept
// confidential. Since changeRequesterDecides the requesting State then decides whether it should
// nevertheless be executed (askToProceed); before, the timeline said it proceeds. It reports whether the
// request goes on.
func (l *lifecycle) informed(ctx workflow.Context, f mla.Finding, decider mla.Actor) (bool, error) {
	if workflow.GetVersion(ctx, changeRequesterDecides, workflow.DefaultVersion, 1) == 1 {
		return l.askToProceed(ctx, f, decider)
	}
	l.record(ctx, "confidentiality", "", decider, l.req.To, f.Explain+" "+l.req.From+" decides to proceed.", f.Citation())
	return true, nil
}

// coordinate has the 24/7 point of contact, which is not part of the authority for mutual assistance,
// coordinate with that authority on an expedited basis, as the duty f requires.
func (l *lifecycle) coordinate(ctx workflow.Context, f mla.Finding) error {
	if workflow.GetVersion(ctx, changeCoordinateAndCosts, workflow.DefaultVersion, 1) != 1 {
		return nil
	}
	r := l.req
	if err := l.sleep(ctx, l.vary("coordinate", l.timings.Coordinate)); err != nil {
		return err
	}
	l.record(ctx, "coordination", "", mla.ActorPoC247, r.To,
		fmt.Sprintf("the 24/7 point of contact of %s, which is not part of its authority for mutual assistance, coordinates with that authority on an expedited basis", r.To),
		f.Citation())
	return nil
}

// refer has the authority that received a request it is not competent to deal with refer it to the
// competent authority, the central authority, and tell the requesting State directly, as the duty f
// requires (Budapest Art 27(9)(c)). The referral takes the time of a registration.
func (l *lifecycle) refer(ctx workflow.Context, f mla.Finding) error {
	if workflow.GetVersion(ctx, changeReferral, workflow.DefaultVersion, 1) != 1 {
		return nil
	}
	r := l.req
	why := "is not competent to deal with it"
	if f.RuleID == "budapest.27.9.e" {
		why = "is bound by its State's declaration that such requests go to the central authority"
	}
	l.record(ctx, "registration", "", mla.ActorJudge, r.To,
		fmt.Sprintf("the judicial authority of %s that received the request %s: it refers the request to the central authority of %s and tells %s directly", r.To, why, r.To, r.From),
		f.Citation())
	if err := l.transmit(ctx, "notice of referral", r.To, r.From, false); err != nil {
		return err
	}
	if err := l.sleep(ctx, l.vary("refer", l.timings.Register)); err != nil {
		return err
	}
	l.record(ctx, "registration", "", mla.ActorRequestedCA, r.To, fmt.Sprintf("the central authority of %s takes over the request", r.To), f.Citation())
	return nil
}

// consultCosts consults the requesting State on the terms under which a request that needs
// extraordinary expenses is executed and how the costs are borne, as the duty f requires, and reports
// whether the States agreed them: a person's answer to the consultation, or the scenario's script.
func (l *lifecycle) consultCosts(ctx workflow.Context, f mla.Finding) (bool, error) {
	if workflow.GetVersion(ctx, changeCoordinateAndCosts, workflow.DefaultVersion, 1) != 1 {
		return true, nil
	}
	r := l.req
	l.record(ctx, "consultation", mla.StatusConsultation, mla.ActorRequestedCA, r.To,
		fmt.Sprintf("executing the request needs extraordinary expenses: %s consults %s on the terms under which it will be executed and how the costs are borne", r.To, r.From),
		f.Citation())
	if err := l.transmit(ctx, "consultation on costs", r.To, r.From, false); err != nil {
		return false, err
	}
	ans, answered, err := requesterAnswer(l, ctx, &l.consultation, ConsultationAnswer{Accept: r.AgreesCosts()})
	if err != nil {
		return false, err
	}
	if !answered {
		l.record(ctx, "consultation", "", mla.ActorSystem, r.To, fmt.Sprintf("no answer from %s within %s: no terms are agreed",
			r.From, mla.FormatLegalDuration(l.timings.DecisionTimeout)), f.Citation())
		return false, nil
	}
	agreed := ans.Accept
	text := fmt.Sprintf("%s agrees the terms and how the extraordinary costs are borne", r.From)
	if !agreed {
		text = fmt.Sprintf("%s does not agree terms for the extraordinary costs", r.From)
	}
	l.record(ctx, "consultation", "", mla.ActorRequestingCA, r.From, text, f.Citation())
	return agreed, nil
}

// notGoingAhead closes a request the requesting State did not want to go ahead without its
// confidentiality. Since changeClosureStatus a closure line carries the final status, and a request whose
// requesting State never answered lapses (it did not withdraw it); before, both ended Withdrawn without
// a line of their own.
func (l *lifecycle) notGoingAhead(ctx workflow.Context) mla.Outcome {
	if workflow.GetVersion(ctx, changeClosureStatus, workflow.DefaultVersion, 1) != 1 {
		return l.finish(ctx, mla.StatusWithdrawn)
	}
	status, text := mla.StatusWithdrawn, fmt.Sprintf("the request is closed unexecuted: %s withdrew it", l.req.From)
	if l.unanswered {
		status, text = mla.StatusLapsed, fmt.Sprintf("the request is closed unexecuted: %s did not say whether it should go ahead", l.req.From)
	}
	l.record(ctx, "closure", status, mla.ActorRequestedCA, l.req.To, text)
	return l.finish(ctx, status)
}

// dutyFinding returns the screening's finding of a duty.
func dutyFinding(s mla.Screening, name string) (mla.Finding, bool) {
	for f := range s.Each(mla.EffectDuty) {
		if f.Duty == name {
			return f, true
		}
	}
	return mla.Finding{}, false
}

// askToProceed tells the requesting State that the requested State cannot keep the request
// confidential, as the duty f requires, and takes its choice whether the request should nevertheless be
// executed: a person's answer, or the scenario's script. It reports whether the request goes on; a
// manual requesting State that does not answer in time leaves it unexecuted.
func (l *lifecycle) askToProceed(ctx workflow.Context, f mla.Finding, decider mla.Actor) (bool, error) {
	r := l.req
	what, goAhead := "the request", "executed"
	if r.Kind == mla.KindSpontaneous {
		what, goAhead = "the information", "provided"
	}
	l.record(ctx, "confidentiality", "", decider, r.To,
		fmt.Sprintf("%s cannot keep %s confidential as %s asked, says so, and leaves it to %s whether %s should nevertheless be %s", r.To, what, r.From, r.From, what, goAhead),
		f.Citation())
	if err := l.transmit(ctx, "notice", r.To, r.From, false); err != nil {
		return false, err
	}
	ans, answered, err := requesterAnswer(l, ctx, &l.confidentiality, ConfidentialityAnswer{Proceed: r.ProceedsUnconfidential()})
	if err != nil {
		return false, err
	}
	if !answered {
		l.record(ctx, "confidentiality", "", mla.ActorSystem, r.To, fmt.Sprintf("no answer from %s within %s: %s is not %s without its confidentiality",
			r.From, mla.FormatLegalDuration(l.timings.DecisionTimeout), what, goAhead), f.Citation())
		l.unanswered = true
		return false, nil
	}
	proceed, note := ans.Proceed, ans.Note
	text := fmt.Sprintf("%s wants %s %s nevertheless", r.From, what, goAhead)
	if !proceed {
		text = fmt.Sprintf("%s does not want %s %s without its confidentiality and withdraws it", r.From, what, goAhead)
	}
	if note != "" {
		text += ": " + note
	}
	l.record(ctx, "confidentiality", "", mla.ActorRequestingCA, r.From, text, f.Citation())
	return proceed, nil
}

func verb(k mla.DecisionKind) string {
	switch k {
	case mla.DecisionPostpone:
		return "postpone"
	case mla.DecisionGrantConditions:
		return "grant only on conditions"
	}
	return "refuse"
}

func joinConditions(cs []mla.Condition) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = string(c)
	}
	return strings.Join(parts, ", ")
}

// refusalText explains a refusal: grounds with citations, reasons, and a warning when it rests on a rule
// whose source is unconfirmed.
func refusalText(state string, d mla.Decision) string {
	var tags []mla.Tag
	for _, c := range d.Citations {
		tags = append(tags, c.Tag)
	}
	text := fmt.Sprintf("%s refuses on %s. Reasons: %s", state, strings.Join(d.Grounds, ", "), d.Reasons)
	if len(tags) > 0 && mla.Weakest(tags...) == mla.TagUnconfirmed {
		text += " — this refusal rests on a rule tagged [U] (unconfirmed source)"
	}
	return text
}

// finishWithdrawn closes a withdrawn run; ctx must not be the cancelled one.
func (l *lifecycle) finish(ctx workflow.Context, status mla.Status) mla.Outcome {
	if l.status != status {
		l.status = status
		l.publishStatus(ctx)
	}
	l.result.Status = status
	l.result.Timeline = l.timeline
	l.result.Closed = l.now(ctx)
	if l.req.Deadline > 0 {
		met := !l.result.Closed.After(l.result.Sent.Add(l.req.Deadline.D())) && (status == mla.StatusCompleted || status == mla.StatusPartial)
		l.result.DeadlineMet = &met
	}
	return l.result
}

// closing reports whether err ended the run because of withdrawal, and gives the context to close in.
func (l *lifecycle) closing(ctx workflow.Context, err error) (workflow.Context, bool) {
	if l.withdrawal != nil && (temporal.IsCanceledError(err) || errors.Is(err, errWithdrawn) || err == nil) {
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		return dctx, true
	}
	return ctx, false
}
