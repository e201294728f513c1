package mla

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"time"
)

//go:embed states.csv
var statesCSV string

// UNCCStatus is a State's standing under the UN Convention against Cybercrime.
type UNCCStatus string

// UNCC statuses as states.csv records them.
const (
	UNCCNone     UNCCStatus = "none"
	UNCCSigned   UNCCStatus = "signed"
	UNCCRatified UNCCStatus = "ratified"
	UNCCUnknown  UNCCStatus = "unknown"
)

// UNCCStatuses lists the UNCC statuses.
var UNCCStatuses = []UNCCStatus{UNCCNone, UNCCSigned, UNCCRatified, UNCCUnknown}

// Tri is yes, no or unknown, as the sources allow.
type Tri string

// Tri values.
const (
	Yes     Tri = "yes"
	No      Tri = "no"
	Unknown Tri = "unknown"
)

// Tris lists yes, no and unknown.
var Tris = []Tri{Yes, No, Unknown}

// State is a State (or the EU) with its treaty status and the offices that handle requests.
type State struct {
	Code             string     `json:"code,omitempty" yaml:"code"`
	Name             string     `json:"name,omitempty" yaml:"name"`
	UNCC             UNCCStatus `json:"uncc,omitempty" yaml:"uncc"`
	UNCCSource       string     `json:"uncc_source,omitempty" yaml:"uncc_source"`
	Budapest         Tri        `json:"budapest,omitempty" yaml:"budapest"`
	BudapestSource   string     `json:"budapest_source,omitempty" yaml:"budapest_source"`
	SecondProtocol   bool       `json:"second_protocol,omitempty" yaml:"second_protocol"`
	CentralAuthority string     `json:"central_authority,omitempty" yaml:"central_authority"`
	PointOfContact   string     `json:"point_of_contact_247,omitempty" yaml:"point_of_contact_247"`
	Languages        []string   `json:"languages,omitempty" yaml:"languages"`
	// Reservations lists rule IDs of reservations the State made, e.g. budapest.29.4.
	Reservations []string `json:"reservations,omitempty" yaml:"reservations"`
	// PreservationDays is how long the State preserves data on a request (at least 60, Budapest 29(7)).
	PreservationDays int `json:"preservation_days,omitempty" yaml:"preservation_days"`
	// Policy names the State's policy pack (which discretionary grounds it invokes).
	Policy string `json:"policy,omitempty" yaml:"policy"`
	// Record is what is publicly documented of the State's use of cross-border requests and channels as
	// a requesting State: none, concerns or documented; RecordSource says where that comes from. It is an
	// indicator a requested State can observe, and the default for requests the State sends.
	Record       Record `json:"record,omitempty" yaml:"record"`
	RecordSource string `json:"record_source,omitempty" yaml:"record_source"`
	// Hypothetical marks statuses that a scenario set rather than a source.
	Hypothetical []string `json:"hypothetical,omitempty" yaml:"-"`
	// Fictional marks a State invented for training (user-assigned ISO code).
	Fictional bool `json:"fictional,omitempty" yaml:"fictional"`
	// Law is what the scenario says of the State's own law on mutual assistance.
	Law Law `json:"law,omitzero" yaml:"law"`
	// PoCOutsideMLAAuthority: the State's 24/7 point of contact is not part of its authority for mutual
	// assistance, so it must coordinate with that authority on an expedited basis (Budapest Art 35(2)(b)).
	PoCOutsideMLAAuthority bool `json:"poc_outside_mla_authority,omitempty" yaml:"poc_outside_mla_authority"`
}

// Reserved reports whether the State made the reservation with the given rule ID.
func (s State) Reserved(ruleID string) bool {
	for _, r := range s.Reservations {
		if r == ruleID {
			return true
		}
	}
	return false
}

// Catalogue returns the States of states.csv keyed by ISO code. Each call returns a fresh map.
func Catalogue() map[string]State {
	r := csv.NewReader(strings.NewReader(statesCSV))
	rows, err := r.ReadAll()
	if err != nil {
		panic(fmt.Sprintf("mla/states.csv: %v", err)) // embedded and tested: cannot happen at run time
	}
	out := make(map[string]State, len(rows))
	for _, row := range rows[1:] {
		out[row[0]] = State{
			Code: row[0], Name: row[1],
			UNCC: UNCCStatus(row[2]), UNCCSource: row[3],
			Budapest: Tri(row[4]), BudapestSource: row[5],
			PreservationDays: 60,
		}
	}
	return out
}

