package mla

import (
	"encoding/json"
	"fmt"
	"time"
)

// Offence is what the requesting State investigates, as the requested State can see it.
type Offence struct {
	Name string `json:"name" yaml:"name"`
	// Category is a short label used by rules: ransomware, fraud, illegal-access, speech, terrorism, ...
	Category string `json:"category" yaml:"category"`
	// MaxPenaltyYears is the maximum deprivation of liberty in the requesting State (serious crime: ≥ 4,
	// UNTOC Art 2(b) template, UNCC Art 35(1)(c) [S]).
	MaxPenaltyYears int `json:"max_penalty_years" yaml:"max_penalty_years"`
	// ConventionOffence is true for an offence the instruments define (UNCC Arts 7-17, Budapest Arts 2-11).
	ConventionOffence bool `json:"convention_offence" yaml:"convention_offence"`
	// CriminalInRequested is whether the underlying conduct is criminal in the requested State (dual
	// criminality is tested on conduct, not label: Budapest Art 25(5)).
	CriminalInRequested bool `json:"criminal_in_requested" yaml:"criminal_in_requested"`
	// Political is true when the requested State considers it a political offence.
	Political bool `json:"political" yaml:"political"`
	// Fiscal is true when the offence also involves fiscal matters.
	Fiscal bool `json:"fiscal" yaml:"fiscal"`
}

// Person is the person concerned, described by what the requested State can observe.
type Person struct {
	// Role: suspect, journalist, activist, human-rights-defender, researcher, exile, victim, unknown.
	Role        string `json:"role" yaml:"role"`
	Nationality string `json:"nationality" yaml:"nationality"`
	ResidesIn   string `json:"resides_in" yaml:"resides_in"`
	// ProtectedExpression is true when the conduct is protected expression in the requested State.
	ProtectedExpression bool `json:"protected_expression" yaml:"protected_expression"`
}

// Provider is the service provider that holds the data, with the faults a scenario injects.
type Provider struct {
	Name string `json:"name" yaml:"name"`
	// Latency is the legal time the provider takes to answer an order.
	Latency time.Duration `json:"latency" yaml:"-"`
	// FailureRate is the share of calls that fail (0..1); failed calls are retried.
	FailureRate float64 `json:"failure_rate" yaml:"failure_rate"`
	// MaxAttempts bounds the retries; then execution is impossible (Budapest Art 27(7) duty to inform).
	MaxAttempts int `json:"max_attempts" yaml:"max_attempts"`
	// Retention is how long the provider keeps the data after the conduct without a preservation order.
	Retention time.Duration `json:"retention" yaml:"-"`
}

// Label names the provider in messages.
func (p Provider) Label() string {
	if p.Name == "" {
		return "the service provider"
	}
	return p.Name
}

