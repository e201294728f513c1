package e2e

import (
	"context"
	"encoding/base64"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/train"
	"github.com/mlasim/mlasim/workflows"
)

// chromium finds the browser for the browser tests: MLASIM_CHROMIUM when set (CI sets it, so a missing
// browser fails there), else chromium on the PATH; without one the test is skipped here.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MLASIM_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("MLASIM_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("the browser tests need Chromium (Debian: apt-get install chromium; or set MLASIM_CHROMIUM)")
	return ""
}

// browserContext starts headless Chromium with the flags this machine needs, and returns a context for
// its first tab.
func browserContext(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.WindowSize(1280, 1000))
	alloc, cancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancel)
	b, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// newPerson opens a new browser context (its own cookies, as another person's browser would have).
func newPerson(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	c, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run opens the tab, which lives as long as the context of that run: give it no timeout.
	if err := chromedp.Do(c); err != nil {
		t.Fatal(err)
	}
	return c
}

// screenshot saves a page to MLASIM_SCREENSHOTS, when set, for people to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("MLASIM_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.outerHTML : ""`))
		t.Fatalf("%s: %v\npage:\n%.3000s", what, err, html)
	}
}

// serveSession starts a training session of sc on the Temporal server c reaches, serves its pages until
// the test ends, and returns a seat's join link by role and State.
func serveSession(t *testing.T, ctx context.Context, c client.Client, sc *scenarios.Scenario) (*train.Session, *train.Server, *train.Temporal, func(mla.Actor, string) string) {
	t.Helper()
	backend := &train.Temporal{Client: c}
	session, err := train.NewSession(sc, backend)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := train.NewServer(session, "http://"+ln.Addr().String())
	serving, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	go func() { _ = h.Serve(serving, ln, 200*time.Millisecond) }()
	seat := func(role mla.Actor, state string) string {
		for _, st := range session.Seats() {
			if st.Role == role && st.State == state {
				return h.JoinURL(st.Token)
			}
		}
		t.Fatalf("no seat %s %s", role, state)
		return ""
	}
	return session, h, backend, seat
}

// A trainer starts a session on the embedded server; two trainees join in their own browsers; Portugal's
// central authority sees a refusal without reasons rejected in place, then refuses; Ruritania's cannot
// decide for Portugal, and answers the consultation; the console shows both decisions and the outcome
// against the answer key.
func TestTrainingSessionInABrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	browser := browserContext(t, ctx)
	s := start(t, "", 0)
	defer s.Stop()
	sc, err := scenarios.Builtin("seats-journalist", builtinRules(t))
	if err != nil {
		t.Fatal(err)
	}
	session, h, backend, seat := serveSession(t, ctx, s.Client, sc)

	playSeatsJournalist(t, browser, h.JoinURL(session.TrainerToken()), seat)
	waitFor(t, time.Minute, session.Finished)

	// Every history of the session replays on the current code: the clock held for people, paused and
	// resumed, and decisions taken through the pages.
	res := workflows.ScenarioResult{}
	for _, p := range sc.Requests {
		res.Results = append(res.Results, mla.Outcome{RequestID: p.Request.ID, Kind: p.Request.Kind, WorkflowID: workflows.RequestWorkflowID(backend.RunID(), p.Request.ID)})
	}
	histories := collectHistories(t, ctx, s.Client, backend.RunID(), res)
	for id, h := range histories {
		for _, leak := range []string{`"abusive"`, `"expected"`, "briefing"} {
			if text := payloadText(t, h); strings.Contains(text, leak) {
				t.Errorf("the history of %s carries %s, which a trainee could read in the Web UI", id, leak)
			}
		}
	}
	// Its timers say in the Web UI what they wait for, in legal time.
	summaries := 0
	for _, e := range histories[res.Results[0].WorkflowID].Events {
		if e.GetTimerStartedEventAttributes() == nil || e.GetUserMetadata().GetSummary() == nil {
			continue
		}
		var summary string
		if err := converter.GetDefaultDataConverter().FromPayload(e.GetUserMetadata().GetSummary(), &summary); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(summary, "of legal time") {
			t.Errorf("timer summary %q", summary)
		}
		summaries++
	}
	if summaries == 0 {
		t.Error("no timer of the journalist's request has a summary")
	}
	var in workflows.ScenarioInput
	start := histories[backend.RunID()].Events[0].GetWorkflowExecutionStartedEventAttributes()
	if err := converter.GetDefaultDataConverter().FromPayloads(start.GetInput(), &in); err != nil {
		t.Fatal(err)
	}
	if src := string(in.Source.Data); strings.Contains(src, "expected") || strings.Contains(src, "abusive") || !strings.Contains(src, "journalist") {
		t.Errorf("the scenario workflow's input carries the answer key or lacks the requests:\n%s", src)
	}
	replayAndRecord(t, histories)
}

