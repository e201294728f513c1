package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/workflows"
)

// fake is a backend whose requests wait where the test puts them, and which checks decisions as the
// workflow's validator does.
type fake struct {
	mu      sync.Mutex
	started bool
	states  map[string]RequestState
	updates []string
	clocks  []string
}

func (f *fake) Signal(_ context.Context, id, name string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch a := arg.(type) {
	case workflows.ClockSignal:
		f.clocks = append(f.clocks, fmt.Sprintf("%s:%v", id, a.Paused))
	default:
		f.updates = append(f.updates, id+":"+name)
	}
	return nil
}

func (f *fake) Start(context.Context, *scenarios.Scenario) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = true
	return nil
}

func (f *fake) Request(_ context.Context, id string) (RequestState, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[id]
	return st, ok && f.started, nil
}

func (f *fake) Update(_ context.Context, id, name string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.states[id]
	if d, ok := arg.(workflows.DecisionUpdate); ok {
		if err := mla.ValidateDecision(mla.Decision{Kind: d.Kind, Grounds: d.Grounds}, *st.Status.Screening); err != nil {
			return err
		}
	}
	f.updates = append(f.updates, id+":"+name)
	st.Status.Waiting = ""
	if d, ok := arg.(workflows.DecisionUpdate); ok && d.Kind == mla.DecisionRefuse {
		st.Status.Status = mla.StatusRefused
	}
	st.Timeline = append(st.Timeline, mla.Event{Text: "decided", State: "PT"})
	f.states[id] = st
	return nil
}

