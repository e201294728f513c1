package mla

import (
	"fmt"
	"time"
)

// Offence is what the requesting State investigates, as the requested State can see it.
type Offence struct {
	Name string `json:"name,omitempty" yaml:"name"`
	// Category is a short label used by rules: ransomware, fraud, illegal-access, speech, terrorism, ...
	Category string `json:"category,omitempty" yaml:"category"`
	// MaxPenaltyYears is the maximum deprivation of liberty in the requesting State (serious crime: ≥ 4,
	// UNTOC Art 2(b) template, UNCC Art 35(1)(c) [S]).
	MaxPenaltyYears int `json:"max_penalty_years,omitempty" yaml:"max_penalty_years"`
	// ConventionOffence is true for an offence the instruments define (UNCC Arts 7-17, Budapest Arts 2-11).
	ConventionOffence bool `json:"convention_offence,omitempty" yaml:"convention_offence"`
	// CriminalInRequested is whether the underlying conduct is criminal in the requested State (dual
	// criminality is tested on conduct, not label: Budapest Art 25(5)).
	CriminalInRequested bool `json:"criminal_in_requested,omitempty" yaml:"criminal_in_requested"`
	// Motive is why the person is said to have acted; Violent, whether the conduct harmed or endangered
	// persons. With the category they decide whether the offence is political (Offence.IsPolitical).
	Motive  Motive `json:"motive,omitempty" yaml:"motive"`
	Violent bool   `json:"violent,omitempty" yaml:"violent"`
	// Political is derived by the screening (IsPolitical): the requested State sees a political offence.
	// A scenario that writes it is rejected.
	Political bool `json:"political,omitempty" yaml:"political"`
	// Fiscal is true when the offence also involves fiscal matters.
	Fiscal bool `json:"fiscal,omitempty" yaml:"fiscal"`
}

// Person is the person concerned, described by what the requested State can observe.
type Person struct {
	Role        Role   `json:"role,omitempty" yaml:"role"`
	Nationality string `json:"nationality,omitempty" yaml:"nationality"`
	ResidesIn   string `json:"resides_in,omitempty" yaml:"resides_in"`
	// ProtectedExpression is true when the conduct is protected expression in the requested State.
	ProtectedExpression bool `json:"protected_expression,omitempty" yaml:"protected_expression"`
}

// Provider is the service provider that holds the data, with the faults a scenario injects.
type Provider struct {
	Name string `json:"name,omitempty" yaml:"name"`
	// Latency is the legal time the provider takes to answer an order.
	Latency Duration `json:"latency,omitempty" yaml:"latency"`
	// FailureRate is the share of calls that fail; failed calls are retried.
	FailureRate Share `json:"failure_rate,omitempty" yaml:"failure_rate"`
	// MaxAttempts bounds the retries; then execution is impossible (Budapest Art 27(7) duty to inform).
	MaxAttempts int `json:"max_attempts,omitempty" yaml:"max_attempts"`
	// Retention is how long the provider keeps the data after the conduct without a preservation order.
	Retention Duration `json:"retention,omitempty" yaml:"retention"`
}

// Label names the provider in messages.
func (p Provider) Label() string {
	if p.Name == "" {
		return "the service provider"
	}
	return p.Name
}

// Attempts is how many calls execution may make before it is impossible.
func (p Provider) Attempts() int {
	if p.MaxAttempts > 0 {
		return p.MaxAttempts
	}
	return 5
}

// Request is one request for electronic evidence, as a scenario file writes it and as every engine runs
// it: who sends it to whom and when, the case the requested State can see (Case), how the simulated
// actors behave (Script), the ground truth that only trainers and analysts see (Truth), and what the
// scenario's schedule adds when it loads (Schedule).
type Request struct {
	ID       string `json:"id,omitempty" yaml:"id" jsonschema:"required"`
	Title    string `json:"title,omitempty" yaml:"title" jsonschema:"required"`
	Briefing string `json:"briefing,omitempty" yaml:"briefing"`
	From     string `json:"from,omitempty" yaml:"from" jsonschema:"required"`
	To       string `json:"to,omitempty" yaml:"to" jsonschema:"required"`
	// At is when the request is sent, after the scenario start (legal time).
	At Duration `json:"at,omitempty" yaml:"at"`
	// Basis is the legal basis the requesting State invokes; empty lets SelectBasis choose.
	Basis Basis `json:"basis,omitempty" yaml:"basis"`
	// FollowUpOf is the ID of the preservation request this request follows up (Budapest 29(7)).
	FollowUpOf string `json:"follow_up_of,omitempty" yaml:"follow_up_of"`
	// RevealsProviderIn: executing this traffic-data preservation reveals a provider in that third State,
	// which starts an onward preservation there (Budapest Art 30).
	RevealsProviderIn string `json:"reveals_provider_in,omitempty" yaml:"reveals_provider_in"`

	Case     `yaml:",inline"`
	Script   `yaml:",inline"`
	Truth    `json:"-" yaml:",inline"`
	Schedule `yaml:"-"`
}