// Request is one request as a scenario scripts it: the facts the States see and the behaviour of the
// actors that the simulator plays.
type Request struct {
	ID       string      `json:"id"`
	Title    string      `json:"title"`
	Briefing string      `json:"briefing,omitempty"`
	Kind     RequestKind `json:"kind"`
	From     string      `json:"from"`
	To       string      `json:"to"`
	Channel  Channel     `json:"channel"`
	// Basis is the legal basis the requesting State invokes; empty lets SelectBasis choose.
	Basis Basis `json:"basis,omitempty"`
	// At is when the request is sent, after the scenario start (legal time).
	At time.Duration `json:"at"`
	// ConductAgo is how long before sending the conduct took place (for provider retention).
	ConductAgo time.Duration `json:"conduct_ago"`
	Offence    Offence       `json:"offence"`
	Person     Person        `json:"person"`
	DataKind   string        `json:"data_kind"` // subscriber, traffic, content
	// Omitted lists required content items the request leaves out.
	Omitted []string `json:"omitted,omitempty"`
	// RequestingRecord is what is publicly known of the requesting State's use of such requests: none,
	// concerns, documented. An observable indicator, never the hidden truth. Empty takes the requesting
	// State's profile.
	RequestingRecord string `json:"requesting_record"`
	// EssentialInterests: execution would prejudice the requested State's sovereignty, security, ordre
	// public or other essential interests (as that State sees it).
	EssentialInterests bool `json:"essential_interests"`
	// OngoingInvestigation: execution would interfere with the requested State's own proceedings.
	OngoingInvestigation bool `json:"ongoing_investigation"`
	// Postponement is how long a postponement lasts before the requested State resumes.
	Postponement time.Duration `json:"postponement"`
	// BankSecrecy: the data sought is covered by bank secrecy in the requested State.
	BankSecrecy bool `json:"bank_secrecy"`
	// Confidential: the requesting State asks that the request be kept confidential.
	Confidential bool `json:"confidential"`
	// CannotKeepConfidential: the requested State cannot keep it confidential (it must say so).
	CannotKeepConfidential bool `json:"cannot_keep_confidential"`
	// Emergency: significant and imminent risk to the life or safety of a person.
	Emergency bool `json:"emergency"`
	// Deadline is the deadline the requesting State gives, with reasons (legal time after sending).
	Deadline time.Duration `json:"deadline"`
	// FollowUpOf is the ID of the preservation request this request follows up (Budapest 29(7)).
	FollowUpOf string `json:"follow_up_of,omitempty"`
	// RevealsProviderIn: executing this traffic-data preservation reveals a provider in that third State,
	// which starts an onward preservation there (Budapest Art 30).
	RevealsProviderIn string `json:"reveals_provider_in,omitempty"`
	// AnswersInformation: whether the requesting State answers a request for additional information, and
	// after how long.
	AnswersInformation bool          `json:"answers_information"`
	AnswerDelay        time.Duration `json:"answer_delay"`
	// AcceptsConditions: whether the requesting State accepts conditions proposed in consultation.
	AcceptsConditions bool `json:"accepts_conditions"`
	// Extend: the requesting State asks to extend a preservation this long before it expires.
	Extend time.Duration `json:"extend"`
	// WithdrawAfter withdraws the request this long after sending (zero: never).
	WithdrawAfter time.Duration `json:"withdraw_after"`
	Provider      Provider      `json:"provider"`
	// Backlog is the legal time the request waits in the requested central authority's queue before
	// review, computed from the scenario's arrival schedule and the authority's capacity.
	Backlog time.Duration `json:"backlog,omitempty"`
	// BacklogAhead is how many requests were ahead in that queue.
	BacklogAhead int `json:"backlog_ahead,omitempty"`
	// Outages are legal-time windows in which the requested State's providers do not answer.
	Outages []Window `json:"outages,omitempty"`
	// PolicyChanges change the requested State's policy from a legal date on.
	PolicyChanges []PolicyChange `json:"policy_changes,omitempty"`
	// Updates are new information the requesting State sends: facts that change from a legal date on.
	Updates []FactUpdate `json:"updates,omitempty"`
	// Actors maps a role to automatic or manual (a person answers through a Temporal Update).
	Actors map[Actor]Mode `json:"actors,omitempty"`
	// DecisionTimeout bounds how long a manual actor may take before the State's policy decides.
	DecisionTimeout time.Duration `json:"decision_timeout"`
	// Expected is the answer key: the outcome a trainer expects (not seen by the rules).
	Expected *Expectation `json:"expected,omitempty"`
	// Abusive is the ground-truth label (not seen by the rules).
	Abusive bool `json:"abusive"`
}

// Expectation is the answer key for a scripted request.
type Expectation struct {
	Status  Status   `json:"status"`
	Grounds []string `json:"grounds,omitempty"`
}

// ModeOf returns how the actor in role decides for this request (automatic unless set).
func (r Request) ModeOf(role Actor) Mode {
	if m, ok := r.Actors[role]; ok {
		return m
	}
	return ModeAutomatic
}

