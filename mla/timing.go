package mla

import "time"

// Timings are the legal durations of a request's steps, before seeded variation. They are modelling
// assumptions for training (no instrument fixes them, UNTOC 18(24) template: "as soon as possible"),
// documented in docs/legal-model.md.
type Timings struct {
	// Send is the transport time from sender to recipient; Acknowledge, until the recipient confirms.
	Send, Acknowledge time.Duration
	// Register is the time to log the request; Review, to screen and decide.
	Register, Review time.Duration
	// Consult is the requesting State's time to answer proposed conditions or questions.
	Consult time.Duration
	// Coordinate is the time a 24/7 point of contact outside the authority for mutual assistance takes to
	// coordinate with it.
	Coordinate time.Duration
	// Order is the time to obtain and serve the order on the provider (judge or prosecutor).
	Order time.Duration
	// Provider is the provider's answer time when the scenario sets none.
	Provider time.Duration
	// InformationDeadline is how long the requested State waits for additional information.
	InformationDeadline time.Duration
	// DecisionTimeout is how long a manual actor may take before the State's policy decides.
	DecisionTimeout time.Duration
	// Postponement is how long a postponement lasts when the scenario sets none.
	Postponement time.Duration
}

// TimingsFor gives the timings of a request travelling a channel. The 24/7 network and emergencies run
// in hours (Budapest Art 35 "immediate assistance"; CETS 224 Arts 9-10 "rapidly expedited"); central
// authorities and diplomatic channels in days and weeks.
func TimingsFor(ch Channel, emergency bool) Timings {
	if emergency {
		return Timings{Send: 20 * time.Minute, Acknowledge: 10 * time.Minute, Register: 10 * time.Minute, Review: time.Hour,
			Consult: 2 * time.Hour, Coordinate: 30 * time.Minute, Order: time.Hour, Provider: 2 * time.Hour, InformationDeadline: 6 * time.Hour,
			DecisionTimeout: 4 * time.Hour, Postponement: 12 * time.Hour}
	}
	t := Timings{Register: 2 * Day, Review: 10 * Day, Consult: 7 * Day, Order: 5 * Day, Provider: 10 * Day,
		InformationDeadline: 30 * Day, DecisionTimeout: 30 * Day, Postponement: 30 * Day}
	switch ch {
	case ChannelNetwork247:
		t.Send, t.Acknowledge, t.Register, t.Review, t.Order, t.Provider = time.Hour, 30*time.Minute, 30*time.Minute, 6*time.Hour, 12*time.Hour, Day
		t.Consult, t.InformationDeadline, t.DecisionTimeout, t.Coordinate = Day, 3*Day, 2*Day, 2*time.Hour
	case ChannelDiplomatic:
		t.Send, t.Acknowledge = 21*Day, 7*Day
	case ChannelProvider:
		t.Send, t.Acknowledge, t.Order = time.Hour, 0, 2*Day
	case ChannelOwnSystem:
		t.Send, t.Acknowledge, t.Order = 0, 0, Day
	case ChannelInterpol, ChannelJudicial:
		t.Send, t.Acknowledge = Day, 12*time.Hour
	default:
		t.Send, t.Acknowledge = 7*Day, 3*Day
	}
	return t
}
