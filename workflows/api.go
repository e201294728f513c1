// Package workflows holds mlasim's Temporal workflows: a Scenario workflow that sends requests on their
// schedule, a Request workflow for each MLA, access, interception, emergency or spontaneous request, and a
// Preservation workflow for the 24/7 network's expedited preservation. This file is their public
// contract: task queue, workflow-ID helpers, query, update and signal names, search attributes, and the
// input and output types.
package workflows

import (
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/mlasim/mlasim/mla"
)

// TaskQueue is the task queue mlasim workers poll.
const TaskQueue = "mlasim"

// Query, update and signal names.
const (
	// QueryStatus returns a StatusView.
	QueryStatus = "status"
	// QueryTimeline returns the []Event timeline so far.
	QueryTimeline = "timeline"
	// QueryProgress (Scenario workflow) returns a Progress.
	QueryProgress = "progress"

	// UpdateDecide carries a person's decision (DecisionUpdate) for a manual requested central authority
	// or 24/7 point of contact.
	UpdateDecide = "decide"
	// UpdateRespondConsultation carries the requesting State's answer (ConsultationAnswer) to proposed
	// conditions, for a manual requesting central authority.
	UpdateRespondConsultation = "respond-consultation"
	// UpdateAnswerInformation carries the requesting State's answer to a request for more information.
	UpdateAnswerInformation = "answer-information"
	// UpdateWithdraw withdraws the request (Withdrawal), at any stage before it ends.
	UpdateWithdraw = "withdraw"
	// UpdateExtend asks a Preservation workflow to extend the preservation (Extension).
	UpdateExtend = "extend"

	// SignalFollowUp tells a Preservation workflow that its follow-up MLA request arrived (FollowUp).
	SignalFollowUp = "follow-up-received"
	// SignalFollowUpDecided tells a Preservation workflow the follow-up request ended (FollowUpOutcome).
	SignalFollowUpDecided = "follow-up-decided"
	// SignalPreservationState answers a follow-up request with the preservation's state (PreservationState).
	SignalPreservationState = "preservation-state"
)

// Search attributes every request publishes, so the Web UI and `temporal workflow list --query` can
// filter requests, e.g. "RequestedState='VN' AND Status='Refused'".
//
// The status attribute is named in lower case on purpose: Temporal's query parser reads an unquoted
// Status as the SQL keyword STATUS and lower-cases it, so only an attribute named "status" answers the
// query as users write it.
var (
	SARequestingState = temporal.NewSearchAttributeKeyKeyword("RequestingState")
	SARequestedState  = temporal.NewSearchAttributeKeyKeyword("RequestedState")
	SARequestKind     = temporal.NewSearchAttributeKeyKeyword("RequestKind")
	SAStatus          = temporal.NewSearchAttributeKeyKeyword("status")
	SALegalBasis      = temporal.NewSearchAttributeKeyKeyword("LegalBasis")
	SAGrounds         = temporal.NewSearchAttributeKeyKeywordList("Grounds")
	SAScenario        = temporal.NewSearchAttributeKeyKeyword("Scenario")
)

// SearchAttributes lists the custom search attributes with their types, for registration on a cluster.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	SARequestingState.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	SARequestedState.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	SARequestKind.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	SAStatus.GetName():          enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	SALegalBasis.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	SAGrounds.GetName():         enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	SAScenario.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

// ScenarioWorkflowID is the workflow ID of one run of a scenario.
func ScenarioWorkflowID(scenario, runID string) string { return "scenario/" + scenario + "/" + runID }

// RequestWorkflowID is the workflow ID of a request within a scenario run.
func RequestWorkflowID(scenarioWorkflowID, requestID string) string {
	return scenarioWorkflowID + "/" + requestID
}

