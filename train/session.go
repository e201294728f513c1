// Package train serves a training session in the browser: a trainer's console and a seat for each manual
// actor a scenario names (a role of a State), each joined with its own unguessable link. Trainees see
// what reaches their State and role and act through forms built from the workflow contract; the server
// checks every action against the seat, relays it to the request's workflow as a Temporal Update, and
// pushes every change to the open pages with server-sent events. The answer key and the ground truth stay
// on the server and reach the trainer's console only.
package train

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/workflows"
)

// MaxRequests bounds the requests of a training session: every page shows each of them.
const MaxRequests = 50

// Backend runs the session's scenario and talks to its request workflows.
type Backend interface {
	// Start starts the scenario run.
	Start(ctx context.Context, sc *scenarios.Scenario) error
	// Request returns where a request's workflow stands and its timeline; ok is false while the
	// workflow does not exist yet (the request is not sent).
	Request(ctx context.Context, requestID string) (view RequestState, ok bool, err error)
	// Update sends a person's message to a request's workflow and waits for the workflow to accept it;
	// a message its validator refuses comes back as the error.
	Update(ctx context.Context, requestID, name string, arg any) error
	// Signal sends a signal to a request's workflow (the clock, new information a trainer fires); an
	// empty requestID signals the scenario run itself, which holds the requests not sent yet.
	Signal(ctx context.Context, requestID, name string, arg any) error
}

// RequestState is what a request's workflow says of itself.
type RequestState struct {
	Status   workflows.StatusView
	Timeline []mla.Event
}

// Seat is a manual actor of the scenario: a role of a State, played by a trainee.
type Seat struct {
	Role  mla.Actor
	State string
	// Token is the secret of the seat's join link.
	Token string
	// Hints shows the seat what the State's policy would propose.
	Hints bool
	// Joined counts the browsers that joined with the link; LastSeen is the last time one loaded a page.
	Joined   int
	LastSeen time.Time
}

// ID names the seat in URLs and forms.
func (s *Seat) ID() string { return string(s.Role) + "." + s.State }

// Label names the seat for people.
func (s *Seat) Label() string { return RoleLabel(s.Role) + " of " + s.State }

// RoleLabel names a role for people.
func RoleLabel(r mla.Actor) string {
	switch r {
	case mla.ActorRequestingCA:
		return "requesting central authority"
	case mla.ActorRequestedCA:
		return "requested central authority"
	case mla.ActorPoC247:
		return "24/7 point of contact"
	}
	return string(r)
}

// Acts reports whether the seat acts for a request at all: its role is manual on the request and its
// State is the one that role belongs to.
func (s *Seat) Acts(r mla.Request) bool {
	if r.ModeOf(s.Role) != mla.ModeManual || !r.WorkFor(s.Role) {
		return false
	}
	return seatState(s.Role, r) == s.State
}

// seatState is the State whose role acts on a request.
func seatState(role mla.Actor, r mla.Request) string {
	if role == mla.ActorRequestingCA {
		return r.From
	}
	return r.To
}

// Action is something a person may do on a request: a workflow update.
type Action struct {
	Name  string
	Label string
}

// The actions a seat may take, by the update they send.
var (
	ActDecide      = Action{workflows.UpdateDecide, "decide"}
	ActConsult     = Action{workflows.UpdateRespondConsultation, "answer the consultation"}
	ActInformation = Action{workflows.UpdateAnswerInformation, "answer the request for information"}
	// ActProceed answers the requested State's notice that it cannot keep the request confidential.
	ActProceed  = Action{workflows.UpdateRespondConfidentiality, "decide whether to proceed without confidentiality"}
	ActWithdraw = Action{workflows.UpdateWithdraw, "withdraw the request"}
	ActExtend   = Action{workflows.UpdateExtend, "extend the preservation"}
)