// UserAssignedCode reports whether code is an ISO 3166 user-assigned code (AA, QM-QZ, XA-XZ, ZZ), the
// codes fictional training States must use so they never collide with a real one.
func UserAssignedCode(code string) bool {
	if len(code) != 2 {
		return false
	}
	switch {
	case code == "AA" || code == "ZZ":
		return true
	case code[0] == 'Q' && code[1] >= 'M' && code[1] <= 'Z':
		return true
	case code[0] == 'X' && code[1] >= 'A' && code[1] <= 'Z':
		return true
	}
	return false
}

// Basis is a legal basis for cooperation between two States.
type Basis string

// Legal bases.
const (
	BasisUNCC      Basis = "uncc"
	BasisBudapest  Basis = "budapest"
	BasisBilateral Basis = "bilateral"
	BasisComity    Basis = "comity"
	// BasisSecondProtocol: the Second Additional Protocol (CETS 224), the only basis of a direct order to
	// a provider in another Party (Art 7 [S]).
	BasisSecondProtocol Basis = "cets224"
	// BasisNone: no instrument allows what the request asks between the two States.
	BasisNone Basis = "none"
)

// Bases lists the legal bases.
var Bases = []Basis{BasisUNCC, BasisBudapest, BasisBilateral, BasisComity, BasisSecondProtocol, BasisNone}

// ParseBasis returns the basis named s.
func ParseBasis(s string) (Basis, error) { return parseEnum("legal basis", s, Bases) }

// World is the legal setting the bases are chosen in.
type World struct {
	// UNCCInForce is the date the UNCC enters into force (Art 65(1): ninetieth day after the fortieth
	// instrument). Zero means not in force: it has not happened, so a scenario sets it as a hypothesis.
	UNCCInForce time.Time
	// Treaties lists the bilateral MLA treaties, with the terms the scenario states of them.
	Treaties []Treaty
}

// TreatyFor returns the bilateral MLA treaty that binds a and b, or nil.
func (w World) TreatyFor(a, b string) *Treaty {
	for i := range w.Treaties {
		if w.Treaties[i].Binds(a, b) {
			return &w.Treaties[i]
		}
	}
	return nil
}

// HasTreaty reports whether a bilateral MLA treaty binds a and b.
func (w World) HasTreaty(a, b string) bool { return w.TreatyFor(a, b) != nil }

// BasisChoice is the outcome of legal-basis selection for a request between a pair of States on a date.
type BasisChoice struct {
	Basis Basis `json:"basis"`
	// Available lists every basis that binds the pair and whose scope covers the request, in preference
	// order.
	Available []Basis `json:"available"`
	// MLATreaty is true when a bilateral MLA treaty binds the pair and covers the offence: then Budapest
	// Art 27's own grounds do not apply (Art 27(1)) and the treaty's do.
	MLATreaty bool `json:"mla_treaty"`
	// Treaty is that treaty, with the terms the scenario states.
	Treaty    *Treaty    `json:"treaty,omitempty"`
	Reasons   []string   `json:"reasons"`
	Citations []Citation `json:"citations"`
	// Fallback says why the basis is not the one the request cites, when it is not.
	Fallback string `json:"fallback,omitempty"`
}

// candidate is one legal basis as selection weighs it: whether it binds the pair, whether its scope
// covers the request, and why.
type candidate struct {
	basis         Basis
	binds, covers bool
	// note: say why even though the basis does not bind (both ratified the UNCC, not yet in force).
	note bool
	why  string
	cite *Citation
	// treaty is the bilateral treaty of the bilateral candidate.
	treaty *Treaty
}

// UNCCScope reports whether an offence falls within the UNCC's scope of cooperation: an offence the
// Convention establishes, or a serious crime, punishable by at least four years (UNCC Art 35 and Art 35(1)(c) [S]).
func UNCCScope(o Offence) bool { return o.ConventionOffence || o.MaxPenaltyYears >= SeriousCrimeYears }

// SeriousCrimeYears is the maximum penalty that makes an offence a serious crime (UNTOC Art 2(b), which
// the UNCC copies; UNCC Art 35(1)(c) [S]).
const SeriousCrimeYears = 4

