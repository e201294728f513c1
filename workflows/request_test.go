package workflows_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

var start = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)

// clock runs one legal day per wall second; under time skipping that costs nothing.
var clock = mla.Clock{Start: start, Scale: 86400}

// newEnv returns a test environment with mlasim's workflows and the real activities registered.
func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	worker.Register(env, activities.New(engine(t)))
	return env
}

func state(code string, uncc mla.UNCCStatus, budapest mla.Tri, policy string) mla.State {
	return mla.State{Code: code, Name: code, UNCC: uncc, Budapest: budapest, Policy: policy, PreservationDays: 60}
}

// input builds a stored-data request from AA to ZZ under the UNCC (in force) with the given changes.
func input(t *testing.T, policy string, mutate func(*mla.Request)) workflows.RequestInput {
	t.Helper()
	r := mla.Request{ID: "r1", Title: "test request", From: "AA", To: "ZZ", Case: mla.Case{
		Kind: mla.KindStoredData, Channel: mla.ChannelCentralAuthority,
		Offence: mla.Offence{Name: "ransomware", Category: "ransomware", MaxPenaltyYears: 10, ConventionOffence: true, CriminalInRequested: true},
		Person:  mla.Person{Role: "suspect"},
	}}
	if mutate != nil {
		mutate(&r)
	}
	a := state("AA", mla.UNCCRatified, mla.No, "standard")
	b := state("ZZ", mla.UNCCRatified, mla.No, policy)
	choice, err := mla.SelectBasis(r.Case, a, b, start, mla.World{UNCCInForce: start.AddDate(0, -1, 0)}, "")
	if err != nil {
		t.Fatal(err)
	}
	return workflows.RequestInput{ScenarioID: "test", Planned: mla.Planned{Request: r, Requesting: a, Requested: b, Basis: choice, Seed: 7}, Clock: clock}
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) mla.Outcome {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res mla.Outcome
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func hasEvent(res mla.Outcome, stage, text string) bool {
	for _, e := range res.Timeline {
		if e.Stage == stage && strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}

// updateCallbacks records the outcome of an update sent during a test.
type updateCallbacks struct {
	rejected error
	accepted bool
	done     bool
}

func (u *updateCallbacks) Accept()                   { u.accepted = true }
func (u *updateCallbacks) Reject(err error)          { u.rejected = err }
func (u *updateCallbacks) Complete(_ any, err error) { u.done = true; u.rejected = err }
func sendUpdate(env *testsuite.TestWorkflowEnvironment, name string, arg any) *updateCallbacks {
	cb := &updateCallbacks{}
	env.UpdateWorkflow(name, "", cb, arg)
	return cb
}

func queryStatus(t *testing.T, env *testsuite.TestWorkflowEnvironment) workflows.StatusView {
	t.Helper()
	v, err := env.QueryWorkflow(workflows.QueryStatus)
	if err != nil {
		t.Fatal(err)
	}
	var s workflows.StatusView
	if err := v.Get(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGrantedRequestIsExecutedAndClosed(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", nil))
	res := result(t, env)
	if res.Status != mla.StatusCompleted || res.Decision.Kind != mla.DecisionGrant {
		t.Fatalf("status %s decision %+v", res.Status, res.Decision)
	}
	want := []mla.Status{mla.StatusDrafted, mla.StatusSubmitted, mla.StatusDelivered, mla.StatusAcknowledged, mla.StatusRegistered,
		mla.StatusScreening, mla.StatusExecuting, mla.StatusTransferring, mla.StatusCompleted}
	var got []mla.Status
	for _, e := range res.Timeline {
		if len(got) == 0 || got[len(got)-1] != e.Status {
			got = append(got, e.Status)
		}
	}
	if strings.Join(statusStrings(got), ",") != strings.Join(statusStrings(want), ",") {
		t.Errorf("status ladder %v, want %v", got, want)
	}
	for i := 1; i < len(res.Timeline); i++ {
		if res.Timeline[i].At.Before(res.Timeline[i-1].At) {
			t.Errorf("legal time goes back at event %d", i)
		}
	}
	if res.Evidence == "" || !res.Closed.After(res.Sent) {
		t.Errorf("evidence %q, sent %s closed %s", res.Evidence, res.Sent, res.Closed)
	}
}

func statusStrings(ss []mla.Status) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

func TestSameSeedSameTimeline(t *testing.T) {
	run := func() mla.Outcome {
		env := newEnv(t)
		env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) { r.Provider.FailureRate = 0.5 }))
		return result(t, env)
	}
	a, b := run(), run()
	if len(a.Timeline) != len(b.Timeline) {
		t.Fatalf("timelines differ in length: %d vs %d", len(a.Timeline), len(b.Timeline))
	}
	for i := range a.Timeline {
		if a.Timeline[i].At != b.Timeline[i].At || a.Timeline[i].Text != b.Timeline[i].Text {
			t.Fatalf("event %d differs: %+v vs %+v", i, a.Timeline[i], b.Timeline[i])
		}
	}
}

func TestJournalistConsultationThenRefusalWithReasons(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "strict-safeguards", func(r *mla.Request) {
		r.Offence = mla.Offence{Name: "false news", Category: "speech", MaxPenaltyYears: 5, CriminalInRequested: true}
		r.Person = mla.Person{Role: "journalist", ProtectedExpression: true}
		r.RequestingRecord = "documented"
		r.AcceptsConditions = true // even if accepted, conditions cannot cure this ground
	}))
	res := result(t, env)
	if res.Status != mla.StatusRefused {
		t.Fatalf("status %s", res.Status)
	}
	// The clause's paragraph, Art 40(22), comes from a secondary source [S]: the refusal cites it so, and
	// does not carry the warning a refusal on an unconfirmed rule does.
	if len(res.Grounds) == 0 || res.Grounds[0].RuleID != "uncc.40.nd" || res.Grounds[0].Tag != mla.TagSecondary || res.Grounds[0].Article != "UNCC Art 40(22)" {
		t.Errorf("grounds %v", res.Grounds)
	}
	if !hasEvent(res, "consultation", "consults AA") {
		t.Error("no consultation before the refusal")
	}
	if hasEvent(res, "decision", "rests on a rule tagged [U]") {
		t.Error("a refusal on an [S] rule is flagged as resting on an unconfirmed one")
	}
	if !hasEvent(res, "decision", "Reasons:") {
		t.Error("refusal without reasons")
	}
}

