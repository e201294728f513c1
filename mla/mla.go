// Package mla holds the domain of mutual legal assistance for electronic evidence: States and their treaty
// status, request kinds, channels, legal bases, citations with confidence tags, decisions and the pure
// calculations (legal-basis selection, completeness, deadlines, seeded variation) that workflows rely on.
//
// It imports the standard library only, so it tests in milliseconds and can be used by every other package.
package mla

import (
	"fmt"
	"slices"
	"strings"
)

// Tag is the confidence tag of a legal source (see docs/legal-model.md).
type Tag string

// Confidence tags, from the legal reference's legend.
const (
	// TagPrimary marks a rule quoted verbatim from a copy of the instrument.
	TagPrimary Tag = "P"
	// TagSecondary marks a rule confirmed by a named secondary source, not by the treaty text.
	TagSecondary Tag = "S"
	// TagUnconfirmed marks a rule resting on recollection or inference, with no retrieved source.
	TagUnconfirmed Tag = "U"
)

// Tags lists the confidence tags, from the most to the least certain.
var Tags = []Tag{TagPrimary, TagSecondary, TagUnconfirmed}

// Valid reports whether t is one of the three tags.
func (t Tag) Valid() bool { return known(t, Tags) }

// Label renders the tag the way users see it: [P], [S] or [U].
func (t Tag) Label() string { return "[" + string(t) + "]" }

// Weakest returns the least certain of the tags (U is weaker than S, S weaker than P).
func Weakest(tags ...Tag) Tag {
	rank := map[Tag]int{TagPrimary: 0, TagSecondary: 1, TagUnconfirmed: 2}
	w := TagPrimary
	for _, t := range tags {
		if rank[t] > rank[w] {
			w = t
		}
	}
	return w
}

// Citation points a behaviour at its instrument and article, with the confidence of its source.
type Citation struct {
	RuleID  string `json:"rule_id"`
	Article string `json:"article"`
	Tag     Tag    `json:"tag"`
}

// String renders "uncc.40.essential-interests UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(21)(b)) [U]".
func (c Citation) String() string {
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", c.RuleID, c.Article, c.Tag.Label()))
}

// RequestKind is what the requesting State asks for.
type RequestKind string

// Request kinds, each tied to its articles in KindArticles.
const (
	KindMLA          RequestKind = "mla"          // general mutual legal assistance
	KindStoredData   RequestKind = "stored-data"  // access to stored data
	KindPreservation RequestKind = "preservation" // expedited preservation through the 24/7 network
	KindTrafficData  RequestKind = "traffic-data" // disclosure of preserved traffic data
	KindRealTime     RequestKind = "real-time"    // real-time collection of traffic data
	KindInterception RequestKind = "interception" // interception of content data
	KindEmergency    RequestKind = "emergency"    // emergency request through the 24/7 network
	KindSpontaneous  RequestKind = "spontaneous"  // spontaneous information
	// KindDirectOrder: an order of the requesting Party's competent authority straight to a service
	// provider in another Party, for subscriber information (CETS 224 Art 7 [S]).
	KindDirectOrder RequestKind = "direct-order"
	// KindDirectAccess: the requesting Party accesses stored data located in another Party without its
	// authorisation: data publicly available, or disclosed with the lawful and voluntary consent of the
	// person who has the lawful authority to disclose it (Budapest Art 32 [P]).
	KindDirectAccess RequestKind = "direct-access"
	// KindProductionOrder: an order for the expedited production of subscriber information or traffic
	// data, sent to the requested Party to give it effect and serve it on a provider in its territory
	// (CETS 224 Art 8 [S]).
	KindProductionOrder RequestKind = "production-order"
	// KindDomainName: a request of the requesting Party's competent authority straight to an
	// entity providing domain name registration services in another Party, for the information that
	// identifies or contacts the registrant of a domain name (CETS 224; the function [S], the article
	// number 6 [U]).
	KindDomainName RequestKind = "domain-name"
)

// Kinds lists every request kind in a stable order.
var Kinds = []RequestKind{KindMLA, KindStoredData, KindPreservation, KindTrafficData, KindRealTime,
	KindInterception, KindEmergency, KindSpontaneous, KindDirectOrder, KindDirectAccess, KindProductionOrder,
	KindDomainName}

// KindArticles names, per kind, the articles of each instrument that govern it.
var KindArticles = map[RequestKind]string{
	KindMLA:             "UNCC Art 40 / Budapest Arts 25-27",
	KindStoredData:      "UNCC Art 44 [U] / Budapest Art 31",
	KindPreservation:    "UNCC Art 42 / Budapest Art 29",
	KindTrafficData:     "UNCC Art 43 [U] / Budapest Art 30",
	KindRealTime:        "UNCC Art 45 [U] / Budapest Art 33",
	KindInterception:    "UNCC Art 46 [U] / Budapest Art 34",
	KindEmergency:       "Second Additional Protocol (CETS 224) Arts 9-10",
	KindSpontaneous:     "Budapest Art 26",
	KindDirectOrder:     "Second Additional Protocol (CETS 224) Art 7 [S]",
	KindDirectAccess:    "Budapest Art 32",
	KindProductionOrder: "Second Additional Protocol (CETS 224) Art 8 [S]",
	// Its function is known from secondary sources [S]; its article number is recollection [U].
	KindDomainName: "Second Additional Protocol (CETS 224) Art 6 [U]",
}