// Case is what the requested State can see of a request: the facts its rules read. It never holds the
// ground truth.
type Case struct {
	Kind    RequestKind `json:"kind,omitempty" yaml:"kind" jsonschema:"required"`
	Channel Channel     `json:"channel,omitempty" yaml:"channel"`
	Offence Offence     `json:"offence,omitempty" yaml:"offence"`
	Person  Person      `json:"person,omitempty" yaml:"person"`
	// DataKind is the data sought: subscriber, traffic, content, financial records, ...
	DataKind string `json:"data_kind,omitempty" yaml:"data_kind"`
	// Measures are further measures the request seeks besides its own kind and data. The requested
	// State screens and decides each on its own, so it can grant one and refuse another (a partial grant,
	// Budapest Art 27(6)); the request's kind and data are its first measure.
	Measures []Measure `json:"measures,omitempty" yaml:"measures"`
	// Jurisdiction is the jurisdiction the requesting State claims over the offence, and where the
	// conduct took place.
	Jurisdiction Jurisdiction `json:"jurisdiction,omitzero" yaml:"jurisdiction"`
	// Signs are the observable signs that the request targets the person for a protected reason, each
	// with its source. The screening weighs them (AssessTargeting); a scenario states the signs, never the
	// conclusion.
	Signs []Sign `json:"signs,omitempty" yaml:"signs"`
	// Omitted lists required content items the request leaves out.
	Omitted []string `json:"omitted,omitempty" yaml:"omitted"`
	// RequestingRecord is what is publicly known of the requesting State's use of such requests (empty:
	// the requesting State's own record). In the facts rules see, it is the record in effect.
	RequestingRecord Record `json:"requesting_record,omitempty" yaml:"requesting_record"`
	// Affects lists the essential interests of the requested State that execution would touch.
	Affects []Interest `json:"affects,omitempty" yaml:"affects"`
	// EssentialInterests is derived by the screening from Affects: execution would prejudice the
	// requested State's sovereignty, security, ordre public or other essential interests. A scenario that
	// writes it is rejected.
	EssentialInterests bool `json:"essential_interests,omitempty" yaml:"essential_interests"`
	// OngoingInvestigation: execution would interfere with the requested State's own proceedings.
	OngoingInvestigation bool `json:"ongoing_investigation,omitempty" yaml:"ongoing_investigation"`
	// DeletionRisk: there are grounds to believe the data is particularly vulnerable to loss or
	// modification (its holder deletes it soon, or it is volatile), as the request shows.
	DeletionRisk bool `json:"deletion_risk,omitempty" yaml:"deletion_risk"`
	// RevealsSources: the data sought would identify a journalist's confidential sources.
	RevealsSources bool `json:"reveals_sources,omitempty" yaml:"reveals_sources"`
	// BankSecrecy: the data sought is covered by bank secrecy in the requested State.
	BankSecrecy bool `json:"bank_secrecy,omitempty" yaml:"bank_secrecy"`
	// Confidential: the requesting State asks that the request be kept confidential.
	Confidential bool `json:"confidential,omitempty" yaml:"confidential"`
	// CannotKeepConfidential: the requested State cannot keep it confidential (it must say so).
	CannotKeepConfidential bool `json:"cannot_keep_confidential,omitempty" yaml:"cannot_keep_confidential"`
	// Misdirected: the request reached an authority of the requested State that is not competent to deal
	// with it (a judicial authority, over the direct judicial channel).
	Misdirected bool `json:"misdirected,omitempty" yaml:"misdirected"`
	// ExtraordinaryCosts: executing the request needs expenses of a substantial or extraordinary nature
	// (the request or the requested State says so).
	ExtraordinaryCosts bool `json:"extraordinary_costs,omitempty" yaml:"extraordinary_costs"`
	// Emergency: significant and imminent risk to the life or safety of a person.
	Emergency bool `json:"emergency,omitempty" yaml:"emergency"`
	// Deadline is the deadline the requesting State gives, with reasons (legal time after sending).
	Deadline Duration `json:"deadline,omitempty" yaml:"deadline"`
	// Access is how a requesting Party accesses data stored in another Party without its authorisation
	// (kind direct-access): open-source, or consent.
	Access Access `json:"access,omitempty" yaml:"access"`
	// Form is how the request is made: written (the default), expedited (fax, e-mail) or oral.
	Form Form `json:"form,omitempty" yaml:"form"`
	// Language is the language the request is written in (empty: not stated, taken as accepted).
	Language string `json:"language,omitempty" yaml:"language"`
}

