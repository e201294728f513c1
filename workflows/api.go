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

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/scenarios"
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
	// QueryPacks (Scenario workflow) returns the scenario's own rule packs, for workers that need them:
	// PackFiles since changeScenarioWindow, a map of path to content before.
	QueryPacks = "packs"

	// UpdateDecide carries a person's decision (DecisionUpdate) for a manual requested central authority
	// or 24/7 point of contact.
	UpdateDecide = "decide"
	// UpdateRespondConsultation carries the requesting State's answer (ConsultationAnswer) to proposed
	// conditions, for a manual requesting central authority.
	UpdateRespondConsultation = "respond-consultation"
	// UpdateRespondConfidentiality carries the requesting State's choice (ConfidentialityAnswer), once
	// told that the requested State cannot keep the request confidential, whether it should nevertheless
	// be executed, for a manual requesting central authority.
	UpdateRespondConfidentiality = "respond-confidentiality"
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
	// SignalCounterpartGone tells a request that the workflow it talks to ended without a word
	// (CounterpartGone); the scenario workflow sends it.
	SignalCounterpartGone = "counterpart-gone"
	// SignalClock pauses or resumes the legal clock of a request in a training session (ClockSignal).
	SignalClock = "clock"
	// SignalNewInformation brings a request new information from the requesting State in a training
	// session (NewInformation), at the legal time it arrives: a later screening takes it into account.
	SignalNewInformation = "new-information"
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

// RequestInput starts a Request or Preservation workflow: a planned request (the request, both States,
// the legal basis, its seed), the legal clock from the moment it is sent, and how it relates to the other
// requests of its scenario.
type RequestInput struct {
	ScenarioID string `json:"scenario_id"`
	mla.Planned
	// Clock starts at the legal time the request is sent.
	Clock mla.Clock `json:"clock"`
	// PreservationWorkflowID is the workflow of the preservation this request follows up, if any.
	PreservationWorkflowID string `json:"preservation_workflow_id,omitempty"`
	// FollowUps are the requests of the scenario that follow up this preservation: it waits for the word
	// of each sent before its period ends before deciding whether it expired first.
	FollowUps []FollowUpRef `json:"follow_ups,omitempty"`
	// FollowUpExpected says a preservation has follow-ups, as requests started before
	// changeMessagesOnce were told.
	FollowUpExpected bool `json:"follow_up_expected,omitempty"`
	// PackSet names the scenario's own rule packs, screened with the built-in ones.
	PackSet activities.PackRef `json:"pack_set,omitzero"`
	// Packs carries the scenario's own rule packs inline, as requests started by earlier versions do.
	Packs map[string][]byte `json:"packs,omitempty"`
}

// ScenarioInput starts a Scenario workflow: the scenario's source (small, whatever the number of
// requests it generates), the fingerprint of the requests it plans, and where the run stands, which it
// carries when it continues as new. The scenario's own packs travel in the source once; requests refer
// to them by hash.
type ScenarioInput struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Clock mla.Clock `json:"clock"`
	Seed  int64     `json:"seed"`

	Source      *scenarios.Source `json:"source,omitempty"`
	Fingerprint string            `json:"fingerprint,omitempty"`
	PacksHash   string            `json:"packs_hash,omitempty"`
	// Window is how many cases may run at once (default 200); RunLimit, how many a run starts before it
	// continues as new (default 500).
	Window   int `json:"window,omitempty"`
	RunLimit int `json:"run_limit,omitempty"`
	// Cursor is the next case to start; Cases and Requests are the totals, once known.
	Cursor   int `json:"cursor,omitempty"`
	Cases    int `json:"cases,omitempty"`
	Requests int `json:"requests_total,omitempty"`
	// Done and Failed count the requests ended (and those the engine could not run) in earlier runs.
	Done   int `json:"done,omitempty"`
	Failed int `json:"failed,omitempty"`
	// InFlight are the cases earlier runs started that had not ended when they continued as new.
	InFlight []CaseRef `json:"in_flight,omitempty"`
	// EngineStart is the engine time the scenario's legal time starts at.
	EngineStart time.Time `json:"engine_start,omitzero"`
	// HeldFor is the engine time a training run's clock stood still in earlier runs, and PausedSince when
	// the trainer paused it, if it was paused as the run continued as new.
	HeldFor     time.Duration `json:"held_for,omitempty"`
	PausedSince time.Time     `json:"paused_since,omitzero"`

	// Planned carries every request, as runs started before changeScenarioWindow took them.
	Planned []RequestInput    `json:"requests,omitempty"`
	Packs   map[string][]byte `json:"packs,omitempty"`
}

// CaseRef names a case that is running: its workflow and its number of requests.
type CaseRef struct {
	WorkflowID string `json:"workflow_id"`
	Requests   int    `json:"requests"`
}

// CaseInput starts a Case workflow: requests that talk to each other, the scenario's clock, and how long
// after the scenario's start the case starts.
type CaseInput struct {
	ScenarioID         string         `json:"scenario_id"`
	ScenarioWorkflowID string         `json:"scenario_workflow_id"`
	Clock              mla.Clock      `json:"clock"`
	Start              mla.Duration   `json:"start"`
	PacksHash          string         `json:"packs_hash,omitempty"`
	Requests           []RequestInput `json:"requests"`
}