// candidates weighs each basis for the request, in preference order: Budapest, UNCC, bilateral treaty,
// comity (the instrument most specific to electronic evidence first).
func candidates(c Case, requesting, requested State, date time.Time, w World) []candidate {
	pair := requesting.Code + " and " + requested.Code
	var out []candidate
	bud := candidate{basis: BasisBudapest, binds: requesting.Budapest == Yes && requested.Budapest == Yes, covers: true,
		cite: &Citation{RuleID: "budapest.25.1", Article: "Budapest Art 25(1)", Tag: TagPrimary}}
	bud.why = "both " + pair + " are Parties to the Budapest Convention, which covers the collection of evidence in electronic form of any criminal offence"
	if !bud.binds {
		bud.why = "the Budapest Convention does not bind both " + pair
	}
	out = append(out, bud)

	unccInForce := !w.UNCCInForce.IsZero() && !date.Before(w.UNCCInForce)
	bothRatified := requesting.UNCC == UNCCRatified && requested.UNCC == UNCCRatified
	un := candidate{basis: BasisUNCC, binds: bothRatified && unccInForce, covers: UNCCScope(c.Offence),
		cite: &Citation{RuleID: "uncc.65.1", Article: "UNCC Art 65(1)", Tag: TagPrimary}}
	switch {
	case !bothRatified:
		un.why = "the UNCC does not bind both " + pair
	case !unccInForce:
		un.note = true
		un.why = "both ratified the UNCC, but it is not in force on " + date.Format("2006-01-02") + " (Art 65(1): ninetieth day after the fortieth instrument)"
	case !un.covers:
		un.why = fmt.Sprintf("both ratified the UNCC and it is in force, but %s (at most %d years) is neither an offence the Convention establishes nor a serious crime of at least %d years, so it is outside the Convention's scope of cooperation (UNCC Art 35, serious crime: Art 35(1)(c) [S])",
			offenceLabel(c.Offence), c.Offence.MaxPenaltyYears, SeriousCrimeYears)
		un.cite = &Citation{RuleID: "uncc.35.1.c", Article: "UNCC Art 35(1)(c)", Tag: TagSecondary}
	default:
		un.why = fmt.Sprintf("both %s ratified the UNCC, it is in force since %s, and the offence is within its scope (UNCC Art 35 [S])", pair, w.UNCCInForce.Format("2006-01-02"))
	}
	out = append(out, un)

	bil := candidate{basis: BasisBilateral}
	if t := w.TreatyFor(requesting.Code, requested.Code); t != nil {
		bil.binds, bil.covers, bil.treaty = true, t.Covers(c.Offence), t
		bil.why = t.Label() + " binds " + pair
		if !bil.covers {
			bil.why = fmt.Sprintf("%s binds %s, but covers only offences punishable by at least %d years, and %s carries at most %d",
				t.Label(), pair, t.MinPenaltyYears, offenceLabel(c.Offence), c.Offence.MaxPenaltyYears)
		}
	} else {
		bil.why = "no bilateral MLA treaty binds " + pair
	}
	out = append(out, bil)
	return append(out, candidate{basis: BasisComity, binds: true, covers: true})
}

func offenceLabel(o Offence) string {
	if o.Name != "" {
		return o.Name
	}
	if o.Category != "" {
		return o.Category
	}
	return "the offence"
}