// Measure is one measure a request seeks: a kind of assistance and the data it concerns.
type Measure struct {
	Kind     RequestKind `json:"kind" yaml:"kind"`
	DataKind string      `json:"data_kind,omitempty" yaml:"data_kind"`
}

// String names the measure as the timeline does: "interception (content)".
func (m Measure) String() string {
	if m.DataKind == "" {
		return string(m.Kind)
	}
	return fmt.Sprintf("%s (%s)", m.Kind, m.DataKind)
}

// MaxMeasures bounds the measures of one request.
const MaxMeasures = 6

// MeasureKinds are the kinds a measure may be: the kinds of mutual assistance proper.
var MeasureKinds = []RequestKind{KindMLA, KindStoredData, KindRealTime, KindInterception}

// Parts are the measures a request seeks: its own kind and data first, then its further measures.
func (c Case) Parts() []Measure {
	return append([]Measure{{Kind: c.Kind, DataKind: c.DataKind}}, c.Measures...)
}

// Coercive reports whether executing the request needs a coercive measure in the requested State.
func (c Case) Coercive() bool { return c.Kind.Coercive() }

// DataOr names the data the request seeks, or none when it does not say.
func (c Case) DataOr(none string) string {
	if c.DataKind == "" {
		return none
	}
	return c.DataKind
}

// Script is how the actors the simulator plays behave on a request, and the world around it.
type Script struct {
	// ConductAgo is how long before sending the conduct took place (for provider retention).
	ConductAgo Duration `json:"conduct_ago,omitempty" yaml:"conduct_ago"`
	// Postponement is how long a postponement lasts before the requested State resumes.
	Postponement Duration `json:"postponement,omitempty" yaml:"postponement"`
	// AnswersInformation: whether the requesting State answers a request for additional information
	// (default yes), and after how long.
	AnswersInformation *bool    `json:"answers_information,omitempty" yaml:"answers_information"`
	AnswerDelay        Duration `json:"answer_delay,omitempty" yaml:"answer_delay"`
	// AcceptsConditions: whether the requesting State accepts conditions proposed in consultation.
	AcceptsConditions bool `json:"accepts_conditions,omitempty" yaml:"accepts_conditions"`
	// ProceedsIfNotConfidential: whether the requesting State, told that the requested State cannot keep
	// the request confidential, still wants it executed (default yes); no withdraws it.
	ProceedsIfNotConfidential *bool `json:"proceeds_if_not_confidential,omitempty" yaml:"proceeds_if_not_confidential"`
	// BearsCosts: whether the requesting State, consulted on extraordinary costs, agrees to terms under
	// which the request is executed (default yes).
	BearsCosts *bool `json:"bears_costs,omitempty" yaml:"bears_costs"`
	// WithdrawsIfLate: told that its deadline will not be met, the requesting State says the assistance is
	// no longer required, and the request is withdrawn (as UNTOC Art 18(24), last sentence [U]).
	WithdrawsIfLate bool `json:"withdraws_if_late,omitempty" yaml:"withdraws_if_late"`
	// Extend: the requesting State asks to extend a preservation this long before it expires.
	Extend Duration `json:"extend,omitempty" yaml:"extend"`
	// WithdrawAfter withdraws the request this long after sending (zero: never).
	WithdrawAfter Duration `json:"withdraw_after,omitempty" yaml:"withdraw_after"`
	Provider      Provider `json:"provider,omitempty" yaml:"provider"`
	// Actors maps a role to automatic or manual (a person answers through a Temporal Update).
	Actors map[Actor]Mode `json:"actors,omitempty" yaml:"actors"`
	// DecisionTimeout bounds how long a manual actor may take before the State's policy decides.
	DecisionTimeout Duration `json:"decision_timeout,omitempty" yaml:"decision_timeout"`
	// ThinkBudget is the legal time a person's answer takes, however long the person thinks (default: the
	// time the simulated actor would take for the same step).
	ThinkBudget Duration `json:"think_budget,omitempty" yaml:"think_budget"`
}