func TestConsultationAcceptedGrantsWithConditions(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
		r.OngoingInvestigation = true
		r.AcceptsConditions = true
	}))
	res := result(t, env)
	if res.Status != mla.StatusCompleted || res.Decision.Kind != mla.DecisionGrantConditions {
		t.Fatalf("status %s decision %+v", res.Status, res.Decision)
	}
	if !hasEvent(res, "consultation", "accepts the conditions") {
		t.Error("no acceptance recorded")
	}
}

func TestPostponementResumes(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
		r.OngoingInvestigation = true
		r.Postponement = mla.Duration(45 * mla.Day)
	}))
	res := result(t, env)
	if res.Status != mla.StatusCompleted {
		t.Fatalf("status %s", res.Status)
	}
	var postponed, resumed time.Time
	for _, e := range res.Timeline {
		if e.Status == mla.StatusPostponed && postponed.IsZero() {
			postponed = e.At
		}
		if strings.Contains(e.Text, "resumes the request") {
			resumed = e.At
		}
	}
	if postponed.IsZero() || resumed.Sub(postponed) != 45*mla.Day {
		t.Errorf("postponed %s resumed %s, want 45 days apart", postponed, resumed)
	}
}

func TestNoDualCriminalityGivesPartialAssistance(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) { r.Offence.CriminalInRequested = false }))
	res := result(t, env)
	if res.Status != mla.StatusPartial || res.Decision.Kind != mla.DecisionPartial {
		t.Fatalf("status %s decision %+v", res.Status, res.Decision)
	}
	if !strings.Contains(res.Evidence, "no coercive measure") {
		t.Errorf("evidence %q", res.Evidence)
	}
}

