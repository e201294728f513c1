package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/workflows"
)

// messages is a scenario whose people act through every Update the workflows take: a manual requested
// authority decides (three decisions sent at once), a manual requesting authority answers a request for
// information and two consultations (on conditions, and on extraordinary costs) and decides whether a
// request it cannot have kept confidential goes ahead, a request is withdrawn, a preservation is extended.
const messages = `id: messages
title: People's messages as Temporal Updates
seed: 17
clock: {start: "2027-03-01", scale: 5d, uncc_in_force: "2027-01-01"}
world:
  states:
    - {code: XA, name: Atlantis (fictional), fictional: true, uncc: ratified, budapest: "yes", second_protocol: true, policy: standard}
    - {code: XB, name: Borduria (fictional), fictional: true, uncc: ratified, policy: standard, languages: [bd, en], law: {min_penalty: {interception: 4}, source: hypothesis of the test}}
    - {code: XC, name: Carpania (fictional), fictional: true, uncc: none, budapest: "yes", policy: standard}
    - {code: XD, name: Dalmatia (fictional), fictional: true, uncc: none, budapest: "yes", second_protocol: true, policy: standard}
  treaties:
    - {parties: XA-XD, name: Atlantis-Dalmatia MLA treaty (fictional), grounds: [essential-interests], duties: [reasons], source: hypothesis of the test}
requests:
  - id: decided
    title: subscriber data for an offence that is not criminal in XB
    kind: stored-data
    from: XA
    to: XB
    omitted: [facts]
    offence: {name: online gambling, category: gambling, max_penalty_years: 5, criminal_in_requested: false}
    actors: {requested-central-authority: manual, requesting-central-authority: manual}
    decision_timeout: 365d
    expected: {status: Refused, grounds: [dual-criminality]}
  - id: withdrawn
    title: a request its sender withdraws
    kind: stored-data
    from: XA
    to: XB
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: Withdrawn}
  - id: extended
    title: a preservation its sender extends
    kind: preservation
    from: XA
    to: XB
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: EvidenceLost}
  - id: unconfidential
    title: a request XB cannot keep confidential, which its sender then withdraws
    kind: stored-data
    from: XA
    to: XB
    confidential: true
    cannot_keep_confidential: true
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    actors: {requesting-central-authority: manual}
    decision_timeout: 365d
    expected: {status: Withdrawn}
  - id: costly
    title: a request whose execution needs extraordinary expenses, their terms agreed in consultation
    kind: stored-data
    from: XA
    to: XB
    extraordinary_costs: true
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    actors: {requesting-central-authority: manual}
    decision_timeout: 365d
    expected: {status: Completed}
  - id: measures
    title: subscriber data and an interception, which XB's law allows only for graver offences
    kind: stored-data
    data_kind: subscriber
    measures: [{kind: interception, data_kind: content}]
    from: XA
    to: XB
    offence: {name: fraud, category: fraud, max_penalty_years: 3, convention_offence: true, criminal_in_requested: true}
    expected: {status: PartiallyCompleted, grounds: [measure-unavailable]}
  - id: tip-off
    title: spontaneous information XC cannot keep confidential, which its sender provides nevertheless
    kind: spontaneous
    from: XA
    to: XC
    confidential: true
    cannot_keep_confidential: true
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    actors: {requesting-central-authority: manual}
    decision_timeout: 365d
    expected: {status: Received}
  - id: referred
    title: an urgent request sent straight to a court of XC that is not competent, referred to XC's central authority
    kind: stored-data
    channel: judicial
    misdirected: true
    from: XA
    to: XC
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: Completed}
  - id: treaty
    title: a political defacement, under a treaty whose terms have no political-offence ground
    kind: stored-data
    from: XA
    to: XD
    offence: {name: defacement, category: illegal-access, motive: political, max_penalty_years: 5, convention_offence: true, criminal_in_requested: true}
    expected: {status: Completed}
  - id: direct
    title: an order straight to a provider in XD for subscriber information
    kind: direct-order
    data_kind: subscriber
    from: XA
    to: XD
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: Completed}
  - id: no-basis
    title: an order straight to a provider in XC, which the Second Additional Protocol does not bind
    kind: direct-order
    data_kind: subscriber
    from: XA
    to: XC
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: NoLegalBasis}
  - id: late
    title: a request whose deadline passes in transmission, which its sender then no longer needs
    kind: stored-data
    from: XA
    to: XC
    deadline: 10d
    withdraws_if_late: true
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: Withdrawn}
  - id: open-source
    title: a public web page stored in XD, read without XD's authorisation
    kind: direct-access
    access: open-source
    from: XA
    to: XD
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: Completed}
  - id: registrar
    title: the registrant of a domain, asked of a domain name registrar in XD
    kind: domain-name
    data_kind: registration
    from: XA
    to: XD
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: Completed}
  - id: given-effect
    title: an order for traffic data that XD gives effect to and serves on its provider
    kind: production-order
    data_kind: traffic
    from: XA
    to: XD
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: Completed}
  - id: translated
    title: an oral request in a language XB does not accept, put in writing and translated on XB's request
    kind: stored-data
    from: XA
    to: XB
    form: oral
    language: at
    offence: {name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}
    expected: {status: Completed}
`