// ProceedsUnconfidential reports whether the requesting State has a request it cannot have kept
// confidential executed nevertheless (default yes).
func (s Script) ProceedsUnconfidential() bool {
	return s.ProceedsIfNotConfidential == nil || *s.ProceedsIfNotConfidential
}

// AgreesCosts reports whether the requesting State agrees terms for extraordinary costs (default yes).
func (s Script) AgreesCosts() bool { return s.BearsCosts == nil || *s.BearsCosts }

// AnswersInfo reports whether the requesting State answers a request for information (default yes).
func (s Script) AnswersInfo() bool { return s.AnswersInformation == nil || *s.AnswersInformation }

// Truth is what only trainers and analysts may see: the answer key and whether the request was made to
// target a person for protected reasons. It never reaches the rules, a workflow or a trainee.
type Truth struct {
	// Expected is the answer key: the outcome a trainer expects.
	Expected *Expectation `json:"expected,omitempty" yaml:"expected"`
	// Abusive is the ground-truth label.
	Abusive bool `json:"abusive" yaml:"abusive"`
}

// Schedule is what a scenario adds to a request when it loads, from its schedule and injects, in legal
// time, so that every engine gives the same answer.
type Schedule struct {
	// Backlog is the legal time the request waits in the requested central authority's queue before
	// review, computed from the scenario's arrival schedule and the authority's capacity.
	Backlog Duration `json:"backlog,omitempty"`
	// BacklogAhead is how many requests were ahead in that queue.
	BacklogAhead int `json:"backlog_ahead,omitempty"`
	// Outages are legal-time windows in which the requested State's providers do not answer.
	Outages []Window `json:"outages,omitempty"`
	// PolicyChanges change the requested State's policy from a legal date on.
	PolicyChanges []PolicyChange `json:"policy_changes,omitempty"`
	// Updates are new information the requesting State sends: facts that change from a legal date on.
	Updates []FactUpdate `json:"updates,omitempty"`
}

// Expectation is the answer key for a scripted request.
type Expectation struct {
	Status  Status   `json:"status" yaml:"status"`
	Grounds []string `json:"grounds,omitempty" yaml:"grounds"`
}

// Decider is the role of the requested State that decides the request: the 24/7 point of contact for a
// preservation, an emergency or anything sent over the 24/7 network, the central authority otherwise;
// none for spontaneous information, which asks for no decision.
func (r Request) Decider() Actor {
	switch {
	case r.Kind == KindSpontaneous || r.Kind.Direct():
		return ""
	case r.Kind == KindPreservation || r.Kind == KindEmergency || r.Channel == ChannelNetwork247:
		return ActorPoC247
	}
	return ActorRequestedCA
}

// WorkFor reports whether a person playing role has something to do on this request: the requested
// State's decider decides it; the requesting central authority answers consultations and requests for
// information whenever they arise (and a preservation's or an MLA request's follow-up work).
func (r Request) WorkFor(role Actor) bool {
	switch role {
	case ActorRequestingCA:
		if r.Kind.Direct() {
			return false // the provider or registrar answers, or no one is asked; no State decides
		}
		// Sending spontaneous information, it has a choice to make only when its confidentiality cannot
		// be kept (Budapest Art 26(2)).
		return r.Kind != KindSpontaneous || (r.Confidential && r.CannotKeepConfidential)
	case ActorRequestedCA, ActorPoC247:
		return r.Decider() == role
	}
	return false
}

// ModeOf returns how the actor in role decides for this request (automatic unless set).
func (r Request) ModeOf(role Actor) Mode {
	if m, ok := r.Actors[role]; ok {
		return m
	}
	return ModeAutomatic
}

// Normalize fills what a request implies: the channel its kind normally travels, and the emergency flag
// of an emergency request.
func (r *Request) Normalize() {
	if r.Channel == "" {
		r.Channel = DefaultChannel(r.Kind)
	}
	if r.Kind == KindEmergency {
		r.Emergency = true
	}
}

// Facts is the typed schema rule conditions see, as variable `request` in CEL: the case as the requested
// State sees it, plus what screening derives (legal basis, both States, missing contents, the date).
// Field names are the JSON names (docs/rule-packs.md documents each). It holds observable facts only,
// never the ground truth.
type Facts struct {
	Case
	Basis     Basis `json:"basis"`
	MLATreaty bool  `json:"mla_treaty"`
	// Treaty is the MLA treaty that binds the pair and covers the offence, with the terms the scenario
	// states (empty lists when it states none, or when no treaty applies).
	Treaty     TreatyFacts `json:"treaty"`
	Coercive   bool        `json:"coercive"`
	Missing    []string    `json:"missing"`
	Requesting StateFacts  `json:"requesting"`
	Requested  StateFacts  `json:"requested"`
	FollowUp   bool        `json:"follow_up"`
	Date       string      `json:"date"`
	// Targeting is derived by the screening from the signs, the record and the requested State's policy.
	Targeting Targeting `json:"targeting"`
}