// RequestInput starts a Request or Preservation workflow.
type RequestInput struct {
	ScenarioID string          `json:"scenario_id"`
	Request    mla.Request     `json:"request"`
	Requesting mla.State       `json:"requesting"`
	Requested  mla.State       `json:"requested"`
	Basis      mla.BasisChoice `json:"basis"`
	// Clock starts at the legal time the request is sent.
	Clock mla.Clock `json:"clock"`
	Seed  int64     `json:"seed"`
	// PreservationWorkflowID is the workflow of the preservation this request follows up, if any.
	PreservationWorkflowID string `json:"preservation_workflow_id,omitempty"`
	// Onward is the third State where an onward preservation goes (Budapest Art 30), if any.
	Onward *mla.State `json:"onward,omitempty"`
	// OnwardBasis is the legal basis between the requesting State and Onward.
	OnwardBasis *mla.BasisChoice `json:"onward_basis,omitempty"`
	// FollowUpExpected is set on a preservation that a scripted request follows up: it then waits for
	// that request's arrival time before deciding whether it expired first.
	FollowUpExpected bool `json:"follow_up_expected,omitempty"`
	// Packs are the scenario's own rule packs (file name to content), screened with the built-in ones.
	Packs map[string][]byte `json:"packs,omitempty"`
}

// ScenarioInput starts a Scenario workflow.
type ScenarioInput struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Clock    mla.Clock      `json:"clock"`
	Seed     int64          `json:"seed"`
	Requests []RequestInput `json:"requests"`
}

// Event is one step of a request's timeline, stamped in legal time.
type Event struct {
	At        time.Time      `json:"at"`
	Stage     string         `json:"stage"`
	Status    mla.Status     `json:"status"`
	Actor     mla.Actor      `json:"actor"`
	State     string         `json:"state"`
	Text      string         `json:"text"`
	Citations []mla.Citation `json:"citations,omitempty"`
}

// StatusView is the answer to QueryStatus.
type StatusView struct {
	RequestID string     `json:"request_id"`
	Status    mla.Status `json:"status"`
	Stage     string     `json:"stage"`
	LegalTime time.Time  `json:"legal_time"`
	// Waiting names what the workflow waits for from a person, if anything: an update name.
	Waiting   string         `json:"waiting,omitempty"`
	Available []string       `json:"available_grounds,omitempty"`
	Screening *mla.Screening `json:"screening,omitempty"`
}

// RequestResult is what a Request or Preservation workflow returns.
type RequestResult struct {
	RequestID  string          `json:"request_id"`
	WorkflowID string          `json:"workflow_id"`
	Title      string          `json:"title"`
	Kind       mla.RequestKind `json:"kind"`
	From       string          `json:"from"`
	To         string          `json:"to"`
	Channel    mla.Channel     `json:"channel"`
	Basis      mla.Basis       `json:"basis"`
	Status     mla.Status      `json:"status"`
	Decision   *mla.Decision   `json:"decision,omitempty"`
	// Grounds are the grounds the decision rests on, with citations.
	Grounds []mla.Citation `json:"grounds,omitempty"`
	// Findings are the rules that fired in the last screening; Fired, every rule that fired in any.
	Findings []mla.Finding `json:"findings,omitempty"`
	Fired    []string      `json:"fired,omitempty"`
	Timeline []Event       `json:"timeline"`
	Sent     time.Time     `json:"sent"`
	Closed   time.Time     `json:"closed"`
	Evidence string        `json:"evidence,omitempty"`
	// EvidenceLost is true when data was lost: a preservation expired, or retention ran out.
	EvidenceLost bool `json:"evidence_lost"`
	// DeadlineMet is set when the request had a deadline.
	DeadlineMet *bool `json:"deadline_met,omitempty"`
	// ProviderAttempts counts calls to the service provider.
	ProviderAttempts int              `json:"provider_attempts,omitempty"`
	Onward           *RequestResult   `json:"onward,omitempty"`
	Abusive          bool             `json:"abusive"`
	Expected         *mla.Expectation `json:"expected,omitempty"`
}

// Progress is the answer to a Scenario workflow's QueryProgress.
type Progress struct {
	Started []string `json:"started"`
	// Done counts the requests that have ended; results come with the scenario workflow's own result.
	Done  int `json:"done"`
	Total int `json:"total"`
}