func TestManualDecisionThroughUpdate(t *testing.T) {
	env := newEnv(t)
	in := input(t, "permissive", func(r *mla.Request) {
		r.Person = mla.Person{Role: "journalist", ProtectedExpression: true}
		r.Signs = []mla.Sign{{Kind: mla.SignSelectiveProsecution, Source: "only critics of the government charged"}}
		r.BankSecrecy = true
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestedCA: mla.ModeManual, mla.ActorRequestingCA: mla.ModeManual}
	})
	var noGround, barred, unknown, early *updateCallbacks
	var good *updateCallbacks
	env.RegisterDelayedCallback(func() {
		// Before the screening nothing is awaited.
		early = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrant})
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		if s := queryStatus(t, env); s.Waiting != workflows.UpdateDecide {
			t.Errorf("waiting = %q at status %s", s.Waiting, s.Status)
		}
		noGround = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionRefuse})
		barred = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionRefuse, Grounds: []string{"bank-secrecy"}})
		unknown = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionRefuse, Grounds: []string{"essential-interests"}})
		good = sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionRefuse, Grounds: []string{"non-discrimination"}, Reasons: "the account belongs to a journalist", By: "trainee 1"})
	}, 25*time.Second)
	env.RegisterDelayedCallback(func() {
		sendUpdate(env, workflows.UpdateRespondConsultation, workflows.ConsultationAnswer{Accept: false})
	}, 40*time.Second)
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if early.rejected == nil || !strings.Contains(early.rejected.Error(), "not waiting") {
		t.Errorf("early decision: %v", early.rejected)
	}
	if noGround.rejected == nil || !strings.Contains(noGround.rejected.Error(), "must name at least one ground") {
		t.Errorf("decision without ground: %v", noGround.rejected)
	}
	if barred.rejected == nil || !strings.Contains(barred.rejected.Error(), "barred by uncc.40.bank-secrecy") {
		t.Errorf("barred ground: %v", barred.rejected)
	}
	if unknown.rejected == nil || !strings.Contains(unknown.rejected.Error(), "not found available") {
		t.Errorf("unavailable ground: %v", unknown.rejected)
	}
	if good.rejected != nil || !good.accepted {
		t.Fatalf("valid decision rejected: %v", good.rejected)
	}
	if res.Status != mla.StatusRefused || res.Decision.Mode != mla.ModeManual || !strings.Contains(res.Decision.Reasons, "trainee 1") {
		t.Fatalf("status %s decision %+v", res.Status, res.Decision)
	}
	if !hasEvent(res, "consultation", "declines the conditions") {
		t.Error("the manual requesting State's answer is missing")
	}
}

func TestManualDecisionTimesOutToPolicy(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
		r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestedCA: mla.ModeManual}
		r.DecisionTimeout = mla.Duration(10 * mla.Day)
	}))
	res := result(t, env)
	if res.Status != mla.StatusCompleted || !hasEvent(res, "decision", "no decision within 10d") {
		t.Fatalf("status %s; timeline %+v", res.Status, res.Timeline)
	}
}

func TestWithdrawalByUpdate(t *testing.T) {
	env := newEnv(t)
	var cb *updateCallbacks
	env.RegisterDelayedCallback(func() {
		cb = sendUpdate(env, workflows.UpdateWithdraw, workflows.Withdrawal{Reason: "suspect arrested"})
	}, 15*time.Second)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", nil))
	res := result(t, env)
	if cb.rejected != nil || res.Status != mla.StatusWithdrawn {
		t.Fatalf("update %v, status %s", cb.rejected, res.Status)
	}
	if !hasEvent(res, "withdrawal", "suspect arrested") {
		t.Error("no withdrawal event")
	}
}

