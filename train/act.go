package train

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// ActionError is an action the session refused, with the HTTP status and the message the page shows.
// Nothing was sent to the workflow.
type ActionError struct {
	Code int
	Msg  string
}

func (e *ActionError) Error() string { return e.Msg }

func refuse(code int, format string, args ...any) *ActionError {
	return &ActionError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// step names where a request stands for the forms shown on it: a form posted for another step is stale.
func step(st RequestState) string {
	return fmt.Sprintf("%s/%d", st.Status.Waiting, len(st.Timeline))
}

// Act relays a seat's action on a request as a workflow update. It refuses, with a message and nothing
// sent, an action of an ended session, one the seat may not take (another State's or role's), a form
// posted after the request moved on, and a form with a missing field; the workflow's own validator has
// the last word, and its refusal comes back as the message.
func (s *Session) Act(ctx context.Context, seat *Seat, requestID string, a Action, form url.Values) error {
	if s.Finished() {
		return refuse(http.StatusConflict, "The session has ended: no more actions are taken.")
	}
	if !s.Started() {
		return refuse(http.StatusConflict, "The session has not started yet.")
	}
	p, _, ok := s.request(requestID)
	if !ok {
		return refuse(http.StatusNotFound, "There is no request %q in this session.", requestID)
	}
	r := p.Request
	if !seat.May(r, a) {
		return refuse(http.StatusForbidden, "Your seat, the %s, cannot %s on request %s (from %s to %s).", seat.Label(), a.Label, r.ID, r.From, r.To)
	}
	st, sent, err := s.backend.Request(ctx, requestID)
	switch {
	case err != nil:
		return refuse(http.StatusBadGateway, "The request's workflow did not answer: %v", err)
	case !sent:
		return refuse(http.StatusConflict, "Request %s has not been sent yet.", r.ID)
	case form.Get("step") != step(st):
		return refuse(http.StatusConflict, "This form is out of date: request %s has moved on (it is now %s). Nothing was recorded; the page shows where it stands.", r.ID, describe(st))
	case st.Status.Status.Final():
		return refuse(http.StatusConflict, "Request %s has ended (%s).", r.ID, st.Status.Status)
	}
	if a != ActWithdraw && a != ActExtend && st.Status.Waiting != a.Name {
		return refuse(http.StatusConflict, "Request %s is not waiting for you to %s now (it is %s).", r.ID, a.Label, describe(st))
	}
	arg, summary, perr := parseForm(a, form, seat)
	d := Decision{At: time.Now(), LegalTime: st.Status.LegalTime, RequestID: r.ID, Seat: seat.Label(), Update: a.Name, Summary: summary}
	if u, ok := arg.(workflows.DecisionUpdate); ok {
		d.Kind, d.Grounds, d.Reasons = u.Kind, u.Grounds, u.Reasons
	}
	if perr != nil {
		d.Refusal = perr.Msg
		s.record(d, st)
		return perr
	}
	if err := s.backend.Update(ctx, requestID, a.Name, arg); err != nil {
		ae := refuse(http.StatusUnprocessableEntity, "The request's workflow refused it: %s", cleanUpdateError(err))
		d.Refusal = ae.Msg
		s.record(d, st)
		return ae
	}
	d.Accepted = true
	s.record(d, st)
	if s.refresh(ctx) {
		s.notify()
	}
	return nil
}

// describe says in words where a request stands.
func describe(st RequestState) string {
	if st.Status.Waiting != "" {
		return fmt.Sprintf("%s, waiting for %q", st.Status.Status, st.Status.Waiting)
	}
	return string(st.Status.Status)
}

// cleanUpdateError keeps the validator's own words from the error the SDK wraps them in.
func cleanUpdateError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, " (type: "); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// parseForm builds an update's argument from a form, refusing a form with a missing or malformed field.
func parseForm(a Action, form url.Values, seat *Seat) (any, string, *ActionError) {
	text := func(name string) string { return strings.TrimSpace(form.Get(name)) }
	switch a {
	case ActDecide:
		return parseDecision(form, seat)
	case ActConsult:
		switch text("accept") {
		case "yes":
			return workflows.ConsultationAnswer{Accept: true, Note: text("note")}, "accepts the conditions", nil
		case "no":
			return workflows.ConsultationAnswer{Accept: false, Note: text("note")}, "declines the conditions", nil
		}
		return nil, "", refuse(http.StatusBadRequest, "Say whether your State accepts the conditions.")
	case ActProceed:
		switch text("proceed") {
		case "yes":
			return workflows.ConfidentialityAnswer{Proceed: true, Note: text("note")}, "has it executed without confidentiality", nil
		case "no":
			return workflows.ConfidentialityAnswer{Proceed: false, Note: text("note")}, "withdraws it rather than lose its confidentiality", nil
		}
		return nil, "", refuse(http.StatusBadRequest, "Say whether your State wants the request executed without its confidentiality.")
	case ActInformation:
		if text("note") == "" {
			return nil, "", refuse(http.StatusBadRequest, "Write the information you send.")
		}
		return workflows.InformationAnswer{Note: text("note")}, "sends the information: " + text("note"), nil
	case ActWithdraw:
		if text("reason") == "" {
			return nil, "", refuse(http.StatusBadRequest, "Give the reason for withdrawing the request.")
		}
		return workflows.Withdrawal{Reason: text("reason")}, "withdraws: " + text("reason"), nil
	case ActExtend:
		var d mla.Duration
		if v := text("for"); v != "" {
			var err error
			if d, err = mla.ParseDuration(v); err != nil {
				return nil, "", refuse(http.StatusBadRequest, "Extension: %v", err)
			}
		}
		return workflows.Extension{For: d}, "asks to extend the preservation", nil
	}
	return nil, "", refuse(http.StatusBadRequest, "unknown action %q", a.Name)
}