// session starts a session of the seats-journalist scenario on the fake backend, with the journalist's
// request waiting for Portugal's decision and the emergency for its 24/7 point of contact.
func session(t *testing.T) (*Session, *fake, *httptest.Server) {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Builtin("seats-journalist", e)
	if err != nil {
		t.Fatal(err)
	}
	screening := &mla.Screening{Findings: []mla.Finding{{RuleID: "uncc.40.nd", Article: "UNCC Art 40(22)", Tag: mla.TagSecondary, Effect: mla.EffectGround, Ground: "non-discrimination"},
		{RuleID: "uncc.40.bank-secrecy", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(8))", Tag: mla.TagUnconfirmed, Effect: mla.EffectBar, Ground: "bank-secrecy"},
		{RuleID: "uncc.40.reasons", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(23))", Tag: mla.TagUnconfirmed, Effect: mla.EffectDuty, Duty: "reasons"}}}
	f := &fake{states: map[string]RequestState{
		"journalist": {Status: workflows.StatusView{Status: mla.StatusAwaitDecision, Waiting: workflows.UpdateDecide, Screening: screening},
			Timeline: []mla.Event{{State: "PT", Text: "waiting for the requested-central-authority's decision (update \"decide\"); the policy would propose: refuse"}}},
		"kidnapped-child": {Status: workflows.StatusView{Status: mla.StatusAwaitDecision, Waiting: workflows.UpdateDecide, Screening: &mla.Screening{}}},
	}}
	s, err := NewSession(sc, f)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	srv.Config.Handler = NewServer(s, srv.URL).Handler()
	t.Cleanup(srv.Close)
	return s, f, srv
}

// browser is a client with its own cookies, like a browser profile, that sends the Origin a browser sends.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar}, base: base}
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values, origin string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	req.Header.Set("HX-Request", "true")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func seatOf(t *testing.T, s *Session, role mla.Actor, state string) *Seat {
	t.Helper()
	for _, seat := range s.Seats() {
		if seat.Role == role && seat.State == state {
			return seat
		}
	}
	t.Fatalf("no seat %s %s", role, state)
	return nil
}

func TestSeatsAreTheScenarioManualActors(t *testing.T) {
	s, _, _ := session(t)
	var got []string
	for _, seat := range s.Seats() {
		got = append(got, seat.ID())
		if len(seat.Token) < 22 {
			t.Errorf("seat %s has a short token %q", seat.ID(), seat.Token)
		}
	}
	if strings.Join(got, " ") != "24/7-point-of-contact.PT requested-central-authority.PT requesting-central-authority.XR" {
		t.Errorf("seats %v", got)
	}
	if s.TrainerToken() == "" || s.TrainerToken() == s.Seats()[0].Token {
		t.Error("the trainer's token is missing or shared")
	}
}

func TestAScenarioWithoutManualActorsHasNoSession(t *testing.T) {
	e, _ := rules.LoadBuiltin()
	sc, err := scenarios.Builtin("emergency", e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSession(sc, &fake{}); !errors.Is(err, ErrNoSeats) {
		t.Fatalf("err = %v", err)
	}
}

// Who may do what: links, cookies, the console, another State's request, cross-site posts, stale and
// incomplete forms, and an ended session.
func TestWhoMayAct(t *testing.T) {
	s, f, srv := session(t)
	trainer, pt, xr, stranger := newBrowser(t, srv.URL), newBrowser(t, srv.URL), newBrowser(t, srv.URL), newBrowser(t, srv.URL)
	if code, body := stranger.get("/join/not-a-token"); code != http.StatusNotFound || !strings.Contains(body, "does not open a seat") {
		t.Errorf("a wrong token: %d %s", code, body)
	}
	if code, _ := stranger.get("/seat"); code != http.StatusUnauthorized {
		t.Errorf("a seat page without joining: %d", code)
	}
	if code, body := trainer.get("/join/" + s.TrainerToken()); code != http.StatusOK || !strings.Contains(body, "Start the session") {
		t.Fatalf("trainer: %d", code)
	}
	if code, _ := pt.get("/join/" + seatOf(t, s, mla.ActorRequestedCA, "PT").Token); code != http.StatusOK {
		t.Fatalf("PT joins: %d", code)
	}
	if code, body := pt.get("/console"); code != http.StatusForbidden || !strings.Contains(body, "for the trainer") {
		t.Errorf("a trainee on the console: %d", code)
	}
	xr.get("/join/" + seatOf(t, s, mla.ActorRequestingCA, "XR").Token)
	origin := srv.URL
	if code, _ := trainer.post("/console/start", nil, origin); code != http.StatusOK {
		t.Fatalf("start: %d", code)
	}
	s.refresh(context.Background())
	_, page := pt.get("/seat")
	st, _, _ := f.Request(context.Background(), "journalist")
	stepNow := step(st)
	for _, want := range []string{"Screening by PT", "non-discrimination", "UNCC Art 40(22) [S]", `value="` + stepNow + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("PT's seat lacks %q", want)
		}
	}
	for _, leak := range []string{"abusive", "would propose", "Answer key", "exiled journalist, charged"} {
		if strings.Contains(page, leak) {
			t.Errorf("PT's seat shows %q", leak)
		}
	}
	decide := func(b *browser, request string, form url.Values, origin string) (int, string) {
		return b.post("/seat/act/"+request+"/decide", form, origin)
	}
	good := url.Values{"step": {stepNow}, "kind": {"refuse"}, "ground": {"non-discrimination"}, "reasons": {"substantial grounds"}}
	if code, body := decide(xr, "journalist", good, origin); code != http.StatusForbidden || !strings.Contains(body, "cannot decide on request journalist") {
		t.Errorf("XR deciding for PT: %d %s", code, body)
	}
	if code, _ := decide(pt, "kidnapped-child", url.Values{"step": {"decide/0"}, "kind": {"grant"}}, origin); code != http.StatusForbidden {
		t.Errorf("PT's central authority deciding for its 24/7 point of contact: %d", code)
	}
	if code, _ := decide(pt, "journalist", good, "http://elsewhere.example"); code != http.StatusForbidden {
		t.Errorf("a cross-site post: %d", code)
	}
	noReasons := url.Values{"step": {stepNow}, "kind": {"refuse"}, "ground": {"non-discrimination"}}
	if code, body := decide(pt, "journalist", noReasons, origin); code != http.StatusBadRequest || !strings.Contains(body, "Give the reasons") {
		t.Errorf("no reasons: %d %s", code, body)
	}
	barred := url.Values{"step": {stepNow}, "kind": {"refuse"}, "ground": {"bank-secrecy"}, "reasons": {"r"}}
	if code, body := decide(pt, "journalist", barred, origin); code != http.StatusUnprocessableEntity || !strings.Contains(body, "barred by uncc.40.bank-secrecy") {
		t.Errorf("the validator's refusal: %d %s", code, body)
	}
	if len(f.updates) != 0 {
		t.Fatalf("refused actions reached the workflow: %v", f.updates)
	}
	if code, body := decide(pt, "journalist", good, origin); code != http.StatusOK || !strings.Contains(body, "You sent (legal time") {
		t.Fatalf("the decision: %d %s", code, body)
	}
	if code, body := decide(pt, "journalist", good, origin); code != http.StatusConflict || !strings.Contains(body, "This form is out of date") {
		t.Errorf("the same form again: %d %s", code, body)
	}
	if len(f.updates) != 1 {
		t.Errorf("updates %v", f.updates)
	}
	if _, console := trainer.get("/console"); !strings.Contains(console, "refuse on non-discrimination: substantial grounds") || !strings.Contains(console, "abusive") {
		t.Errorf("the console lacks the decision or the ground truth")
	}
	checkReport(t, s, trainer, pt)
	s.End()
	if code, body := decide(pt, "kidnapped-child", good, origin); code != http.StatusConflict || !strings.Contains(body, "session has ended") {
		t.Errorf("acting after the end: %d %s", code, body)
	}
	if code, body := newBrowser(t, srv.URL).get("/join/" + seatOf(t, s, mla.ActorPoC247, "PT").Token); code != http.StatusGone || !strings.Contains(body, "has ended") {
		t.Errorf("joining after the end: %d %s", code, body)
	}
}

// Hints show a seat the policy's proposal; without them the proposal is cut from its timeline.
func TestHintsShowThePolicyProposal(t *testing.T) {
	s, _, srv := session(t)
	seat := seatOf(t, s, mla.ActorRequestedCA, "PT")
	b := newBrowser(t, srv.URL)
	b.get("/join/" + seat.Token)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.refresh(context.Background())
	if _, page := b.get("/seat"); strings.Contains(page, "would propose") {
		t.Error("the proposal shows without hints")
	}
	s.SetHints(seat.ID(), true)
	if _, page := b.get("/seat"); !strings.Contains(page, "Hint: the policy of PT would propose: refuse") {
		t.Error("the hint does not show")
	}
}

// The event stream sends a seat's panels, and sends one again when it changes.
func TestEventsStreamChanges(t *testing.T) {
	s, f, srv := session(t)
	b := newBrowser(t, srv.URL)
	b.get("/join/" + seatOf(t, s, mla.ActorRequestedCA, "PT").Token)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.refresh(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/seat/events", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	read := func(want string) {
		t.Helper()
		var seen strings.Builder
		buf := make([]byte, 4096)
		for !strings.Contains(seen.String(), want) {
			n, err := resp.Body.Read(buf)
			if err != nil {
				t.Fatalf("stream ended before %q: %v\n%s", want, err, seen.String())
			}
			seen.Write(buf[:n])
		}
	}
	read("event: req-journalist")
	f.mu.Lock()
	st := f.states["journalist"]
	st.Status.Status, st.Status.Waiting = mla.StatusRefused, ""
	f.states["journalist"] = st
	f.mu.Unlock()
	if s.refresh(context.Background()) {
		s.notify()
	}
	read("Refused")
}

// The score and the after-action report: the right outcome, the grounds cited with their citations, the
// barred ground tried, the reasons duty met, the refused attempts as points to discuss; the report in
// HTML, CSV and JSON, for the trainer only.
func checkReport(t *testing.T, s *Session, trainer, trainee *browser) {
	t.Helper()
	var sc *Score
	scores := s.Scores()
	for i := range scores {
		if scores[i].RequestID == "journalist" {
			sc = &scores[i]
		}
	}
	if sc == nil || sc.RightOutcome == nil || !*sc.RightOutcome {
		t.Fatalf("journalist's score: %+v", sc)
	}
	if len(sc.GroundsCited) != 1 || sc.GroundsCited[0].RuleID != "uncc.40.nd" || len(sc.KeyGroundsMissed) != 0 {
		t.Errorf("grounds cited %v, key grounds missed %v", sc.GroundsCited, sc.KeyGroundsMissed)
	}
	if len(sc.BarredTried) != 1 || !strings.Contains(sc.BarredTried[0], "bank-secrecy (barred by uncc.40.bank-secrecy") {
		t.Errorf("barred grounds tried %v", sc.BarredTried)
	}
	if len(sc.Duties) != 1 || sc.Duties[0].Met == nil || !*sc.Duties[0].Met {
		t.Errorf("duties %+v", sc.Duties)
	}
	if len(sc.Decisions) != 3 || !strings.Contains(strings.Join(sc.Points, "\n"), "tried to refuse on non-discrimination and was refused: Give the reasons") {
		t.Errorf("decisions %d, points %v", len(sc.Decisions), sc.Points)
	}
	code, html := trainer.get("/console/report.html")
	for _, want := range []string{"After-action report", "requested central authority of PT", "refuse on non-discrimination: substantial grounds", "uncc.40.nd UNCC Art 40(22) [S]", "right outcome", "Points to discuss"} {
		if code != http.StatusOK || !strings.Contains(html, want) {
			t.Errorf("the report (%d) lacks %q", code, want)
		}
	}
	if code, body := trainer.get("/console/report.csv"); code != http.StatusOK || !strings.HasPrefix(body, "request_id,seat,update") || !strings.Contains(body, "journalist,requested central authority of PT,decide") {
		t.Errorf("the CSV (%d): %.300s", code, body)
	}
	if code, body := trainer.get("/console/report.json"); code != http.StatusOK || !strings.Contains(body, `"right_outcome": true`) {
		t.Errorf("the JSON (%d): %.300s", code, body)
	}
	if code, _ := trainee.get("/console/report.html"); code != http.StatusForbidden {
		t.Errorf("a trainee reads the report: %d", code)
	}
}

// Pausing the clock tells the scenario run and every running request, and a request sent while paused is
// told when it is first seen; resuming tells them all again.
func TestPauseTellsEveryRequest(t *testing.T) {
	s, f, srv := session(t)
	trainer := newBrowser(t, srv.URL)
	trainer.get("/join/" + s.TrainerToken())
	if code, _ := trainer.post("/console/clock", url.Values{"paused": {"yes"}}, srv.URL); code != http.StatusConflict {
		t.Errorf("pausing before the start: %d", code)
	}
	trainer.post("/console/start", nil, srv.URL)
	f.mu.Lock()
	kid := f.states["kidnapped-child"]
	delete(f.states, "kidnapped-child") // not sent yet
	f.mu.Unlock()
	s.refresh(context.Background())
	if code, body := trainer.post("/console/clock", url.Values{"paused": {"yes"}}, srv.URL); code != http.StatusOK || !strings.Contains(body, "Resume the clock") {
		t.Fatalf("pause: %d", code)
	}
	f.mu.Lock()
	f.states["kidnapped-child"] = kid
	f.mu.Unlock()
	s.refresh(context.Background())
	trainer.post("/console/clock", url.Values{"paused": {"no"}}, srv.URL)
	// The scenario run (no request ID) is told too: it sends nothing while the clock stands still.
	if got := strings.Join(f.clocks, " "); got != ":true journalist:true kidnapped-child:true :false journalist:false kidnapped-child:false" {
		t.Errorf("clock signals: %s", got)
	}
}

// The trainer fires the scenario's by-hand inject once, while the session runs; the report names it.
func TestTrainerFiresAnInject(t *testing.T) {
	s, f, srv := session(t)
	trainer := newBrowser(t, srv.URL)
	trainer.get("/join/" + s.TrainerToken())
	if code, body := trainer.post("/console/inject/0", nil, srv.URL); code != http.StatusConflict || !strings.Contains(body, "while the session runs") {
		t.Errorf("firing before the start: %d", code)
	}
	trainer.post("/console/start", nil, srv.URL)
	s.refresh(context.Background())
	if _, page := trainer.get("/console"); !strings.Contains(page, "INTERPOL&#39;s Commission for the Control of Files") || !strings.Contains(page, "fire now") {
		t.Fatalf("the console does not offer the inject")
	}
	if code, _ := trainer.post("/console/inject/0", nil, srv.URL); code != http.StatusOK {
		t.Fatalf("fire: %d", code)
	}
	if code, body := trainer.post("/console/inject/0", nil, srv.URL); code != http.StatusConflict || !strings.Contains(body, "fired already") {
		t.Errorf("firing twice: %d", code)
	}
	if strings.Join(f.updates, " ") != "journalist:new-information" {
		t.Errorf("signals %v", f.updates)
	}
	if _, csv := trainer.get("/console/report.csv"); !strings.Contains(csv, "journalist,trainer,new-information,fires new-information: INTERPOL") {
		t.Errorf("the report does not name the inject:\n%s", csv)
	}
}

// A lifecycle page shows a run started elsewhere, read-only: the swimlanes and the answer key, no seats,
// no controls, no actions.
func TestObserverIsReadOnly(t *testing.T) {
	_, f, _ := session(t)
	e, _ := rules.LoadBuiltin()
	sc, err := scenarios.Builtin("seats-journalist", e)
	if err != nil {
		t.Fatal(err)
	}
	f.started = true
	o := NewObserver(sc, f)
	srv := httptest.NewServer(NewServer(o, "").Handler())
	defer srv.Close()
	o.refresh(context.Background())
	b := newBrowser(t, srv.URL)
	code, page := b.get("/")
	for _, want := range []string{"lifecycle of every request", "Swimlanes (legal time)", "waiting for the requested-central-authority", "Refused on non-discrimination"} {
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("the lifecycle page (%d) lacks %q", code, want)
		}
	}
	for _, control := range []string{"<form", "Seats</h2>", "/console/"} {
		if strings.Contains(page, control) {
			t.Errorf("the lifecycle page has %q", control)
		}
	}
	for _, path := range []string{"/console/start", "/seat/act/journalist/decide"} {
		if code, _ := b.post(path, nil, srv.URL); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s on a lifecycle page: %d", path, code)
		}
	}
}