func TestIncompleteRequestAnsweredOrRefused(t *testing.T) {
	t.Run("answered", func(t *testing.T) {
		env := newEnv(t)
		env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
			r.Omitted = []string{"facts"}
			r.AnswerDelay = mla.Duration(5 * mla.Day)
		}))
		res := result(t, env)
		if res.Status != mla.StatusCompleted || !hasEvent(res, "additional information", "sends the missing information") {
			t.Fatalf("status %s", res.Status)
		}
	})
	t.Run("unanswered", func(t *testing.T) {
		env := newEnv(t)
		env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
			r.Omitted = []string{"facts", "purpose"}
			r.AnswersInformation = new(false)
		}))
		res := result(t, env)
		if res.Status != mla.StatusRefused || res.Decision.Grounds[0] != "non-conformity" {
			t.Fatalf("status %s decision %+v", res.Status, res.Decision)
		}
	})
}

func TestProviderFailuresAreRetriedThenExecutionFails(t *testing.T) {
	t.Run("retried", func(t *testing.T) {
		// With seed 3, request r1's first call to a provider failing 60% of calls fails and the
		// second succeeds (mla.Chance is the only source of variation; its values are pinned in mla).
		env := newEnv(t)
		in := input(t, "standard", func(r *mla.Request) {
			r.Provider = mla.Provider{Name: "P", FailureRate: 0.6, MaxAttempts: 20}
		})
		in.Seed = 3
		env.ExecuteWorkflow(workflows.RequestWorkflow, in)
		res := result(t, env)
		if res.Status != mla.StatusCompleted || res.ProviderAttempts != 2 || !hasEvent(res, "execution", "(after 2 attempts)") {
			t.Fatalf("status %s after %d attempts, want Completed after 2", res.Status, res.ProviderAttempts)
		}
	})
	t.Run("exhausted", func(t *testing.T) {
		env := newEnv(t)
		env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
			r.Provider = mla.Provider{Name: "P", FailureRate: 1, MaxAttempts: 3}
		}))
		res := result(t, env)
		if res.Status != mla.StatusFailed || res.ProviderAttempts != 3 || !hasEvent(res, "execution", "informs AA") {
			t.Fatalf("status %s after %d attempts", res.Status, res.ProviderAttempts)
		}
	})
}

func TestEmergencyCompletesWithinHours(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) {
		r.Kind = mla.KindEmergency
		r.Channel = mla.ChannelNetwork247
		r.Emergency = true
		r.Deadline = mla.Duration(12 * time.Hour)
	}))
	res := result(t, env)
	if res.Status != mla.StatusCompleted || res.DeadlineMet == nil || !*res.DeadlineMet {
		t.Fatalf("status %s deadline met %v", res.Status, res.DeadlineMet)
	}
	if took := res.Closed.Sub(res.Sent); took > 12*time.Hour {
		t.Errorf("took %s", took)
	}
}

func TestSpontaneousInformationIsReceived(t *testing.T) {
	env := newEnv(t)
	env.ExecuteWorkflow(workflows.RequestWorkflow, input(t, "standard", func(r *mla.Request) { r.Kind = mla.KindSpontaneous }))
	if res := result(t, env); res.Status != mla.StatusReceived {
		t.Fatalf("status %s", res.Status)
	}
}

// The workflow ID helpers give the IDs the follow-up link relies on.
func TestWorkflowIDs(t *testing.T) {
	s := workflows.ScenarioWorkflowID("demo", "abc")
	if got := workflows.RequestWorkflowID(s, "r1"); got != "scenario/demo/abc/r1" {
		t.Fatal(got)
	}
	var _ client.Client
}

// A request citing a basis that does not bind the pair is handled under the one that applies, and the
// timeline says so at drafting.
func TestCitedBasisFallbackIsInTheTimeline(t *testing.T) {
	env := newEnv(t)
	in := input(t, "standard", nil)
	choice, err := mla.SelectBasis(in.Request.Case, in.Requesting, in.Requested, start, mla.World{}, mla.BasisUNCC) // UNCC not in force
	if err != nil {
		t.Fatal(err)
	}
	in.Basis = choice
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if res.Basis != mla.BasisComity || !hasEvent(res, "drafting", "AA cites uncc, which does not bind AA and ZZ") {
		t.Errorf("basis %s, timeline %v", res.Basis, res.Timeline)
	}
}

