package train

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// Score is how a request's decisions measure against the answer key and the rules.
type Score struct {
	RequestID string           `json:"request_id"`
	Title     string           `json:"title"`
	From      string           `json:"from"`
	To        string           `json:"to"`
	Expected  *mla.Expectation `json:"expected,omitempty"`
	Abusive   bool             `json:"abusive"`
	Status    mla.Status       `json:"status"`
	// RightOutcome: the request ended as the answer key expects (unset without a key or before the end).
	RightOutcome *bool `json:"right_outcome,omitempty"`
	// GroundsCited are the grounds the trainees' accepted decisions cited, each with its citation;
	// KeyGroundsMissed, the answer key's grounds they did not cite.
	GroundsCited     []mla.Citation `json:"grounds_cited"`
	KeyGroundsMissed []string       `json:"key_grounds_missed"`
	// BarredTried are the grounds a trainee tried that an instrument bars, with the bar's citation.
	BarredTried []string `json:"barred_tried"`
	// Duties are the duties the screening found, and whether the trainees' decisions met those that
	// fall to them (reasons for a refusal or postponement).
	Duties []DutyScore `json:"duties"`
	// Decisions are the trainees' actions on the request, accepted and refused.
	Decisions []Decision `json:"decisions"`
	// WallTaken and LegalTaken sum the time the accepted decisions took.
	WallTaken  time.Duration `json:"wall_taken_ns"`
	LegalTaken time.Duration `json:"legal_taken_ns"`
	// Points are what a debrief should discuss.
	Points []string `json:"points"`
	// Timeline is the request's story, in legal time.
	Timeline []mla.Event `json:"timeline"`
}

// DutyScore is a duty of the requested State and whether it was met.
type DutyScore struct {
	mla.Citation
	Duty string `json:"duty"`
	// Met is unset for a duty the workflow performs itself (consultation, informing).
	Met *bool `json:"met,omitempty"`
}

// Scores measures every request of the session against its answer key and the rules.
func (s *Session) Scores() []Score {
	var out []Score
	decisions := s.Decisions()
	for _, p := range s.sc.Requests {
		r := p.Request
		_, snap, _ := s.request(r.ID)
		sc := Score{RequestID: r.ID, Title: r.Title, From: r.From, To: r.To, Expected: s.truth[r.ID].Expected, Abusive: s.truth[r.ID].Abusive,
			Status: snap.state.Status.Status, GroundsCited: []mla.Citation{}, KeyGroundsMissed: []string{}, BarredTried: []string{}, Duties: []DutyScore{},
			Decisions: []Decision{}, Points: []string{}, Timeline: snap.state.Timeline}
		if !snap.sent {
			sc.Status = "not sent"
		}
		for _, d := range decisions {
			if d.RequestID == r.ID {
				sc.Decisions = append(sc.Decisions, d)
			}
		}
		sc.score(snap.state.Status.Screening)
		sc.legalTaken()
		sc.discuss(snap.sent)
		out = append(out, sc)
	}
	return out
}

// score fills the grounds, bars and duties from the decisions and the screening.
func (sc *Score) score(screening *mla.Screening) {
	accepted := sc.decisionsTried(screening)
	if e := sc.Expected; e != nil && sc.Status.Final() {
		right := e.Status == sc.Status
		sc.RightOutcome = &right
	}
	if screening == nil {
		return
	}
	for _, f := range screening.Duties() {
		ds := DutyScore{Citation: f.Citation(), Duty: f.Duty}
		if f.Duty == "reasons" && accepted != nil && accepted.Kind != mla.DecisionGrant {
			met := strings.TrimSpace(accepted.Reasons) != ""
			ds.Met = &met
		}
		sc.Duties = append(sc.Duties, ds)
	}
	if accepted == nil {
		return
	}
	for _, g := range accepted.Grounds {
		if f, ok := screening.Ground(g); ok {
			sc.GroundsCited = append(sc.GroundsCited, f.Citation())
		} else if p, ok := screening.Postponement(); ok && p.Ground == g {
			sc.GroundsCited = append(sc.GroundsCited, p.Citation())
		}
	}
	if e := sc.Expected; e != nil {
		for _, g := range e.Grounds {
			if !slices.Contains(accepted.Grounds, g) {
				sc.KeyGroundsMissed = append(sc.KeyGroundsMissed, g)
			}
		}
	}
}