// Facts is the typed schema rule conditions see, as variable `request` in CEL. Field names are the JSON
// names (docs/legal-model.md documents each). It holds observable facts only: never the ground truth.
type Facts struct {
	Kind                   string     `json:"kind"`
	Channel                string     `json:"channel"`
	Basis                  string     `json:"basis"`
	MLATreaty              bool       `json:"mla_treaty"`
	Offence                Offence    `json:"offence"`
	Person                 Person     `json:"person"`
	DataKind               string     `json:"data_kind"`
	Coercive               bool       `json:"coercive"`
	Missing                []string   `json:"missing"`
	Requesting             StateFacts `json:"requesting"`
	Requested              StateFacts `json:"requested"`
	EssentialInterests     bool       `json:"essential_interests"`
	OngoingInvestigation   bool       `json:"ongoing_investigation"`
	BankSecrecy            bool       `json:"bank_secrecy"`
	Confidential           bool       `json:"confidential"`
	CannotKeepConfidential bool       `json:"cannot_keep_confidential"`
	Emergency              bool       `json:"emergency"`
	FollowUp               bool       `json:"follow_up"`
	Date                   string     `json:"date"`
}

// StateFacts is what rules see of a State.
type StateFacts struct {
	Code           string   `json:"code"`
	UNCC           string   `json:"uncc"`
	Budapest       string   `json:"budapest"`
	SecondProtocol bool     `json:"second_protocol"`
	Reservations   []string `json:"reservations"`
	Record         string   `json:"record"`
}

// FactsFor builds the facts of a request for screening.
func FactsFor(r Request, requesting, requested State, basis BasisChoice, date time.Time) Facts {
	missing := []string{}
	for _, m := range MissingContents(r.Kind, r.Omitted) {
		missing = append(missing, m.Key)
	}
	sf := func(s State) StateFacts {
		res := s.Reservations
		if res == nil {
			res = []string{}
		}
		return StateFacts{Code: s.Code, UNCC: string(s.UNCC), Budapest: string(s.Budapest), SecondProtocol: s.SecondProtocol, Reservations: res}
	}
	reqing := sf(requesting)
	reqing.Record = r.RequestingRecord
	if reqing.Record == "" {
		reqing.Record = requesting.Record
	}
	if reqing.Record == "" {
		reqing.Record = "none"
	}
	return Facts{
		Kind: string(r.Kind), Channel: string(r.Channel), Basis: string(basis.Basis), MLATreaty: basis.MLATreaty,
		Offence: r.Offence, Person: r.Person, DataKind: r.DataKind, Coercive: r.Kind.Coercive(), Missing: missing,
		Requesting: reqing, Requested: sf(requested),
		EssentialInterests: r.EssentialInterests, OngoingInvestigation: r.OngoingInvestigation,
		BankSecrecy: r.BankSecrecy, Confidential: r.Confidential, CannotKeepConfidential: r.CannotKeepConfidential,
		Emergency: r.Emergency || r.Kind == KindEmergency, FollowUp: r.FollowUpOf != "",
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

// FactUpdate is new information on a request: request fields (as in scenario files) that change from a
// legal date on, and a line saying what it is.
type FactUpdate struct {
	At   time.Time      `json:"at"`
	Note string         `json:"note"`
	Set  map[string]any `json:"set"`
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

// UpdatableFacts are the request fields new information may change.
var UpdatableFacts = []string{"offence", "person", "requesting_record", "essential_interests", "ongoing_investigation",
	"bank_secrecy", "confidential", "cannot_keep_confidential", "omitted"}

// ApplyUpdates returns the request with the updates due by legal time t applied, and how many were.
func ApplyUpdates(r Request, t time.Time) (Request, int, error) {
	n := 0
	for _, u := range r.Updates {
		if t.Before(u.At) {
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			return r, n, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return r, n, err
		}
		merge(m, u.Set)
		b, err = json.Marshal(m)
		if err != nil {
			return r, n, err
		}
		var out Request
		if err := json.Unmarshal(b, &out); err != nil {
			return r, n, fmt.Errorf("new information at %s: %w", u.At.Format("2006-01-02"), err)
		}
		r = out
		n++
	}
	return r, n, nil
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}