// A bilateral treaty whose stated terms list no political-offence ground takes Art 27's place: the
// political offence that Art 27(4)(a) would let the standard policy refuse is granted, the timeline names
// the treaty and its terms at drafting, and the treaty's duty to give reasons is the one that applies.
func TestATreatysOwnTermsReplaceArticle27(t *testing.T) {
	for _, withTreaty := range []bool{false, true} {
		t.Run(fmt.Sprintf("treaty=%v", withTreaty), func(t *testing.T) {
			env := newEnv(t)
			in := input(t, "standard", func(r *mla.Request) {
				r.Offence = mla.Offence{Name: "defacement", Category: "illegal-access", Motive: mla.MotivePolitical, MaxPenaltyYears: 5, ConventionOffence: true, CriminalInRequested: true}
			})
			budapestOnly(t, &in)
			if withTreaty {
				w := mla.World{Treaties: []mla.Treaty{{Parties: "AA-ZZ", Name: "the AA-ZZ treaty", Grounds: []string{"essential-interests"},
					Duties: []string{"reasons"}, Source: "hypothesis of the test", Stated: true}}}
				choice, err := mla.SelectBasis(in.Request.Case, in.Requesting, in.Requested, start, w, "")
				if err != nil {
					t.Fatal(err)
				}
				in.Basis = choice
			}
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			res := result(t, env)
			line := hasEvent(res, "drafting", "the AA-ZZ treaty binds AA and ZZ and covers the offence; its terms, as the scenario states them (hypothesis of the test): grounds essential-interests; duties reasons; conditions none; they apply in place of Budapest Art 27(2)-(9)")
			if withTreaty != line {
				t.Errorf("treaty line %v, timeline %v", line, res.Timeline)
			}
			want := mla.StatusRefused
			if withTreaty {
				want = mla.StatusCompleted
			}
			if res.Status != want {
				t.Errorf("status %s, want %s (timeline %v)", res.Status, want, res.Timeline)
			}
		})
	}
}

// A person who takes hours of wall time over a decision does not move the legal clock by those hours:
// the answer takes the think budget, in whole minutes; in a training session the wait has no deadline.
func TestPeopleHoldTheClock(t *testing.T) {
	for _, hold := range []bool{false, true} {
		t.Run(fmt.Sprintf("hold=%v", hold), func(t *testing.T) {
			env := newEnv(t)
			in := input(t, "standard", func(r *mla.Request) {
				r.Actors = map[mla.Actor]mla.Mode{mla.ActorRequestedCA: mla.ModeManual}
				r.DecisionTimeout = mla.Duration(3650 * mla.Day)
				r.ThinkBudget = mla.Duration(2 * mla.Day)
			})
			in.Clock.HoldForPeople = hold
			// Thirty minutes of wall time (1,800 legal days at this scale, within the timeout); in a
			// training session, three hours (beyond it).
			think := 30 * time.Minute
			if hold {
				think = 3 * time.Hour
			}
			var waitedAt time.Time
			env.RegisterDelayedCallback(func() {
				s := queryStatus(t, env)
				if s.Waiting != workflows.UpdateDecide {
					t.Errorf("waiting = %q", s.Waiting)
				}
				waitedAt = s.LegalTime
				sendUpdate(env, workflows.UpdateDecide, workflows.DecisionUpdate{Kind: mla.DecisionGrant, By: "trainee"})
			}, think)
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			res := result(t, env)
			var decided time.Time
			for _, e := range res.Timeline {
				if e.Stage == "decision" && strings.Contains(e.Text, "grants") {
					decided = e.At
				}
				if e.At.Truncate(time.Minute) != e.At {
					t.Errorf("sub-minute legal stamp %s: %s", e.At, e.Text)
				}
			}
			if got := decided.Sub(waitedAt); got != 2*mla.Day {
				t.Errorf("the decision took %s of legal time, want the think budget of 2d (waited at %s, decided at %s)", got, waitedAt, decided)
			}
		})
	}
}

