package mla

import (
	"fmt"
	"slices"
	"time"
)

// Event is one step of a request's timeline, stamped in legal time.
type Event struct {
	At        time.Time  `json:"at"`
	Stage     string     `json:"stage"`
	Status    Status     `json:"status"`
	Actor     Actor      `json:"actor"`
	State     string     `json:"state"`
	Text      string     `json:"text"`
	Citations []Citation `json:"citations,omitempty"`
}

// Outcome is how a request ended: its final status, the decision and the grounds it rests on with their
// citations, the rules that fired, the timeline in legal time, and what became of the evidence. It holds
// what the engines observed, never the ground truth (see Truth).
type Outcome struct {
	RequestID  string      `json:"request_id"`
	WorkflowID string      `json:"workflow_id,omitempty"`
	Title      string      `json:"title"`
	Kind       RequestKind `json:"kind"`
	From       string      `json:"from"`
	To         string      `json:"to"`
	Channel    Channel     `json:"channel"`
	Basis      Basis       `json:"basis"`
	Status     Status      `json:"status"`
	Decision   *Decision   `json:"decision,omitempty"`
	// Grounds are the grounds the decision rests on, with citations.
	Grounds []Citation `json:"grounds,omitempty"`
	// Findings are the rules that fired in the last screening; Fired, every rule that fired in any.
	Findings []Finding `json:"findings,omitempty"`
	Fired    []string  `json:"fired,omitempty"`
	Timeline []Event   `json:"timeline"`
	Sent     time.Time `json:"sent"`
	Closed   time.Time `json:"closed"`
	Evidence string    `json:"evidence,omitempty"`
	// EvidenceLost is true when data was lost: a preservation expired, or retention ran out.
	EvidenceLost bool `json:"evidence_lost"`
	// DeadlineMet is set when the request had a deadline.
	DeadlineMet *bool `json:"deadline_met,omitempty"`
	// ProviderAttempts counts calls to the service provider.
	ProviderAttempts int      `json:"provider_attempts,omitempty"`
	Onward           *Outcome `json:"onward,omitempty"`
	// EngineError is set when the engine could not run the request: then there is no legal outcome, and
	// Status says nothing about the request.
	EngineError string `json:"engine_error,omitempty"`
}

// EngineFailed reports whether the engine could not run the request (no legal outcome).
func (o Outcome) EngineFailed() bool { return o.EngineError != "" }

// Delivered reports whether evidence reached the requesting State.
func (o Outcome) Delivered() bool {
	return !o.EngineFailed() && (o.Status == StatusCompleted || o.Status == StatusPartial)
}

// DecidedGrounds lists the grounds the decision rests on.
func (o Outcome) DecidedGrounds() []string {
	if o.Decision == nil {
		return nil
	}
	return o.Decision.Grounds
}

// Met checks an outcome against the answer key: the status, and every ground the key names among the
// grounds the decision rests on. It says what differs.
func (e Expectation) Met(o Outcome) (bool, string) {
	if o.EngineFailed() {
		return false, "the engine failed: " + o.EngineError
	}
	if o.Status != e.Status {
		return false, fmt.Sprintf("expected %s", e.Status)
	}
	for _, g := range e.Grounds {
		if !slices.Contains(o.DecidedGrounds(), g) {
			return false, "expected ground " + g
		}
	}
	return true, ""
}
