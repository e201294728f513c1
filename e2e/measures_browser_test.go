package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/workflows"
)

// severalMeasures is a training scenario whose trainee, Borduria's central authority, decides a request
// of three measures one by one. The conduct is not criminal in Borduria, so dual criminality is a ground
// for each coercive measure.
const severalMeasures = `id: measures-seat
title: A trainee decides each measure
seed: 5
clock: {start: "2027-03-01", scale: 2d}
world:
  states:
    - {code: XA, name: Atlantis (fictional), fictional: true, uncc: none, budapest: "yes", policy: standard}
    - {code: XB, name: Borduria (fictional), fictional: true, uncc: none, budapest: "yes", policy: standard}
requests:
  - id: ring
    title: Subscriber data, stored content and real-time traffic of a fraud ring's account
    kind: stored-data
    data_kind: subscriber
    measures:
      - {kind: stored-data, data_kind: content}
      - {kind: real-time, data_kind: traffic}
    from: XA
    to: XB
    offence: {name: online fraud, category: fraud, max_penalty_years: 5, convention_offence: true, criminal_in_requested: false}
    actors: {requested-central-authority: manual}
    decision_timeout: 3650d
    expected: {status: PartiallyCompleted, grounds: [dual-criminality]}
`

// A trainee deciding a request of several measures finds each further measure in its own box with the
// grounds its screening found; a refusal of a measure without a ground is rejected in place (so is one
// without reasons, checked in train's tests); the
// trainee grants the first measure, refuses the second on dual criminality and lets the third follow the
// first, and the request ends partially completed with exactly those parts. Its histories replay.
func TestATraineeDecidesEachMeasureInTheBrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	browser := browserContext(t, ctx)
	s := start(t, "", 0)
	defer s.Stop()
	sc, err := scenarios.Parse("measures-seat.yaml", []byte(severalMeasures), nil, builtinRules(t))
	if err != nil {
		t.Fatal(err)
	}
	session, h, backend, seatOf := serveSession(t, ctx, s.Client, sc)
	seat := seatOf(mla.ActorRequestedCA, "XB")
	trainee := newPerson(t, browser)
	run(t, trainee, "Borduria's central authority joins", chromedp.Navigate(seat))
	run(t, browser, "the trainer starts the session", chromedp.Navigate(h.JoinURL(session.TrainerToken())),
		chromedp.WaitVisible(`//td[@class="joined" and contains(., "yes")]`), chromedp.Click(`#start`),
		chromedp.WaitVisible(`//strong[@id="session-state" and text()="running"]`))

	decide := `#req-ring form[data-action="decide"]`
	run(t, trainee, "the decision form arrives with a box for each further measure", chromedp.WaitVisible(decide),
		chromedp.WaitVisible(decide+` fieldset[data-measure="2"]`))
	form, err := chromedp.Run(trainee, chromedp.Text(decide))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Measure 2: stored-data (content)", "Measure 3: real-time (traffic)", "dual-criminality"} {
		if !strings.Contains(form, want) {
			t.Errorf("the decision form lacks %q:\n%s", want, form)
		}
	}
	screenshot(t, trainee, "seat-measures")
	second := decide + ` fieldset[data-measure="1"]`
	run(t, trainee, "a refusal of the second measure without a ground is rejected in place",
		chromedp.Click(decide+` input[name="kind"][value="grant"]`), chromedp.Click(second+` input[value="refuse"]`),
		chromedp.Click(decide+` button`),
		chromedp.WaitVisible(`//*[@id="req-ring"]//p[@class="error" and contains(., "Measure 2: a decision to refuse must name at least one ground")]`))
	run(t, trainee, "the trainee decides each measure",
		chromedp.WaitVisible(decide),
		chromedp.Click(decide+` input[name="kind"][value="grant"]`), chromedp.Click(second+` input[value="refuse"]`),
		chromedp.Click(second+` input[value="dual-criminality"]`),
		chromedp.SendKeys(decide+` textarea[name="reasons"]`, "the stored content is not obtainable without dual criminality"),
		chromedp.Click(decide+` button`),
		chromedp.WaitVisible(`//*[@id="req-ring"]//*[contains(., "measure 2: refuse on dual-criminality")]`))
	waitFor(t, 2*time.Minute, session.Finished)

	id := workflows.RequestWorkflowID(backend.RunID(), "ring")
	var out mla.Outcome
	if err := s.Client.GetWorkflow(ctx, id, "").Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	var parts []string
	if out.Decision != nil {
		for _, p := range out.Decision.Parts {
			parts = append(parts, p.Measure.String()+"="+map[bool]string{true: "granted", false: "refused " + strings.Join(p.Grounds, "+")}[p.Granted])
		}
	}
	if out.Status != mla.StatusPartial || strings.Join(parts, ", ") != "stored-data (subscriber)=granted, stored-data (content)=refused dual-criminality, real-time (traffic)=granted" {
		t.Fatalf("status %s, parts %v", out.Status, parts)
	}
	replayAndRecord(t, collectHistories(t, ctx, s.Client, backend.RunID(), workflows.ScenarioResult{Results: []mla.Outcome{{RequestID: "ring", Kind: mla.KindStoredData, WorkflowID: id}}}))
}
