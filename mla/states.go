package mla

import (
	_ "embed"
	"encoding/csv"
	"fmt"
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
)

// Bases lists the legal bases.
var Bases = []Basis{BasisUNCC, BasisBudapest, BasisBilateral, BasisComity}

// ParseBasis returns the basis named s.
func ParseBasis(s string) (Basis, error) { return parseEnum("legal basis", s, Bases) }

// World is the legal setting the bases are chosen in.
type World struct {
	// UNCCInForce is the date the UNCC enters into force (Art 65(1): ninetieth day after the fortieth
	// instrument). Zero means not in force: it has not happened, so a scenario sets it as a hypothesis.
	UNCCInForce time.Time
	// Treaties lists bilateral MLA treaties as pairs "AA-BB" (order free).
	Treaties []string
}

// HasTreaty reports whether a bilateral MLA treaty binds a and b.
func (w World) HasTreaty(a, b string) bool {
	for _, t := range w.Treaties {
		if t == a+"-"+b || t == b+"-"+a {
			return true
		}
	}
	return false
}

// BasisChoice is the outcome of legal-basis selection for a pair of States on a date.
type BasisChoice struct {
	Basis Basis `json:"basis"`
	// Available lists every basis that binds the pair, in preference order.
	Available []Basis `json:"available"`
	// MLATreaty is true when a bilateral MLA treaty binds the pair: then Budapest Art 27's own grounds do
	// not apply (Art 27(1)) and the treaty's do.
	MLATreaty bool       `json:"mla_treaty"`
	Reasons   []string   `json:"reasons"`
	Citations []Citation `json:"citations"`
	// Fallback says why the basis is not the one the request cites, when it is not.
	Fallback string `json:"fallback,omitempty"`
}

// SelectBasis chooses the legal basis for a request from requesting to requested on date. The preferred
// basis, when non-empty and available, wins; otherwise the order is Budapest, UNCC, bilateral treaty,
// comity (the instrument most specific to electronic evidence first). An unavailable preferred basis is
// an error, so a scenario cannot silently run under a basis the States do not share.
func SelectBasis(requesting, requested State, date time.Time, w World, preferred Basis) (BasisChoice, error) {
	var c BasisChoice
	budapest := requesting.Budapest == Yes && requested.Budapest == Yes
	if budapest {
		c.Available = append(c.Available, BasisBudapest)
		c.Reasons = append(c.Reasons, fmt.Sprintf("both %s and %s are Parties to the Budapest Convention", requesting.Code, requested.Code))
		c.Citations = append(c.Citations, Citation{RuleID: "budapest.25.1", Article: "Budapest Art 25(1)", Tag: TagPrimary})
	}
	unccInForce := !w.UNCCInForce.IsZero() && !date.Before(w.UNCCInForce)
	bothRatified := requesting.UNCC == UNCCRatified && requested.UNCC == UNCCRatified
	switch {
	case bothRatified && unccInForce:
		c.Available = append(c.Available, BasisUNCC)
		c.Reasons = append(c.Reasons, fmt.Sprintf("both %s and %s ratified the UNCC and it is in force since %s", requesting.Code, requested.Code, w.UNCCInForce.Format("2006-01-02")))
		c.Citations = append(c.Citations, Citation{RuleID: "uncc.65.1", Article: "UNCC Art 65(1)", Tag: TagPrimary})
	case bothRatified:
		c.Reasons = append(c.Reasons, "both ratified the UNCC, but it is not in force on "+date.Format("2006-01-02")+" (Art 65(1): ninetieth day after the fortieth instrument)")
	}
	if w.HasTreaty(requesting.Code, requested.Code) {
		c.MLATreaty = true
		c.Available = append(c.Available, BasisBilateral)
		c.Reasons = append(c.Reasons, fmt.Sprintf("a bilateral MLA treaty binds %s and %s", requesting.Code, requested.Code))
	}
	c.Available = append(c.Available, BasisComity)
	if preferred != "" {
		for _, b := range c.Available {
			if b == preferred {
				c.Basis = b
				return c, nil
			}
		}
	}
	c.Basis = c.Available[0]
	if preferred != "" {
		// A requesting State may cite a basis that does not bind the pair (the UNCC before it is in force
		// for both, a treaty one of them is not party to): the request is handled under the basis that
		// applies, and the timeline says so.
		c.Fallback = fmt.Sprintf("%s cites %s, which does not bind %s and %s on %s; the request is handled under %s, the basis that applies",
			requesting.Code, preferred, requesting.Code, requested.Code, date.Format("2006-01-02"), c.Basis)
		c.Reasons = append(c.Reasons, c.Fallback)
	}
	if c.Basis == BasisComity {
		c.Reasons = append(c.Reasons, "no treaty binds the pair: assistance rests on comity and domestic law")
	}
	return c, nil
}