// With more States than one table shows legibly, each request gets lanes of its own: a column per State
// it involves, its requesting and requested States first, a third State where it reaches one, steps in
// legal-time order.
func TestLanesPerRequestInAWideWorld(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2027, 1, d, 0, 0, 0, 0, time.UTC) }
	reqs := []ConsoleRequest{{ID: "a", Title: "first", From: "DE", To: "FR"}, {ID: "b", Title: "second", From: "PT", To: "XR"}}
	ev := func(id, state string, d int) LaneEvent {
		return LaneEvent{RequestID: id, Event: mla.Event{At: day(d), State: state, Text: id + "@" + state}}
	}
	lanes := []LaneEvent{ev("b", "XR", 1), ev("a", "FR", 2), ev("b", "QA", 3), ev("a", "DE", 4)}
	got := lanesPerRequest(reqs, lanes)
	if len(got) != 2 || got[0].ID != "b" || got[1].ID != "a" {
		t.Fatalf("requests in the order of their first step: %+v", got)
	}
	if b := got[0]; strings.Join(b.States, ",") != "PT,XR,QA" || b.Lanes[0].Column != 1 || b.Lanes[1].Column != 2 || b.Title != "second" {
		t.Errorf("request b: states %v, columns %d %d", b.States, b.Lanes[0].Column, b.Lanes[1].Column)
	}
	if a := got[1]; strings.Join(a.States, ",") != "DE,FR" || a.Lanes[0].Column != 1 || a.Lanes[1].Column != 0 {
		t.Errorf("request a: states %v, columns %d %d", a.States, a.Lanes[0].Column, a.Lanes[1].Column)
	}
}