// TestPeopleActThroughUpdates runs the messages scenario on the embedded server, acting as the people
// would, checks each request's outcome, replays every history, and (with -record-histories) adds the
// histories to those the replay test guards.
func TestPeopleActThroughUpdates(t *testing.T) {
	s := start(t, "", 0)
	defer s.Stop()
	sc, err := scenarios.Parse("messages.yaml", []byte(messages), nil, builtinRules(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, s.Client, sc)
	if err != nil {
		t.Fatal(err)
	}
	id := run.RequestWorkflowID
	update := func(wf, name string, arg any) error {
		h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: wf, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		return err
	}
	waitStatus := func(wf string, ok func(workflows.StatusView) bool) {
		t.Helper()
		waitFor(t, time.Minute, func() bool {
			v, err := s.Client.QueryWorkflow(ctx, wf, "", workflows.QueryStatus)
			var st workflows.StatusView
			return err == nil && v.Get(&st) == nil && ok(st)
		})
	}
	waiting := func(name string) func(workflows.StatusView) bool {
		return func(st workflows.StatusView) bool { return st.Waiting == name }
	}

	waitStatus(id("withdrawn"), func(st workflows.StatusView) bool {
		return st.Status == mla.StatusRegistered || st.Status == mla.StatusScreening
	})
	if err := update(id("withdrawn"), workflows.UpdateWithdraw, workflows.Withdrawal{Reason: "the suspect confessed"}); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	waitStatus(id("unconfidential"), waiting(workflows.UpdateRespondConfidentiality))
	if err := update(id("unconfidential"), workflows.UpdateRespondConfidentiality, workflows.ConfidentialityAnswer{Proceed: false, Note: "the suspect must not learn of it"}); err != nil {
		t.Fatalf("confidentiality: %v", err)
	}
	waitStatus(id("tip-off"), waiting(workflows.UpdateRespondConfidentiality))
	if err := update(id("tip-off"), workflows.UpdateRespondConfidentiality, workflows.ConfidentialityAnswer{Proceed: true, Note: "the lead is worth more than its secrecy"}); err != nil {
		t.Fatalf("spontaneous information: %v", err)
	}
	waitStatus(id("costly"), waiting(workflows.UpdateRespondConsultation))
	if err := update(id("costly"), workflows.UpdateRespondConsultation, workflows.ConsultationAnswer{Accept: true, Note: "we bear the costs of the copy"}); err != nil {
		t.Fatalf("consultation on costs: %v", err)
	}
	waitStatus(id("extended"), func(st workflows.StatusView) bool { return st.Status == mla.StatusPreserved })
	if err := update(id("extended"), workflows.UpdateExtend, workflows.Extension{For: mla.Duration(30 * mla.Day)}); err != nil {
		t.Fatalf("extend: %v", err)
	}
	waitStatus(id("decided"), waiting(workflows.UpdateAnswerInformation))
	if err := update(id("decided"), workflows.UpdateAnswerInformation, workflows.InformationAnswer{Note: "the facts, as asked"}); err != nil {
		t.Fatalf("answer information: %v", err)
	}
	waitStatus(id("decided"), waiting(workflows.UpdateDecide))
	// Three people decide at once: exactly one decision is applied and acknowledged.
	decisions := []workflows.DecisionUpdate{
		{Kind: mla.DecisionRefuse, Grounds: []string{"dual-criminality"}, Reasons: "not an offence here", By: "trainee A"},
		{Kind: mla.DecisionRefuse, Grounds: []string{"dual-criminality"}, Reasons: "no dual criminality", By: "trainee B"},
		{Kind: mla.DecisionRefuse, Grounds: []string{"dual-criminality"}, Reasons: "refused", By: "trainee C"},
	}
	errs := make([]error, len(decisions))
	var wg sync.WaitGroup
	for i, d := range decisions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = update(id("decided"), workflows.UpdateDecide, d)
		}()
	}
	wg.Wait()
	acked := 0
	for i, err := range errs {
		switch {
		case err == nil:
			acked++
		case !strings.Contains(err.Error(), "already has an answer") && !strings.Contains(err.Error(), "not waiting"):
			t.Errorf("decision %d refused for an unexpected reason: %v", i, err)
		}
	}
	if acked != 1 {
		t.Fatalf("%d of 3 concurrent decisions acknowledged (errors %v), want exactly 1", acked, errs)
	}
	waitStatus(id("decided"), waiting(workflows.UpdateRespondConsultation))
	if err := update(id("decided"), workflows.UpdateRespondConsultation, workflows.ConsultationAnswer{Accept: false, Note: "we cannot accept"}); err != nil {
		t.Fatalf("consultation: %v", err)
	}

	res, err := run.Results(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	truth := sc.Truth()
	for _, r := range res.Results {
		if ok, why := truth[r.RequestID].Expected.Met(r); !ok {
			t.Errorf("%s: %s; got %s %+v", r.RequestID, why, r.Status, r.Decision)
		}
	}
	d := byID(res, "decided")
	if d.Decision == nil || d.Decision.Mode != mla.ModeManual || !strings.Contains(d.Decision.Reasons, "decided by trainee") {
		t.Errorf("decision %+v", d.Decision)
	}
	if e := byID(res, "extended"); !strings.Contains(timelineText(e), "data now kept until") {
		t.Errorf("extension not in the timeline: %s", timelineText(e))
	}

	replayAndRecord(t, collectHistories(t, ctx, s.Client, run.ID(), res))
}

func timelineText(o mla.Outcome) string {
	var b strings.Builder
	for _, e := range o.Timeline {
		b.WriteString(e.Text + "\n")
	}
	return b.String()
}