// actionOf finds an action by its update name.
func actionOf(name string) (Action, bool) {
	for _, a := range []Action{ActDecide, ActConsult, ActInformation, ActProceed, ActWithdraw, ActExtend} {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// May reports whether the seat may take an action on a request: the decider decides; the requesting
// central authority answers consultations and requests for information, withdraws, and asks to extend a
// preservation.
func (s *Seat) May(r mla.Request, a Action) bool {
	if !s.Acts(r) {
		return false
	}
	switch a {
	case ActDecide:
		return s.Role == r.Decider()
	case ActConsult, ActInformation, ActProceed, ActWithdraw:
		return s.Role == mla.ActorRequestingCA
	case ActExtend:
		return s.Role == mla.ActorRequestingCA && r.Kind == mla.KindPreservation
	}
	return false
}

// Decision is an action a person took, relayed or refused, for the score and the after-action report.
type Decision struct {
	At        time.Time `json:"wall_time"`
	LegalTime time.Time `json:"legal_time"`
	RequestID string    `json:"request_id"`
	Seat      string    `json:"seat"`
	Update    string    `json:"update"`
	Summary   string    `json:"summary"`
	// Kind, Grounds and Reasons are a decision's (UpdateDecide).
	Kind    mla.DecisionKind `json:"kind,omitempty"`
	Grounds []string         `json:"grounds,omitempty"`
	Reasons string           `json:"reasons,omitempty"`
	// Accepted says whether the workflow took it; Refusal is why not.
	Accepted bool   `json:"accepted"`
	Refusal  string `json:"refusal,omitempty"`
	// Took is the wall time since the request began to wait for this step.
	Took time.Duration `json:"took_ns"`
}

// Session is one training session: a scenario, its seats, the trainer's token, and what the request
// workflows last said.
type Session struct {
	sc      *scenarios.Scenario
	backend Backend
	// trainer is the secret of the trainer's console link.
	trainer string
	seats   []*Seat
	truth   map[string]mla.Truth

	mu       sync.Mutex
	started  bool
	finished bool
	paused   bool
	// told is, for each request, whether its workflow was last told the clock is paused; toldRun, the
	// same for the scenario run.
	told    map[string]bool
	toldRun bool
	// fired marks the by-hand injects the trainer has fired, by index.
	fired map[int]bool
	// observer: a read-only lifecycle page of a run started elsewhere.
	observer  bool
	cookies   map[string]principal
	requests  map[string]*requestSnap
	decisions []Decision
	// waitingSince is when each request was first seen waiting for its current step (wall time).
	waitingSince map[string]time.Time
	// changed is closed and replaced whenever what the pages show changes.
	changed chan struct{}
}

type requestSnap struct {
	sent  bool
	state RequestState
	err   string
}

// principal is who a browser's session cookie stands for: the trainer or a seat.
type principal struct {
	trainer bool
	seat    *Seat
}

// ErrNoSeats is returned for a scenario in which no person has anything to do.
var ErrNoSeats = errors.New("the scenario names no manual actor, so no trainee has a seat: make a role manual on a request, e.g. actors: {requested-central-authority: manual}")

// NewSession prepares a session of a scenario: a seat per manual role and State, each with its token. A
// scenario with no manual actor, or too many requests to show, is refused.
func NewSession(sc *scenarios.Scenario, b Backend) (*Session, error) {
	if n := len(sc.Requests); n > MaxRequests {
		return nil, fmt.Errorf("%s has %d requests; a training session shows every request and takes at most %d", sc.ID, n, MaxRequests)
	}
	s := newSession(sc, b)
	seen := map[string]*Seat{}
	for _, p := range sc.Requests {
		r := p.Request
		for _, role := range mla.ManualRoles {
			if r.ModeOf(role) != mla.ModeManual || !r.WorkFor(role) {
				continue
			}
			seat := &Seat{Role: role, State: seatState(role, r)}
			if _, ok := seen[seat.ID()]; ok {
				continue
			}
			seat.Token = token()
			seen[seat.ID()] = seat
			s.seats = append(s.seats, seat)
		}
	}
	if len(s.seats) == 0 {
		return nil, ErrNoSeats
	}
	slices.SortFunc(s.seats, func(a, b *Seat) int { return strings.Compare(a.ID(), b.ID()) })
	s.trainer = token()
	return s, nil
}

// NewObserver is a session that only shows a run started elsewhere: the swimlanes of every request with
// the answer key, read-only, as a lifecycle page for presenters. It has no seats and takes no action.
func NewObserver(sc *scenarios.Scenario, b Backend) *Session {
	s := newSession(sc, b)
	s.started, s.observer = true, true
	return s
}

// newSession is a session of the scenario on the backend, before its seats: every request not yet seen.
func newSession(sc *scenarios.Scenario, b Backend) *Session {
	s := &Session{sc: sc, backend: b, truth: sc.Truth(), cookies: map[string]principal{}, requests: map[string]*requestSnap{},
		waitingSince: map[string]time.Time{}, told: map[string]bool{}, fired: map[int]bool{}, changed: make(chan struct{})}
	for _, p := range sc.Requests {
		s.requests[p.Request.ID] = &requestSnap{}
	}
	return s
}

// token is a secret of 128 random bits, URL-safe.
func token() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Scenario is the session's scenario.
func (s *Session) Scenario() *scenarios.Scenario { return s.sc }

// Seats lists the seats, sorted.
func (s *Session) Seats() []*Seat { return s.seats }

// TrainerToken is the secret of the trainer's console link.
func (s *Session) TrainerToken() string { return s.trainer }

// Start starts the scenario run, once.
func (s *Session) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("the session has already started")
	}
	s.started = true
	s.mu.Unlock()
	if err := s.backend.Start(ctx, s.sc); err != nil {
		s.mu.Lock()
		s.started = false
		s.mu.Unlock()
		return err
	}
	s.notify()
	return nil
}