// SelectBasis chooses the legal basis for a request from requesting to requested on date. A basis is
// available when it binds the pair and its scope covers the request. The preferred basis (the one the
// request cites), when non-empty and available, wins; otherwise the order is Budapest, UNCC, bilateral
// treaty, comity. A cited basis that does not bind the pair, or whose scope does not cover the request,
// falls back to the next available one, and the choice says why.
func SelectBasis(c Case, requesting, requested State, date time.Time, w World, preferred Basis) (BasisChoice, error) {
	if ch, ok := articleBasis(c, requesting, requested); ok {
		return ch, nil
	}
	var ch BasisChoice
	var cited candidate
	for _, k := range candidates(c, requesting, requested, date, w) {
		if k.basis == preferred {
			cited = k
		}
		if k.treaty != nil && k.covers {
			ch.MLATreaty, ch.Treaty = true, k.treaty
		}
		switch {
		case k.basis == BasisComity:
			ch.Available = append(ch.Available, k.basis)
			continue
		case k.binds && k.covers:
			ch.Available = append(ch.Available, k.basis)
		case !k.binds && !k.note:
			continue
		}
		ch.Reasons = append(ch.Reasons, k.why)
		if k.cite != nil {
			ch.Citations = append(ch.Citations, *k.cite)
		}
	}
	ch.Basis = ch.Available[0]
	if preferred != "" && slices.Contains(ch.Available, preferred) {
		ch.Basis = preferred
	} else if preferred != "" {
		why := "does not bind " + requesting.Code + " and " + requested.Code + " on " + date.Format("2006-01-02")
		if cited.binds && !cited.covers {
			why = "does not cover the request (" + cited.why + ")"
		}
		// A requesting State may cite a basis that does not bind the pair (the UNCC before it is in force
		// for both, a treaty one of them is not party to) or whose scope leaves the request out: the
		// request is handled under the basis that applies, and the timeline says so.
		ch.Fallback = fmt.Sprintf("%s cites %s, which %s; the request is handled under %s, the basis that applies",
			requesting.Code, preferred, why, ch.Basis)
		ch.Reasons = append(ch.Reasons, ch.Fallback)
	}
	if ch.Basis == BasisComity {
		ch.Reasons = append(ch.Reasons, "no treaty that binds the pair covers the request: assistance rests on comity and domestic law")
	}
	return ch, nil
}

// ReservationArt7 and ReservationArt8 are the reservations a Party makes not to apply CETS 224 Art 7 or
// Art 8 (Art 19 [S]; Japan made both, the legal reference's corrections report).
const (
	ReservationArt7 = "cets224.7"
	ReservationArt8 = "cets224.8"
)

// protocolArticle is an article of the Second Additional Protocol that gives a request its only basis,
// as basis selection weighs it.
type protocolArticle struct {
	number string // "7"
	// tag is the confidence of the article's number: TagSecondary unless set.
	tag         Tag
	reservation string   // none when empty
	data        []string // the data kinds it covers
	covers      string   // what it covers, for the reason it does not
	applies     string   // what it does, for the reason it applies
	// noBasis says why there is no basis, from the article's reason.
	noBasis func(requesting, requested State, why string) string
}

// articleBasis is the basis of a kind that one article alone allows (the Second Additional Protocol's
// Arts 6, 7 and 8, Budapest Art 32), and whether the kind is one.
func articleBasis(c Case, requesting, requested State) (BasisChoice, bool) {
	switch c.Kind {
	case KindDirectOrder:
		return protocolBasis(art7, c, requesting, requested), true
	case KindDirectAccess:
		return directAccessBasis(c, requesting, requested), true
	case KindProductionOrder:
		return protocolBasis(art8, c, requesting, requested), true
	case KindDomainName:
		return protocolBasis(art6, c, requesting, requested), true
	}
	return BasisChoice{}, false
}

// art7 is the direct order to a provider in another Party: comity gives none, since an order of one State
// does not bind a provider in another.
var art7 = protocolArticle{number: "7", reservation: ReservationArt7, data: []string{"subscriber"},
	covers:  "subscriber information only",
	applies: "lets a Party order a provider in another Party to disclose subscriber information",
	noBasis: func(_, requested State, why string) string {
		return "no legal basis for a direct order to a provider in " + requested.Code + ": " + why +
			", and no other instrument, nor comity, lets one State's order bind a provider in another; the requesting State must ask for mutual assistance"
	}}

// art8 has a Party give effect to another Party's order for expedited production.
var art8 = protocolArticle{number: "8", reservation: ReservationArt8, data: []string{"subscriber", "traffic"},
	covers:  "subscriber information and traffic data",
	applies: "has a Party give effect to another Party's order for expedited production of subscriber information and traffic data",
	noBasis: func(requesting, requested State, why string) string {
		return "no legal basis for having " + requested.Code + " give effect to an order of " + requesting.Code + ": " + why + "; the requesting State must ask for mutual assistance"
	}}

// art6 is the request straight to an entity providing domain name registration services in another
// Party, which the Protocol has each Party permit to disclose the information to identify or contact a
// domain's registrant (its function [S]; its number [U]). The entity decides whether to disclose: no
// authority of its State is asked. No reservation to it is modelled, since none was read; comity gives
// none, as for a direct order.
var art6 = protocolArticle{number: "6", tag: TagUnconfirmed, data: []string{"registration"},
	covers:  "domain name registration information only",
	applies: "lets a Party ask an entity providing domain name registration services in another Party for the information that identifies or contacts a domain's registrant",
	noBasis: func(_, requested State, why string) string {
		return "no legal basis for a request straight to a domain name registrar in " + requested.Code + ": " + why +
			"; the requesting State must ask for mutual assistance"
	}}