// playSeatsJournalist plays the seats-journalist session in a browser, from the console's link and the
// seats' links, up to its last decision: the trainer starts the session and pauses and resumes the clock;
// Portugal's central authority sees a refusal without reasons rejected in place, then refuses; Ruritania's
// cannot decide for Portugal and declines the consultation's conditions; the console and the after-action
// report show both decisions against the answer key; Portugal's 24/7 point of contact grants the
// emergency. It returns the trainer's browser.
func playSeatsJournalist(t *testing.T, browser context.Context, console string, seat func(mla.Actor, string) string) (trainer context.Context) {
	t.Helper()
	trainer, pt, xr := browser, newPerson(t, browser), newPerson(t, browser)
	run(t, pt, "Portugal's central authority joins", chromedp.Navigate(seat(mla.ActorRequestedCA, "PT")),
		chromedp.WaitVisible(`//p[contains(., "has not started")]`))
	run(t, xr, "Ruritania's central authority joins", chromedp.Navigate(seat(mla.ActorRequestingCA, "XR")))
	run(t, trainer, "the trainer starts the session", chromedp.Navigate(console),
		chromedp.WaitVisible(`//td[@class="joined" and contains(., "yes")]`), chromedp.Click(`#start`),
		chromedp.WaitVisible(`//strong[@id="session-state" and text()="running"]`))
	screenshot(t, trainer, "console-started")

	run(t, pt, "the journalist's request reaches Portugal", chromedp.WaitVisible(`//*[@id="req-journalist"]//p[@class="meta" and not(contains(., "not sent yet"))]`))
	run(t, trainer, "the trainer pauses the clock", chromedp.Click(`#clock`),
		chromedp.WaitVisible(`//strong[@id="session-state" and text()="paused"]`))
	run(t, pt, "the seat says the clock is paused", chromedp.WaitVisible(`#paused`))
	before, err := chromedp.Run(pt, chromedp.Text(`#req-journalist p.meta`))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // eight legal days at this scenario's scale, were the clock running
	after, err := chromedp.Run(pt, chromedp.Text(`#req-journalist p.meta`))
	if err != nil {
		t.Fatal(err)
	}
	// An activity under way when the trainer paused (a transmission) may still finish, at the same legal
	// time; no timer runs, so legal time stands still and no later step comes.
	legal := func(meta string) string { _, at, _ := strings.Cut(meta, "legal time "); return at }
	if legal(before) == "" || legal(before) != legal(after) || strings.Contains(after, "AwaitingDecision") {
		t.Errorf("the request moved while the clock was paused: %q, then %q", before, after)
	}
	run(t, trainer, "the trainer resumes the clock", chromedp.Click(`#clock`),
		chromedp.WaitVisible(`//strong[@id="session-state" and text()="running"]`))

	decide := `#req-journalist form[data-action="decide"]`
	run(t, pt, "the decision form arrives without a reload", chromedp.WaitVisible(decide))
	file, err := chromedp.Run(pt, chromedp.Text(`#req-journalist`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"statement: Ruritania's Minister", "non-discrimination", "UNCC Art 40(22) [S]"} {
		if !strings.Contains(file, want) {
			t.Errorf("the request file lacks %q", want)
		}
	}
	for _, leak := range []string{"abusive", "would propose", "Refused on"} {
		if strings.Contains(file, leak) {
			t.Errorf("the seat shows %q", leak)
		}
	}
	screenshot(t, pt, "seat-deciding")
	run(t, pt, "a refusal without reasons is rejected in place",
		chromedp.Click(decide+` input[value="refuse"]`), chromedp.Click(decide+` input[value="non-discrimination"]`),
		chromedp.Click(decide+` button`), chromedp.WaitVisible(`//*[@id="req-journalist"]//p[@class="error" and contains(., "Give the reasons")]`))
	screenshot(t, pt, "seat-rejected")

	forbidden, err := chromedp.Run(xr, chromedp.Evaluate[string](`(async () => {
		const r = await fetch("/seat/act/journalist/decide", {method: "POST", body: new URLSearchParams({kind: "grant", step: "x"})});
		return r.status + " " + await r.text();
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(forbidden, "403") || !strings.Contains(forbidden, "cannot decide on request journalist") {
		t.Errorf("Ruritania acting for Portugal: %.200s", forbidden)
	}

	run(t, pt, "Portugal refuses with its reasons",
		chromedp.WaitVisible(decide), chromedp.Click(decide+` input[value="refuse"]`), chromedp.Click(decide+` input[value="non-discrimination"]`),
		chromedp.SendKeys(decide+` textarea[name="reasons"]`, "Substantial grounds: an official statement and her refugee status."),
		chromedp.Click(decide+` button`), chromedp.WaitVisible(`//*[@id="req-journalist"]//p[@role="status" and contains(., "You sent") and contains(., "refuse on non-discrimination")]`))

	consult := `#req-journalist form[data-action="respond-consultation"]`
	run(t, xr, "Ruritania answers the consultation when it arrives", chromedp.WaitVisible(consult),
		chromedp.Click(consult+` input[value="no"]`), chromedp.Click(consult+` button`),
		chromedp.WaitVisible(`//*[@id="req-journalist"]//p[@role="status" and contains(., "declines the conditions")]`))
	screenshot(t, xr, "seat-consulted")

	run(t, trainer, "the console shows the outcome against the answer key and both decisions",
		chromedp.WaitVisible(`//tr[@data-request="journalist"]//span[@class="ok"]`),
		chromedp.WaitVisible(`//ol[@id="decisions"]/li[@class="accepted" and contains(., "requested central authority of PT") and contains(., "refuse on non-discrimination")]`),
		chromedp.WaitVisible(`//ol[@id="decisions"]/li[@class="refused" and contains(., "Give the reasons")]`),
		chromedp.WaitVisible(`//ol[@id="decisions"]/li[@class="accepted" and contains(., "requesting central authority of XR") and contains(., "declines the conditions")]`))
	screenshot(t, trainer, "console-after")

	csv, err := chromedp.Run(trainer, chromedp.Evaluate[string](`fetch("/console/report.csv").then(r => r.headers.get("Content-Disposition") + "\n" + "" ).then(h => fetch("/console/report.csv").then(r => r.text()).then(t => h + t))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`attachment; filename="after-action-seats-journalist.csv"`, "journalist,requested central authority of PT,decide,refuse on non-discrimination: Substantial grounds",
		"journalist,requesting central authority of XR,respond-consultation,declines the conditions", "Give the reasons"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the report's CSV lacks %q:\n%s", want, csv)
		}
	}
	run(t, trainer, "the after-action report names every decision", chromedp.Click(`#report`),
		chromedp.WaitVisible(`//section[@id="score-journalist"]//td[contains(., "refuse on non-discrimination")]`),
		chromedp.WaitVisible(`//section[@id="score-journalist"]//td[contains(., "declines the conditions")]`),
		chromedp.WaitVisible(`//section[@id="score-journalist"]//span[@class="ok" and contains(., "right outcome")]`))
	screenshot(t, trainer, "after-action-report")

	poc := newPerson(t, browser)
	emergency := `#req-kidnapped-child form[data-action="decide"]`
	run(t, poc, "Portugal's 24/7 point of contact grants the emergency", chromedp.Navigate(seat(mla.ActorPoC247, "PT")),
		chromedp.WaitVisible(emergency), chromedp.Click(emergency+` input[value="grant"]`), chromedp.Click(emergency+` button`),
		chromedp.WaitVisible(`//*[@id="req-kidnapped-child"]//p[@role="status" and contains(., "You sent")]`))
	return trainer
}

// payloadText is every payload of a history, decoded from the JSON the default converter writes.
func payloadText(t *testing.T, h *historypb.History) string {
	t.Helper()
	b, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, m := range regexp.MustCompile(`"data":"([A-Za-z0-9+/=]+)"`).FindAllSubmatch(b, -1) {
		d, err := base64.StdEncoding.DecodeString(string(m[1]))
		if err == nil {
			text.Write(d)
			text.WriteByte('\n')
		}
	}
	return text.String()
}
