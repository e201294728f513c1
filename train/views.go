package train

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// RequestView is a request as a seat sees it: its file (contents, channel, observable facts), where it
// stands, the screening of the requested State (for that State's seats), the timeline of the seat's own
// State, and the forms the seat may fill in now. Never the answer key or the ground truth; the policy's
// proposal only with hints on.
type RequestView struct {
	ID, Title string
	Kind      mla.RequestKind
	Channel   mla.Channel
	From, To  string
	Basis     mla.Basis
	Case      mla.Case
	Sent      bool
	Status    mla.Status
	LegalTime time.Time
	Waiting   string
	Mine      bool // the request waits for this seat
	Step      string
	Screening *mla.Screening
	// Measures are the screenings of the further measures, which the person deciding decides one by one.
	Measures      []workflows.MeasureScreening
	ShowScreening bool
	Timeline      []mla.Event
	Forms         []Action
	Hint          string
	Decision      *mla.Decision
	Error         string // a refused action's message, shown in place
	Done          string // the seat's last action on the request
	Conditions    []mla.Condition
	Decisions     []mla.DecisionKind
}

// SeatView is what a seat's page shows.
type SeatView struct {
	Seat     *Seat
	Title    string
	Started  bool
	Finished bool
	Paused   bool
	Requests []RequestView
}

// seatView builds a seat's page.
func (s *Session) seatView(seat *Seat) SeatView {
	v := SeatView{Seat: seat, Title: s.sc.Title, Started: s.Started(), Finished: s.Finished(), Paused: s.Paused()}
	for _, p := range s.sc.Requests {
		if seat.Acts(p.Request) {
			v.Requests = append(v.Requests, s.requestView(seat, p))
		}
	}
	return v
}

// proposalMark is how a timeline line names the policy's proposal to a person deciding.
const proposalMark = "; the policy would propose: "

func (s *Session) requestView(seat *Seat, p mla.Planned) RequestView {
	_, snap, _ := s.request(p.Request.ID)
	r := p.Request
	st := snap.state.Status
	v := RequestView{ID: r.ID, Title: r.Title, Kind: r.Kind, Channel: r.Channel, From: r.From, To: r.To, Basis: p.Basis.Basis, Case: r.Case,
		Sent: snap.sent, Status: st.Status, LegalTime: st.LegalTime, Waiting: st.Waiting, Step: step(snap.state), Error: snap.err,
		Conditions: mla.Conditions, Decisions: mla.Decisions}
	if !snap.sent {
		v.Status = "not sent yet"
	}
	v.ShowScreening = seat.State == r.To
	if v.ShowScreening {
		v.Screening, v.Measures = st.Screening, st.Measures
	}
	s.mu.Lock()
	hints := seat.Hints
	finished := s.finished
	for _, d := range s.decisions {
		if d.RequestID == r.ID && d.Seat == seat.Label() && d.Accepted {
			v.Done = "You sent (legal time " + d.LegalTime.Format("2006-01-02 15:04") + "): " + d.Summary
		}
	}
	s.mu.Unlock()
	for _, e := range snap.state.Timeline {
		if e.State != seat.State {
			continue
		}
		if head, proposal, ok := strings.Cut(e.Text, proposalMark); ok {
			e.Text = head
			if hints {
				v.Hint = "Hint: the policy of " + r.To + " would propose: " + proposal
			}
		}
		v.Timeline = append(v.Timeline, e)
	}
	if snap.sent && !st.Status.Final() && !finished {
		for _, a := range []Action{ActDecide, ActConsult, ActInformation, ActProceed} {
			if st.Waiting == a.Name && seat.May(r, a) {
				v.Forms, v.Mine = append(v.Forms, a), true
			}
		}
		for _, a := range []Action{ActWithdraw, ActExtend} {
			if seat.May(r, a) {
				v.Forms = append(v.Forms, a)
			}
		}
	}
	return v
}

// SeatStatus is a seat as the console lists it.
type SeatStatus struct {
	Seat *Seat
	URL  string
}

// ConsoleRequest is a request as the trainer sees it: with the answer key and the ground truth.
type ConsoleRequest struct {
	ID, Title, From, To string
	Kind                mla.RequestKind
	Status              mla.Status
	Sent                bool
	WaitingFor          string
	Truth               mla.Truth
	Matches             *bool
	Grounds             []string
}

// LaneEvent is one step of a request in the swimlanes: in its State's column, in legal-time order.
type LaneEvent struct {
	RequestID string
	Column    int
	mla.Event
}

// RequestLanes is one request's swimlanes: a column per State it involves, its steps in legal-time order.
type RequestLanes struct {
	ID, Title string
	States    []string
	Lanes     []LaneEvent
}