// art names the article in a reason, its number marked when unconfirmed.
func (a protocolArticle) art() string {
	if a.tag == TagUnconfirmed {
		return "Art " + a.number + " (number unconfirmed)"
	}
	return "Art " + a.number
}

// protocolBasis decides whether a request that only an article of the Second Additional Protocol allows
// has its basis: both States must be Parties to the Budapest Convention bound by the Protocol (its entry
// into force is a scenario's hypothesis), the requested State must not have reserved the article, and the
// request must seek data the article covers. Otherwise the basis is none, and the reasons say why.
func protocolBasis(a protocolArticle, c Case, requesting, requested State) BasisChoice {
	cite := Citation{RuleID: "cets224." + a.number, Article: "CETS 224 Art " + a.number, Tag: TagSecondary}
	if a.tag != "" {
		cite.Article, cite.Tag = cite.Article+" (article number unconfirmed)", a.tag
	}
	ch := BasisChoice{Basis: BasisNone, Available: []Basis{}, Citations: []Citation{cite}}
	pair := requesting.Code + " and " + requested.Code
	var why string
	switch {
	case requesting.Budapest != Yes || requested.Budapest != Yes || !requesting.SecondProtocol || !requested.SecondProtocol:
		why = "the Second Additional Protocol does not bind both " + pair
	case a.reservation != "" && slices.Contains(requested.Reservations, a.reservation):
		why = requested.Code + " has reserved the right not to apply Art " + a.number + " of the Second Additional Protocol"
	case !slices.Contains(a.data, c.DataKind):
		why = fmt.Sprintf("%s of the Second Additional Protocol covers %s, not %s data", a.art(), a.covers, c.DataOr("unstated"))
	default:
		ch.Basis, ch.Available = BasisSecondProtocol, []Basis{BasisSecondProtocol}
		ch.Reasons = []string{"both " + pair + " are bound by the Second Additional Protocol, whose " + a.art() + " " + a.applies}
		return ch
	}
	ch.Reasons = []string{a.noBasis(requesting, requested, why)}
	return ch
}

// directAccessBasis decides whether the requesting State may access data stored in the requested State
// without its authorisation: Budapest Art 32 [P] lets a Party access publicly available data wherever it
// is located (a), and receive data located in another Party with the lawful and voluntary consent of the
// person who has the lawful authority to disclose it (b). mlasim models no other instrument's rule on such
// access: without the Convention the basis is none, and the requesting State must ask for assistance.
func directAccessBasis(c Case, requesting, requested State) BasisChoice {
	ch := BasisChoice{Basis: BasisNone, Available: []Basis{}}
	var why string
	switch c.Access {
	case AccessOpenSource:
		ch.Citations = []Citation{{RuleID: "budapest.32.a", Article: "Budapest Art 32(a)", Tag: TagPrimary}}
		if requesting.Budapest == Yes {
			ch.Basis, ch.Available = BasisBudapest, []Basis{BasisBudapest}
			ch.Reasons = []string{requesting.Code + " is a Party to the Budapest Convention, which lets a Party access publicly available (open source) stored computer data wherever it is located"}
			return ch
		}
		why = requesting.Code + " is not a Party to the Budapest Convention, whose Art 32(a) is the rule mlasim models for access to open-source data"
	case AccessConsent:
		ch.Citations = []Citation{{RuleID: "budapest.32.b", Article: "Budapest Art 32(b)", Tag: TagPrimary}}
		if requesting.Budapest == Yes && requested.Budapest == Yes {
			ch.Basis, ch.Available = BasisBudapest, []Basis{BasisBudapest}
			ch.Reasons = []string{"both " + requesting.Code + " and " + requested.Code + " are Parties to the Budapest Convention, which lets a Party receive data located in another Party with the lawful and voluntary consent of the person who has the lawful authority to disclose it"}
			return ch
		}
		why = "Art 32(b) of the Budapest Convention applies to data located in another Party, and it does not bind both " + requesting.Code + " and " + requested.Code
	}
	ch.Reasons = []string{"no legal basis for access to data stored in " + requested.Code + " without its authorisation: " + why + "; the requesting State must ask for mutual assistance"}
	return ch
}