// In a training session the trainer pauses the legal clock: the request stops while paused and, resumed,
// lives the same legal timeline as without the pause, only later in wall time.
func TestPauseHoldsTheLegalClock(t *testing.T) {
	run := func(pause bool) (mla.Outcome, time.Duration) {
		env := newEnv(t)
		in := input(t, "standard", nil)
		in.Clock.HoldForPeople = true
		var during workflows.StatusView
		if pause {
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalClock, workflows.ClockSignal{Paused: true}) }, 3*time.Second)
			env.RegisterDelayedCallback(func() { during = queryStatus(t, env) }, 10*time.Hour)
			env.RegisterDelayedCallback(func() {
				if now := queryStatus(t, env); !now.LegalTime.Equal(during.LegalTime) || now.Status != during.Status {
					t.Errorf("the legal clock ran while paused: %s %s, then %s %s", during.LegalTime, during.Status, now.LegalTime, now.Status)
				}
				env.SignalWorkflow(workflows.SignalClock, workflows.ClockSignal{Paused: false})
			}, 20*time.Hour)
		}
		t0 := env.Now()
		env.ExecuteWorkflow(workflows.RequestWorkflow, in)
		return result(t, env), env.Now().Sub(t0)
	}
	plain, plainWall := run(false)
	paused, pausedWall := run(true)
	if len(plain.Timeline) != len(paused.Timeline) || plain.Status != paused.Status {
		t.Fatalf("the pause changed the lifecycle: %d events %s, then %d events %s", len(plain.Timeline), plain.Status, len(paused.Timeline), paused.Status)
	}
	for i := range plain.Timeline {
		if !plain.Timeline[i].At.Equal(paused.Timeline[i].At) || plain.Timeline[i].Text != paused.Timeline[i].Text {
			t.Errorf("event %d: %s %q, paused %s %q", i, plain.Timeline[i].At, plain.Timeline[i].Text, paused.Timeline[i].At, paused.Timeline[i].Text)
		}
	}
	if pausedWall < plainWall+16*time.Hour {
		t.Errorf("the paused run took %s of engine time, the plain one %s: the pause did not hold it", pausedWall, plainWall)
	}
}

// New information a trainer fires reaches the next screening, and the timeline says so.
func TestNewInformationFiredByHand(t *testing.T) {
	env := newEnv(t)
	in := input(t, "strict-safeguards", nil)
	in.Clock.HoldForPeople = true
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalNewInformation, workflows.NewInformation{Note: "a minister calls the suspect a traitor",
			Set: mla.CasePatch{Signs: &[]mla.Sign{{Kind: mla.SignStatement, Source: "minister's speech"}}}})
	}, time.Second)
	env.ExecuteWorkflow(workflows.RequestWorkflow, in)
	res := result(t, env)
	if !hasEvent(res, "new information", "a minister calls the suspect a traitor") {
		t.Errorf("no new information in the timeline: %+v", res.Timeline)
	}
	if res.Status != mla.StatusRefused || res.Decision.Grounds[0] != "non-discrimination" {
		t.Errorf("status %s decision %+v", res.Status, res.Decision)
	}
}

// A run no client can reach (the offline engine) registers no handler for people's messages: a
// withdrawal is refused as an unknown update, and the request runs to its end. A reachable run takes it.
func TestAnUnreachableRunTakesNoMessages(t *testing.T) {
	for _, unreachable := range []bool{false, true} {
		env := newEnv(t)
		in := input(t, "standard", nil)
		in.Clock.Unreachable = unreachable
		var cb *updateCallbacks
		env.RegisterDelayedCallback(func() {
			cb = sendUpdate(env, workflows.UpdateWithdraw, workflows.Withdrawal{Reason: "no longer needed"})
		}, time.Nanosecond)
		env.ExecuteWorkflow(workflows.RequestWorkflow, in)
		res := result(t, env)
		if unreachable {
			if cb == nil || cb.rejected == nil || !strings.Contains(cb.rejected.Error(), "unknown update") {
				t.Errorf("an unreachable run took a withdrawal: %+v", cb)
			}
			if res.Status != mla.StatusCompleted {
				t.Errorf("unreachable: status %s", res.Status)
			}
		} else if cb == nil || !cb.accepted || res.Status != mla.StatusWithdrawn {
			t.Errorf("a reachable run refused the withdrawal: %+v, status %s", cb, res.Status)
		}
	}
}