// CaseResult is what a Case workflow returns: its requests' outcomes.
type CaseResult struct {
	Results []mla.Outcome `json:"results"`
}

// NewScenarioInput builds the input of a Scenario workflow from a loaded scenario.
func NewScenarioInput(sc *scenarios.Scenario) ScenarioInput {
	src := sc.Source()
	return ScenarioInput{ID: sc.ID, Title: sc.Title, Clock: sc.Clock, Seed: sc.Seed, Source: &src,
		Fingerprint: scenarios.Fingerprint(sc.Requests), PacksHash: sc.PacksHash}
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
	// Measures are the screenings of the request's further measures, for a person who decides them one
	// by one (1 is the first further measure).
	Measures []MeasureScreening `json:"measures,omitempty"`
}

// MeasureScreening is the screening of one further measure of a request.
type MeasureScreening struct {
	Measure   int           `json:"measure"`
	Label     string        `json:"label"`
	Screening mla.Screening `json:"screening"`
}

// Progress is the answer to a Scenario workflow's QueryProgress.
type Progress struct {
	// Started lists the request workflows started, for runs started before changeScenarioWindow.
	Started []string `json:"started,omitempty"`
	// Done counts the requests that have ended (Failed of them without a result); Running, the
	// requests of the cases running; Total, the requests of the scenario.
	Done    int `json:"done"`
	Failed  int `json:"failed,omitempty"`
	Running int `json:"running,omitempty"`
	Total   int `json:"total"`
}

// ScenarioResult is what a Scenario workflow returns: counts of the requests that ended, and of those the
// engine could not run. (Runs started before changeScenarioWindow return every request's outcome.) The
// starter fetches each request's outcome from its own workflow and fills Results.
type ScenarioResult struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Requests int           `json:"requests,omitempty"`
	Failed   int           `json:"failed,omitempty"`
	Results  []mla.Outcome `json:"results,omitempty"`
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
	PostponeFor mla.Duration `json:"postpone_for,omitempty"`
	// Measures are the person's decisions on the request's further measures, measure by measure (a
	// further measure without one follows the decision on the first).
	Measures []mla.PartChoice `json:"measures,omitempty"`
}

// ClockSignal pauses (Paused) or resumes the legal clock of a request in a training session.
type ClockSignal struct {
	Paused bool `json:"paused"`
}

// NewInformation is new information a trainer fires by hand: a note and the facts it changes.
type NewInformation struct {
	Note string        `json:"note"`
	Set  mla.CasePatch `json:"set"`
}

// ConsultationAnswer is the requesting State's answer to proposed conditions.
type ConsultationAnswer struct {
	Accept bool   `json:"accept"`
	Note   string `json:"note,omitempty"`
}

// ConfidentialityAnswer is the requesting State's choice when the requested State cannot keep the
// request confidential: have it executed nevertheless, or not (the request is withdrawn).
type ConfidentialityAnswer struct {
	Proceed bool   `json:"proceed"`
	Note    string `json:"note,omitempty"`
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
	For mla.Duration `json:"for,omitempty"`
}

// FollowUp tells a preservation that its follow-up request arrived in the requested State at legal time
// At, or, with None, that the follow-up ended before it arrived and none will come.
type FollowUp struct {
	RequestID  string    `json:"request_id"`
	WorkflowID string    `json:"workflow_id,omitempty"`
	At         time.Time `json:"at"`
	None       bool      `json:"none,omitempty"`
}

// FollowUpRef names a request that follows up a preservation, and the legal time it is sent.
type FollowUpRef struct {
	RequestID  string    `json:"request_id"`
	WorkflowID string    `json:"workflow_id"`
	SentAt     time.Time `json:"sent_at"`
}

// CounterpartGone tells a request that a workflow it talks to (its preservation, or a follow-up) ended
// without the word it owed: terminated, failed, or never started.
type CounterpartGone struct {
	RequestID  string `json:"request_id"`
	WorkflowID string `json:"workflow_id"`
	Reason     string `json:"reason"`
}

// PreservationState answers a FollowUp.
type PreservationState struct {
	Preserved bool       `json:"preserved"`
	Until     time.Time  `json:"until"`
	Status    mla.Status `json:"status"`
}

// FollowUpOutcome tells a preservation how its follow-up ended, and when (legal time).
type FollowUpOutcome struct {
	RequestID string     `json:"request_id,omitempty"`
	Status    mla.Status `json:"status"`
	At        time.Time  `json:"at"`
}

// a names mlasim's activities for workflow code: calls through it are checked by the compiler, and the
// SDK takes the activity names from the methods (Transmit, Screen, ExecuteOrder).
var a *activities.Activities

// PackFiles are a scenario's own rule packs: file names relative to Dir, to their content.
type PackFiles struct {
	Dir   string            `json:"dir"`
	Files map[string][]byte `json:"files"`
}