// wideLanes is the number of States above which the swimlanes are drawn per request: a demo world of a
// dozen States makes one table too wide to read on a projector.
const wideLanes = 4

// ConsoleView is what the trainer's console shows.
type ConsoleView struct {
	Title, Briefing string
	// ReadOnly is a lifecycle page: no seats, no controls. Events is where its updates stream from.
	ReadOnly  bool
	Events    string
	Started   bool
	Finished  bool
	Paused    bool
	LegalTime time.Time
	Seats     []SeatStatus
	Requests  []ConsoleRequest
	States    []string
	Lanes     []LaneEvent
	// ByRequest groups the swimlanes per request, each with the columns of its own States only, when
	// the run involves more States than one table shows legibly (wideLanes).
	ByRequest []RequestLanes
	Decisions []Decision
	Injects   []InjectView
}

// InjectView is an inject the trainer may fire by hand.
type InjectView struct {
	Index   int
	Type    string
	Request string
	Note    string
	Fired   bool
}

// consoleView builds the trainer's console; joinURL makes a seat's link from its token.
func (s *Session) consoleView(joinURL func(token string) string) ConsoleView {
	v := ConsoleView{Title: s.sc.Title, Briefing: s.sc.Briefing, ReadOnly: s.observer, Events: "/console/events", Started: s.Started(), Finished: s.Finished(), Paused: s.Paused(), Decisions: s.Decisions()}
	if s.observer {
		v.Events = "/events"
	}
	for _, seat := range s.seats {
		v.Seats = append(v.Seats, SeatStatus{Seat: seat, URL: joinURL(seat.Token)})
	}
	s.mu.Lock()
	for i, in := range s.sc.ByHand {
		v.Injects = append(v.Injects, InjectView{Index: i, Type: string(in.Type), Request: in.Request, Note: in.Note, Fired: s.fired[i]})
	}
	s.mu.Unlock()
	column := map[string]int{}
	addState := func(code string) {
		if _, ok := column[code]; !ok && code != "" {
			column[code] = len(v.States)
			v.States = append(v.States, code)
		}
	}
	for _, p := range s.sc.Requests {
		r := p.Request
		addState(r.From)
		addState(r.To)
		_, snap, _ := s.request(r.ID)
		st := snap.state.Status
		cr := ConsoleRequest{ID: r.ID, Title: r.Title, From: r.From, To: r.To, Kind: r.Kind, Status: st.Status, Sent: snap.sent, Truth: s.truth[r.ID]}
		if !snap.sent {
			cr.Status = "not sent yet"
		}
		if st.Waiting != "" {
			cr.WaitingFor = s.waitingFor(r, st.Waiting)
		}
		if e := cr.Truth.Expected; e != nil && snap.sent && st.Status.Final() {
			m := e.Status == st.Status
			cr.Matches = &m
		}
		v.Requests = append(v.Requests, cr)
		for _, e := range snap.state.Timeline {
			addState(e.State)
			v.Lanes = append(v.Lanes, LaneEvent{RequestID: r.ID, Column: column[e.State], Event: e})
			if e.At.After(v.LegalTime) {
				v.LegalTime = e.At
			}
		}
	}
	slices.SortStableFunc(v.Lanes, byLegalTime)
	if len(v.States) > wideLanes {
		v.ByRequest = lanesPerRequest(v.Requests, v.Lanes)
	}
	return v
}

func byLegalTime(a, b LaneEvent) int { return cmp.Compare(a.At.UnixNano(), b.At.UnixNano()) }

// lanesPerRequest splits swimlanes in legal-time order into one set per request, each with a column per
// State the request involves (its requesting and requested States first), the requests in the order of
// their first step; a request not sent yet has none.
func lanesPerRequest(reqs []ConsoleRequest, lanes []LaneEvent) []RequestLanes {
	index := map[string]int{}
	var out []RequestLanes
	for _, e := range lanes {
		i, ok := index[e.RequestID]
		if !ok {
			i = len(out)
			index[e.RequestID] = i
			rl := RequestLanes{ID: e.RequestID}
			for _, r := range reqs {
				if r.ID == e.RequestID {
					rl.Title = r.Title
					rl.States = []string{r.From, r.To}
				}
			}
			out = append(out, rl)
		}
		rl := &out[i]
		col := slices.Index(rl.States, e.State)
		if col < 0 {
			col = len(rl.States)
			rl.States = append(rl.States, e.State)
		}
		e.Column = col
		rl.Lanes = append(rl.Lanes, e)
	}
	return out
}

// waitingFor names the seat a request waits for.
func (s *Session) waitingFor(r mla.Request, update string) string {
	a, ok := actionOf(update)
	if !ok {
		return update
	}
	for _, seat := range s.seats {
		if seat.May(r, a) {
			return seat.Label() + " (to " + a.Label + ")"
		}
	}
	return a.Label
}