func parseDecision(form url.Values, seat *Seat) (any, string, *ActionError) {
	kind, err := mla.ParseDecision(strings.TrimSpace(form.Get("kind")))
	if err != nil {
		return nil, "", refuse(http.StatusBadRequest, "Choose a decision: %v.", err)
	}
	u := workflows.DecisionUpdate{Kind: kind, Grounds: form["ground"], Reasons: strings.TrimSpace(form.Get("reasons")), By: "trainee, " + seat.Label()}
	for _, c := range form["condition"] {
		u.Conditions = append(u.Conditions, mla.Condition(c))
	}
	summary := string(kind)
	if len(u.Grounds) > 0 {
		summary += " on " + strings.Join(u.Grounds, ", ")
	}
	if u.Reasons != "" {
		summary += ": " + u.Reasons
	}
	if kind.NeedsGround() && len(u.Grounds) == 0 {
		return u, summary, refuse(http.StatusBadRequest, "A decision to %s must name at least one ground: tick the ground it rests on.", kind)
	}
	if kind != mla.DecisionGrant && u.Reasons == "" {
		return u, summary, refuse(http.StatusBadRequest, "Give the reasons for the decision to %s: the requesting State must be told why.", kind)
	}
	choices, bad := parseMeasureChoices(form)
	if bad != nil {
		return u, summary, bad
	}
	u.Measures = choices
	for _, c := range choices {
		if c.Kind != mla.DecisionGrant && u.Reasons == "" {
			return u, summary, refuse(http.StatusBadRequest, "Give the reasons for the decision to %s measure %d: the requesting State must be told why.", c.Kind, c.Measure+1)
		}
	}
	for _, c := range choices {
		summary += fmt.Sprintf("; measure %d: %s", c.Measure+1, c.Kind)
		if len(c.Grounds) > 0 {
			summary += " on " + strings.Join(c.Grounds, ", ")
		}
	}
	if v := strings.TrimSpace(form.Get("postpone_for")); v != "" {
		d, err := mla.ParseDuration(v)
		if err != nil {
			return u, summary, refuse(http.StatusBadRequest, "Postponement: %v", err)
		}
		u.PostponeFor = d
	}
	return u, summary, nil
}

// parseMeasureChoices reads the decisions on further measures: measure-N is grant, partial or refuse
// ("" follows the decision on the first measure), measure-N-ground the grounds it rests on.
func parseMeasureChoices(form url.Values) ([]mla.PartChoice, *ActionError) {
	var out []mla.PartChoice
	for n := 1; n <= mla.MaxMeasures; n++ {
		key := fmt.Sprintf("measure-%d", n)
		v := strings.TrimSpace(form.Get(key))
		if v == "" {
			continue
		}
		kind, err := mla.ParseDecision(v)
		if err != nil {
			return nil, refuse(http.StatusBadRequest, "Measure %d: %v.", n+1, err)
		}
		c := mla.PartChoice{Measure: n, Kind: kind, Grounds: form[key+"-ground"]}
		if kind != mla.DecisionGrant && len(c.Grounds) == 0 {
			return nil, refuse(http.StatusBadRequest, "Measure %d: a decision to %s must name at least one ground: tick the ground it rests on.", n+1, kind)
		}
		if kind == mla.DecisionGrant {
			c.Grounds = nil
		}
		out = append(out, c)
	}
	return out, nil
}