// Told that Portugal cannot keep the request confidential, Ruritania's central authority chooses on its
// seat whether it should nevertheless be executed; the choice must be made, and only by that seat.
func TestRequestingStateChoosesWithoutConfidentiality(t *testing.T) {
	s, f, srv := session(t)
	f.states["journalist"] = RequestState{Status: workflows.StatusView{Status: mla.StatusConsultation, Waiting: workflows.UpdateRespondConfidentiality},
		Timeline: []mla.Event{{State: "PT", Text: "PT cannot keep the request confidential as XR asked"}}}
	trainer, pt, xr := newBrowser(t, srv.URL), newBrowser(t, srv.URL), newBrowser(t, srv.URL)
	trainer.get("/join/" + s.TrainerToken())
	pt.get("/join/" + seatOf(t, s, mla.ActorRequestedCA, "PT").Token)
	xr.get("/join/" + seatOf(t, s, mla.ActorRequestingCA, "XR").Token)
	if code, _ := trainer.post("/console/start", nil, srv.URL); code != http.StatusOK {
		t.Fatalf("start: %d", code)
	}
	s.refresh(context.Background())
	st, _, _ := f.Request(context.Background(), "journalist")
	path := "/seat/act/journalist/" + workflows.UpdateRespondConfidentiality
	if _, page := xr.get("/seat"); !strings.Contains(page, `data-action="respond-confidentiality"`) || !strings.Contains(page, "have it executed nevertheless") {
		t.Fatalf("XR's seat has no form for the choice:\n%s", page)
	}
	if code, body := xr.post(path, url.Values{"step": {step(st)}}, srv.URL); code != http.StatusBadRequest || !strings.Contains(body, "Say whether your State wants") {
		t.Errorf("no choice: %d %s", code, body)
	}
	if code, _ := pt.post(path, url.Values{"step": {step(st)}, "proceed": {"yes"}}, srv.URL); code != http.StatusForbidden {
		t.Errorf("PT choosing for XR: %d", code)
	}
	if code, body := xr.post(path, url.Values{"step": {step(st)}, "proceed": {"no"}, "note": {"the suspect must not learn of it"}}, srv.URL); code != http.StatusOK {
		t.Fatalf("the choice: %d %s", code, body)
	}
	if strings.Join(f.updates, " ") != "journalist:respond-confidentiality" {
		t.Errorf("updates %v", f.updates)
	}
	if _, console := trainer.get("/console"); !strings.Contains(console, "withdraws it rather than lose its confidentiality") {
		t.Error("the console does not show the choice")
	}
}