// Started and Finished say where the session stands.
func (s *Session) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// Finished reports whether every request has ended or the trainer ended the session.
func (s *Session) Finished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished
}

// Paused reports whether the trainer has paused the legal clock.
func (s *Session) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// SetPaused pauses or resumes the legal clock of every request: those running now, and those sent later
// (refresh tells them).
func (s *Session) SetPaused(ctx context.Context, paused bool) error {
	if !s.Started() || s.Finished() {
		return errors.New("the clock runs only while the session does")
	}
	s.mu.Lock()
	s.paused = paused
	s.mu.Unlock()
	err := s.tellClock(ctx)
	s.notify()
	return err
}

// tellClock tells the scenario run, and every sent request that has not ended, whether the clock is
// paused, once per change.
func (s *Session) tellClock(ctx context.Context) error {
	var errs []error
	s.mu.Lock()
	paused, told := s.paused, s.toldRun
	s.mu.Unlock()
	if told != paused {
		if err := s.backend.Signal(ctx, "", workflows.SignalClock, workflows.ClockSignal{Paused: paused}); err != nil {
			errs = append(errs, fmt.Errorf("the scenario run: %w", err))
		} else {
			s.mu.Lock()
			s.toldRun = paused
			s.mu.Unlock()
		}
	}
	for _, p := range s.sc.Requests {
		id := p.Request.ID
		s.mu.Lock()
		snap, paused, told := s.requests[id], s.paused, s.told[id]
		s.mu.Unlock()
		if !snap.sent || snap.state.Status.Status.Final() || told == paused {
			continue
		}
		if err := s.backend.Signal(ctx, id, workflows.SignalClock, workflows.ClockSignal{Paused: paused}); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", id, err))
			continue
		}
		s.mu.Lock()
		s.told[id] = paused
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Fire fires the trainer's i-th by-hand inject, once: new information reaches the request's next
// screening; a withdrawal ends the request.
func (s *Session) Fire(ctx context.Context, i int) error {
	if i < 0 || i >= len(s.sc.ByHand) {
		return fmt.Errorf("the scenario has no inject %d", i+1)
	}
	in := s.sc.ByHand[i]
	s.mu.Lock()
	fired := s.fired[i]
	s.mu.Unlock()
	_, snap, _ := s.request(in.Request)
	switch {
	case !s.Started() || s.Finished():
		return errors.New("injects are fired while the session runs")
	case fired:
		return fmt.Errorf("inject %d has been fired already", i+1)
	case !snap.sent:
		return fmt.Errorf("request %s has not been sent yet", in.Request)
	case snap.state.Status.Status.Final():
		return fmt.Errorf("request %s has ended (%s)", in.Request, snap.state.Status.Status)
	}
	var err error
	if in.Type == scenarios.InjectWithdrawal {
		err = s.backend.Update(ctx, in.Request, workflows.UpdateWithdraw, workflows.Withdrawal{Reason: in.Note})
	} else {
		err = s.backend.Signal(ctx, in.Request, workflows.SignalNewInformation, workflows.NewInformation{Note: in.Note, Set: in.Facts})
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.fired[i] = true
	s.mu.Unlock()
	s.record(Decision{At: time.Now(), LegalTime: snap.state.Status.LegalTime, RequestID: in.Request, Seat: "trainer", Update: string(in.Type), Summary: "fires " + string(in.Type) + ": " + in.Note, Accepted: true}, snap.state)
	if s.refresh(ctx) {
		s.notify()
	}
	return nil
}

// End ends the session: join links stop working and actions are refused.
func (s *Session) End() {
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
	s.notify()
}

// notify wakes every page waiting for a change.
func (s *Session) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// Changed returns a channel closed at the next change.
func (s *Session) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Poll asks every request's workflow where it stands, until ctx ends, and notifies the pages of each
// change; the session finishes when every request has ended.
func (s *Session) Poll(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if s.Started() && s.refresh(ctx) {
			s.notify()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refresh reads every request once and reports whether anything changed.
func (s *Session) refresh(ctx context.Context) bool {
	changed := false
	final := 0
	for _, p := range s.sc.Requests {
		id := p.Request.ID
		st, ok, err := s.backend.Request(ctx, id)
		snap := requestSnap{sent: ok, state: st}
		if err != nil {
			snap.err = err.Error()
		}
		s.mu.Lock()
		old := s.requests[id]
		if old.sent != snap.sent || old.err != snap.err || old.state.Status.Status != st.Status.Status ||
			old.state.Status.Waiting != st.Status.Waiting || len(old.state.Timeline) != len(st.Timeline) {
			changed = true
		}
		s.requests[id] = &snap
		key := id + "/" + step(st)
		if _, ok := s.waitingSince[key]; !ok && st.Status.Waiting != "" {
			s.waitingSince[key] = time.Now()
		}
		s.mu.Unlock()
		if ok && st.Status.Status.Final() && st.Status.Waiting == "" {
			final++
		}
	}
	if err := s.tellClock(ctx); err != nil {
		changed = true
	}
	if final == len(s.sc.Requests) {
		s.mu.Lock()
		if !s.finished {
			s.finished, changed = true, true
		}
		s.mu.Unlock()
	}
	return changed
}

// request returns the planned request and its last snapshot.
func (s *Session) request(id string) (mla.Planned, requestSnap, bool) {
	for _, p := range s.sc.Requests {
		if p.Request.ID == id {
			s.mu.Lock()
			defer s.mu.Unlock()
			return p, *s.requests[id], true
		}
	}
	return mla.Planned{}, requestSnap{}, false
}

// join exchanges a join token for a session cookie value. ok is false for a token that opens nothing;
// a session that has ended refuses every token.
func (s *Session) join(tok string) (cookie string, p principal, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return "", principal{}, errEnded
	}
	switch {
	case tok != "" && tok == s.trainer:
		p = principal{trainer: true}
	default:
		for _, seat := range s.seats {
			if tok != "" && tok == seat.Token {
				seat.Joined++
				p = principal{seat: seat}
			}
		}
	}
	if !p.trainer && p.seat == nil {
		return "", principal{}, errBadToken
	}
	cookie = token()
	s.cookies[cookie] = p
	return cookie, p, nil
}

var (
	errEnded    = errors.New("this training session has ended: its links no longer open it")
	errBadToken = errors.New("this link does not open a seat of the session: ask the trainer for yours")
)

// who returns the principal of a cookie value.
func (s *Session) who(cookie string) (principal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.cookies[cookie]
	if ok && p.seat != nil {
		p.seat.LastSeen = time.Now()
	}
	return p, ok
}

// SetHints turns the hints of a seat on or off.
func (s *Session) SetHints(seatID string, on bool) bool {
	s.mu.Lock()
	for _, seat := range s.seats {
		if seat.ID() == seatID {
			seat.Hints = on
			s.mu.Unlock()
			s.notify()
			return true
		}
	}
	s.mu.Unlock()
	return false
}

// record keeps an action for the report, with the wall time the step had waited.
func (s *Session) record(d Decision, st RequestState) {
	s.mu.Lock()
	if since, ok := s.waitingSince[d.RequestID+"/"+step(st)]; ok {
		d.Took = d.At.Sub(since)
	}
	s.decisions = append(s.decisions, d)
	s.mu.Unlock()
}

// Decisions lists the actions relayed so far.
func (s *Session) Decisions() []Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.decisions)
}