// StateFacts is what rules see of a State.
type StateFacts struct {
	Code           string     `json:"code"`
	UNCC           UNCCStatus `json:"uncc"`
	Budapest       Tri        `json:"budapest"`
	SecondProtocol bool       `json:"second_protocol"`
	Reservations   []string   `json:"reservations"`
	Record         Record     `json:"record"`
	Law            Law        `json:"law"`
	// PoCOutsideMLAAuthority: its 24/7 point of contact is not part of its authority for mutual assistance.
	PoCOutsideMLAAuthority bool `json:"poc_outside_mla_authority"`
}

// FactsOf returns what rules see of a State.
func (s State) FactsOf() StateFacts {
	res := s.Reservations
	if res == nil {
		res = []string{}
	}
	return StateFacts{Code: s.Code, UNCC: s.UNCC, Budapest: s.Budapest, SecondProtocol: s.SecondProtocol, Reservations: res, Record: s.Record, Law: s.Law.lawFacts(),
		PoCOutsideMLAAuthority: s.PoCOutsideMLAAuthority}
}

// FactsFor builds the facts of a request for screening on a date.
func FactsFor(r Request, requesting, requested State, basis BasisChoice, date time.Time) Facts {
	missing := []string{}
	for _, m := range r.Missing(requested, basis.Basis) {
		missing = append(missing, m.Key)
	}
	reqing := requesting.FactsOf()
	if r.RequestingRecord != "" {
		reqing.Record = r.RequestingRecord
	}
	if reqing.Record == "" {
		reqing.Record = RecordNone
	}
	c := r.Case
	c.RequestingRecord = reqing.Record
	c.Emergency = c.Emergency || c.Kind == KindEmergency
	if c.Omitted == nil {
		c.Omitted = []string{}
	}
	return Facts{
		Case: c, Basis: basis.Basis, MLATreaty: basis.MLATreaty, Treaty: basis.Treaty.FactsOf(), Coercive: r.Kind.Coercive(), Missing: missing,
		Requesting: reqing, Requested: requested.FactsOf(), FollowUp: r.FollowUpOf != "",
		Date: date.Format("2006-01-02"),
	}
}

// Window is a span of legal time.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains reports whether t falls in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && t.Before(w.To) }

// PolicyChange is a State's new policy from a legal date on.
type PolicyChange struct {
	At     time.Time `json:"at"`
	Policy string    `json:"policy"`
}

// FactUpdate is new information on a request: facts that change from a legal date on, and a line saying
// what it is.
type FactUpdate struct {
	At   time.Time `json:"at"`
	Note string    `json:"note"`
	Set  CasePatch `json:"set"`
}

// PolicyAt is the requested State's policy at a legal time, after the changes due by then.
func PolicyAt(base string, changes []PolicyChange, t time.Time) string {
	p := base
	for _, c := range changes {
		if !t.Before(c.At) {
			p = c.Policy
		}
	}
	return p
}

// ApplyUpdates returns the request with the new information due by legal time t applied, and how many
// updates were.
func ApplyUpdates(r Request, t time.Time) (Request, int) {
	n := 0
	for _, u := range r.Updates {
		if t.Before(u.At) {
			continue
		}
		r.Case = u.Set.Apply(r.Case)
		n++
	}
	return r, n
}

// Planned is a request ready to run: the request, both States as they stand on the day it is sent, the
// legal basis chosen for the pair, the request's own seed, and the third State of an onward preservation.
type Planned struct {
	Request     Request      `json:"request"`
	Requesting  State        `json:"requesting"`
	Requested   State        `json:"requested"`
	Basis       BasisChoice  `json:"basis"`
	Seed        int64        `json:"seed"`
	Onward      *State       `json:"onward,omitempty"`
	OnwardBasis *BasisChoice `json:"onward_basis,omitempty"`
	// SkipTags are confidence tags whose rules the screening leaves out (a what-if: without the rules
	// resting on unconfirmed text).
	SkipTags []Tag `json:"skip_tags,omitempty"`
}