// ScenarioResult is what a Scenario workflow returns: every request's result, in scenario order.
type ScenarioResult struct {
	ID      string          `json:"id"`
	Title   string          `json:"title"`
	Results []RequestResult `json:"results"`
}

// DecisionUpdate is a person's decision sent with UpdateDecide.
type DecisionUpdate struct {
	Kind       mla.DecisionKind `json:"kind"`
	Grounds    []string         `json:"grounds,omitempty"`
	Conditions []mla.Condition  `json:"conditions,omitempty"`
	Reasons    string           `json:"reasons,omitempty"`
	// By names the person deciding (shown in the timeline).
	By string `json:"by,omitempty"`
	// PostponeFor is a legal duration such as "30d", for a postponement.
	PostponeFor string `json:"postpone_for,omitempty"`
}

// ConsultationAnswer is the requesting State's answer to proposed conditions.
type ConsultationAnswer struct {
	Accept bool   `json:"accept"`
	Note   string `json:"note,omitempty"`
}

// InformationAnswer is the requesting State's answer to a request for additional information.
type InformationAnswer struct {
	Note string `json:"note,omitempty"`
}

// Withdrawal withdraws a request.
type Withdrawal struct {
	Reason string `json:"reason"`
}

// Extension asks to extend a preservation by a legal duration such as "60d" (empty: the State's period).
type Extension struct {
	For string `json:"for,omitempty"`
}

// FollowUp tells a preservation that its follow-up request arrived in the requested State at legal time
// At, or, with None, that the follow-up ended before it arrived and none will come.
type FollowUp struct {
	RequestID  string    `json:"request_id"`
	WorkflowID string    `json:"workflow_id,omitempty"`
	At         time.Time `json:"at"`
	None       bool      `json:"none,omitempty"`
}

// PreservationState answers a FollowUp.
type PreservationState struct {
	Preserved bool       `json:"preserved"`
	Until     time.Time  `json:"until"`
	Status    mla.Status `json:"status"`
}

// FollowUpOutcome tells a preservation how its follow-up ended, and when (legal time).
type FollowUpOutcome struct {
	Status mla.Status `json:"status"`
	At     time.Time  `json:"at"`
}

// Activity names, registered by the worker and called by name from workflows.
const (
	ActivityTransmit = "Transmit"
	ActivityScreen   = "Screen"
	ActivityExecute  = "ExecuteOrder"
)

// TransmitInput sends a request or evidence over a channel.
type TransmitInput struct {
	RequestID string          `json:"request_id"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	Channel   mla.Channel     `json:"channel"`
	Kind      mla.RequestKind `json:"kind"`
	// What is sent: "request", "evidence", "information", "answer".
	What string `json:"what"`
}

// Receipt is the transport acknowledgement of a transmission.
type Receipt struct {
	Reference string `json:"reference"`
	Text      string `json:"text"`
}

// ScreenInput asks the requested State to screen a request against its rule packs and policy.
type ScreenInput struct {
	Facts  mla.Facts `json:"facts"`
	Policy string    `json:"policy"`
	// Packs are extra rule packs to screen with, besides the worker's own.
	Packs map[string][]byte `json:"packs,omitempty"`
}

// OrderInput asks the service provider to execute an order (produce, preserve, collect).
type OrderInput struct {
	RequestID string          `json:"request_id"`
	Kind      mla.RequestKind `json:"kind"`
	DataKind  string          `json:"data_kind"`
	Provider  mla.Provider    `json:"provider"`
	Seed      int64           `json:"seed"`
	// NonCoercive limits execution to what needs no coercive measure (partial grant).
	NonCoercive bool `json:"non_coercive"`
}

// OrderResult is the provider's answer.
type OrderResult struct {
	Evidence string `json:"evidence"`
	Attempt  int    `json:"attempt"`
}

// ProviderUnavailable is the error type of a failed provider call; it is retried.
const ProviderUnavailable = "ProviderUnavailable"