// ParseKind returns the kind named s, or an error listing the known kinds.
func ParseKind(s string) (RequestKind, error) {
	if s == "" {
		return "", fmt.Errorf("missing request kind (known: %s)", joinEnum(Kinds))
	}
	return parseEnum("request kind", s, Kinds)
}

// Coercive reports whether executing the kind needs a coercive measure (a production order, search,
// interception) in the requested State, which is what dual criminality usually guards.
func (k RequestKind) Coercive() bool {
	switch k {
	case KindStoredData, KindTrafficData, KindRealTime, KindInterception, KindMLA, KindProductionOrder:
		return true
	}
	return false
}

// Direct reports whether the kind reaches the data without any authority of the requested State: an
// order or request straight to a provider or registrar there, or access without its authorisation. No
// one in the requested State screens or decides it.
func (k RequestKind) Direct() bool {
	return k == KindDirectOrder || k == KindDomainName || k == KindDirectAccess
}

// Channel is the route a request travels.
type Channel string

// Channels.
const (
	ChannelCentralAuthority Channel = "central-authority"
	ChannelNetwork247       Channel = "24/7-network"
	ChannelDiplomatic       Channel = "diplomatic"
	ChannelInterpol         Channel = "interpol"
	// ChannelJudicial: in urgency, directly from a judicial authority of the requesting State to one of
	// the requested State (Budapest Art 27(9)(a)).
	ChannelJudicial Channel = "judicial"
	// ChannelProvider: from the requesting Party's competent authority straight to the service provider
	// (CETS 224 Art 7 [S]) or to the entity providing domain name registration services (CETS 224 Art 6
	// [U]).
	ChannelProvider Channel = "direct-to-provider"
	// ChannelOwnSystem: no transmission; the requesting Party accesses the data through a computer system
	// in its own territory (Budapest Art 32).
	ChannelOwnSystem Channel = "own-system"
)

// Channels lists every channel.
var Channels = []Channel{ChannelCentralAuthority, ChannelNetwork247, ChannelDiplomatic, ChannelInterpol, ChannelJudicial, ChannelProvider, ChannelOwnSystem}

// ParseChannel returns the channel named s.
func ParseChannel(s string) (Channel, error) { return parseEnum("channel", s, Channels) }

// DefaultChannel is the channel a kind normally travels: the 24/7 network for preservation and
// emergencies (Budapest Art 35, CETS 224 Art 9), straight to the provider for a direct order (CETS 224
// Art 7), central authorities otherwise (UNTOC 18(13) template).
func DefaultChannel(k RequestKind) Channel {
	switch k {
	case KindPreservation, KindEmergency, KindTrafficData:
		return ChannelNetwork247
	case KindDirectOrder, KindDomainName:
		return ChannelProvider
	case KindDirectAccess:
		return ChannelOwnSystem
	}
	return ChannelCentralAuthority
}

// Actor is the role that takes a step or a decision.
type Actor string

// Actors.
const (
	ActorRequestingCA Actor = "requesting-central-authority"
	ActorRequestedCA  Actor = "requested-central-authority"
	ActorPoC247       Actor = "24/7-point-of-contact"
	ActorJudge        Actor = "judge-or-prosecutor"
	ActorProvider     Actor = "service-provider"
	ActorSystem       Actor = "simulator"
)

// Actors lists every actor.
var Actors = []Actor{ActorRequestingCA, ActorRequestedCA, ActorPoC247, ActorJudge, ActorProvider, ActorSystem}

// ManualRoles are the roles a person can play in a scenario; the others are always the simulator's.
var ManualRoles = []Actor{ActorRequestingCA, ActorRequestedCA, ActorPoC247}

// Mode says whether an actor decides by its State's policy or waits for a person.
type Mode string

// Actor modes.
const (
	ModeAutomatic Mode = "automatic"
	ModeManual    Mode = "manual"
)

// Modes lists the actor modes.
var Modes = []Mode{ModeAutomatic, ModeManual}

// DecisionKind is the requested State's answer.
type DecisionKind string

// Decisions.
const (
	DecisionGrant           DecisionKind = "grant"
	DecisionPartial         DecisionKind = "partial"
	DecisionGrantConditions DecisionKind = "grant-with-conditions"
	DecisionPostpone        DecisionKind = "postpone"
	DecisionRefuse          DecisionKind = "refuse"
)

// Decisions lists every decision kind.
var Decisions = []DecisionKind{DecisionGrant, DecisionPartial, DecisionGrantConditions, DecisionPostpone, DecisionRefuse}