// decisionsTried notes the barred grounds the decisions tried and the wall time the accepted ones took,
// and returns the last accepted decision.
func (sc *Score) decisionsTried(screening *mla.Screening) *Decision {
	var accepted *Decision
	for i, d := range sc.Decisions {
		if d.Update != workflows.UpdateDecide {
			continue
		}
		if d.Accepted {
			accepted = &sc.Decisions[i]
			sc.WallTaken += d.Took
		}
		if screening == nil {
			continue
		}
		for _, b := range screening.Barred() {
			if tried := b.Ground + " (barred by " + b.Citation().String() + ")"; slices.Contains(d.Grounds, b.Ground) && !slices.Contains(sc.BarredTried, tried) {
				sc.BarredTried = append(sc.BarredTried, tried)
			}
		}
	}
	return accepted
}

// legalTaken sums the legal time between each wait for a trainee and the step that followed it.
func (sc *Score) legalTaken() {
	for i, e := range sc.Timeline {
		if !strings.Contains(e.Text, "waiting for the ") || i+1 >= len(sc.Timeline) {
			continue
		}
		sc.LegalTaken += sc.Timeline[i+1].At.Sub(e.At)
	}
}

// discuss lists the points a debrief should take up.
func (sc *Score) discuss(sent bool) {
	add := func(format string, args ...any) { sc.Points = append(sc.Points, fmt.Sprintf(format, args...)) }
	switch {
	case !sent:
		add("The request was never sent in this session.")
		return
	case !sc.Status.Final():
		add("The request had not ended when the report was made (%s).", sc.Status)
	}
	if len(sc.Decisions) == 0 && sc.Status.Final() {
		add("No trainee acted on this request: the simulated actors did.")
	}
	if sc.RightOutcome != nil && !*sc.RightOutcome {
		add("The answer key expects %s; the request ended %s.", sc.Expected.Status, sc.Status)
	}
	if len(sc.KeyGroundsMissed) > 0 {
		add("The answer key rests on %s, which the decision did not cite.", strings.Join(sc.KeyGroundsMissed, ", "))
	}
	for _, b := range sc.BarredTried {
		add("Ground %s was tried: why does the instrument rule it out?", b)
	}
	for _, d := range sc.Duties {
		if d.Met != nil && !*d.Met {
			add("The duty to %s (%s) was not met.", d.Duty, d.Citation)
		}
	}
	executed := sc.Status == mla.StatusCompleted || sc.Status == mla.StatusPartial
	switch {
	case sc.Abusive && executed:
		add("Safeguard failure: the request was made to target the person (ground truth), and it was executed. Which signs could have told?")
	case !sc.Abusive && sc.Status == mla.StatusRefused:
		add("Over-blocking: a legitimate request was refused.")
	}
	for _, d := range sc.Decisions {
		if !d.Accepted {
			add("%s tried to %s and was refused: %s", d.Seat, d.Summary, d.Refusal)
		}
	}
}

// WriteJSON writes the scores as JSON.
func WriteJSON(w io.Writer, scores []Score) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(scores)
}

// WriteCSV writes one row per trainee action, with its request's score.
func WriteCSV(w io.Writer, scores []Score) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"request_id", "seat", "update", "summary", "accepted", "refusal", "legal_time", "wall_seconds",
		"request_status", "expected_status", "right_outcome", "key_grounds_missed", "barred_tried", "abusive"})
	for _, sc := range scores {
		exp, right := "", ""
		if sc.Expected != nil {
			exp = string(sc.Expected.Status)
		}
		if sc.RightOutcome != nil {
			right = strconv.FormatBool(*sc.RightOutcome)
		}
		rows := sc.Decisions
		if len(rows) == 0 {
			rows = []Decision{{}}
		}
		for _, d := range rows {
			legal := ""
			if !d.LegalTime.IsZero() {
				legal = d.LegalTime.Format("2006-01-02T15:04")
			}
			_ = cw.Write([]string{sc.RequestID, d.Seat, d.Update, d.Summary, strconv.FormatBool(d.Accepted), d.Refusal, legal,
				strconv.FormatFloat(d.Took.Seconds(), 'f', 0, 64), string(sc.Status), exp, right,
				strings.Join(sc.KeyGroundsMissed, "|"), strings.Join(sc.BarredTried, "|"), strconv.FormatBool(sc.Abusive)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReportView is what the after-action report shows.
type ReportView struct {
	Title, Briefing string
	Made            time.Time
	Scores          []Score
	Seats           []*Seat
	Right, Keyed    int
}

func (s *Session) reportView() ReportView {
	v := ReportView{Title: s.sc.Title, Briefing: s.sc.Briefing, Made: time.Now().UTC(), Scores: s.Scores(), Seats: s.seats}
	for _, sc := range v.Scores {
		if sc.RightOutcome != nil {
			v.Keyed++
			if *sc.RightOutcome {
				v.Right++
			}
		}
	}
	return v
}