// ParseDecision returns the decision named s.
func ParseDecision(s string) (DecisionKind, error) {
	if s == "" {
		return "", fmt.Errorf("missing decision (known: %s)", joinEnum(Decisions))
	}
	return parseEnum("decision", s, Decisions)
}

// NeedsGround reports whether a decision must rest on at least one ground.
func (d DecisionKind) NeedsGround() bool {
	return d == DecisionRefuse || d == DecisionPostpone || d == DecisionPartial
}

// Condition is a term the requested State attaches to its assistance.
type Condition string

// Conditions known to the instruments.
const (
	ConditionUseLimitation   Condition = "use-limitation"    // UNTOC 18(19) template; Budapest 28(2)(b)
	ConditionConfidentiality Condition = "confidentiality"   // UNTOC 18(20) template; Budapest 28(2)(a)
	ConditionNonCoercive     Condition = "non-coercive-only" // assistance without coercive measures
)

// Conditions lists the conditions.
var Conditions = []Condition{ConditionUseLimitation, ConditionConfidentiality, ConditionNonCoercive}

// Status is where a request stands; the final ones end its workflow.
type Status string

// Statuses, in rough lifecycle order.
const (
	StatusDrafted       Status = "Drafted"
	StatusSubmitted     Status = "Submitted"
	StatusDelivered     Status = "Delivered"
	StatusAcknowledged  Status = "Acknowledged"
	StatusRegistered    Status = "Registered"
	StatusScreening     Status = "Screening"
	StatusAwaitingInfo  Status = "AwaitingInformation"
	StatusConsultation  Status = "Consultation"
	StatusAwaitDecision Status = "AwaitingDecision"
	StatusPostponed     Status = "Postponed"
	StatusExecuting     Status = "Executing"
	StatusPreserved     Status = "Preserved"
	StatusTransferring  Status = "TransferringEvidence"
	// Final statuses.
	StatusCompleted    Status = "Completed"
	StatusPartial      Status = "PartiallyCompleted"
	StatusRefused      Status = "Refused"
	StatusWithdrawn    Status = "Withdrawn"
	StatusEvidenceLost Status = "EvidenceLost"
	StatusReleased     Status = "Released"
	StatusFailed       Status = "ExecutionFailed"
	StatusLapsed       Status = "Lapsed"
	StatusReceived     Status = "Received"
	// StatusNoLegalBasis: no instrument binding the two States allows what the request asks (a direct
	// order to a provider in a State the Second Additional Protocol does not bind), so it is never made.
	StatusNoLegalBasis Status = "NoLegalBasis"
)

// Statuses lists every status, in rough lifecycle order, the final ones last.
var Statuses = []Status{StatusDrafted, StatusSubmitted, StatusDelivered, StatusAcknowledged, StatusRegistered,
	StatusScreening, StatusAwaitingInfo, StatusConsultation, StatusAwaitDecision, StatusPostponed, StatusExecuting,
	StatusPreserved, StatusTransferring, StatusCompleted, StatusPartial, StatusRefused, StatusWithdrawn,
	StatusEvidenceLost, StatusReleased, StatusFailed, StatusLapsed, StatusReceived, StatusNoLegalBasis}

// FinalStatuses lists the statuses that end a lifecycle.
func FinalStatuses() []Status {
	var out []Status
	for _, s := range Statuses {
		if s.Final() {
			out = append(out, s)
		}
	}
	return out
}

// Final reports whether s ends a lifecycle.
func (s Status) Final() bool {
	switch s {
	case StatusCompleted, StatusPartial, StatusRefused, StatusWithdrawn, StatusEvidenceLost, StatusReleased,
		StatusFailed, StatusLapsed, StatusReceived, StatusNoLegalBasis:
		return true
	}
	return false
}

// Record is what is publicly documented of a State's use of cross-border requests as a requesting State:
// an indicator a requested State can observe, never the hidden truth.
type Record string

// Records, from no known concern to documented abuse.
const (
	RecordNone       Record = "none"
	RecordConcerns   Record = "concerns"
	RecordDocumented Record = "documented"
)

// Records lists the records.
var Records = []Record{RecordNone, RecordConcerns, RecordDocumented}

// Role is the role of the person a request concerns, as the requested State can see it.
type Role string

// Roles of persons.
const (
	RoleSuspect    Role = "suspect"
	RoleVictim     Role = "victim"
	RoleWitness    Role = "witness"
	RoleJournalist Role = "journalist"
	RoleActivist   Role = "activist"
	RoleHRD        Role = "human-rights-defender"
	RoleResearcher Role = "researcher"
	RoleExile      Role = "exile"
	RolePolitician Role = "politician"
	RoleLawyer     Role = "lawyer"
	RoleUnknown    Role = "unknown"
)

// Roles lists the roles of persons.
var Roles = []Role{RoleSuspect, RoleVictim, RoleWitness, RoleJournalist, RoleActivist, RoleHRD, RoleResearcher,
	RoleExile, RolePolitician, RoleLawyer, RoleUnknown}

// SortedKeys returns the keys of a string-keyed map in order, for deterministic iteration.
func SortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
