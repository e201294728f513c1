package mla

import "slices"

// JurisdictionBasis is the ground on which the requesting State claims jurisdiction over the offence.
type JurisdictionBasis string

// Bases of jurisdiction (UNCC Art 22 [S]: mandatory bases for the Convention's offences; jurisdiction over
// offences against a State's nationals; and whatever domestic law establishes).
const (
	// JurisdictionTerritorial: the conduct took place, in whole or part, in the requesting State.
	JurisdictionTerritorial JurisdictionBasis = "territorial"
	// JurisdictionNationality: the person concerned is a national of the requesting State.
	JurisdictionNationality JurisdictionBasis = "nationality"
	// JurisdictionPassivePersonality: the offence was committed against a national of the requesting State.
	JurisdictionPassivePersonality JurisdictionBasis = "passive-personality"
	// JurisdictionProtective: the offence is said to be against the requesting State itself (its
	// security, its institutions).
	JurisdictionProtective JurisdictionBasis = "protective"
	// JurisdictionUniversal: the requesting State claims jurisdiction whatever the place and the persons.
	JurisdictionUniversal JurisdictionBasis = "universal"
)

// JurisdictionBases lists the bases of jurisdiction.
var JurisdictionBases = []JurisdictionBasis{JurisdictionTerritorial, JurisdictionNationality, JurisdictionPassivePersonality,
	JurisdictionProtective, JurisdictionUniversal}

// UnmarshalText reads a basis of jurisdiction, rejecting unknown ones.
func (b *JurisdictionBasis) UnmarshalText(t []byte) error {
	return unmarshalEnum(b, "basis of jurisdiction", t, JurisdictionBases)
}

// Jurisdiction is the jurisdiction the requesting State claims over the offence, as its request states
// it: on what basis, and where the conduct took place.
type Jurisdiction struct {
	Basis JurisdictionBasis `json:"basis,omitempty" yaml:"basis"`
	// ConductIn is the State where the conduct took place.
	ConductIn string `json:"conduct_in,omitempty" yaml:"conduct_in"`
}

// ReachesIntoRequested reports whether the request claims jurisdiction over conduct in the requested
// State by a person who lives there, on the person's or a victim's nationality or on the requesting
// State's own protection: the pattern of transnational repression of exiles (legal reference §6, AB-7,
// [S]). It is a circumstantial sign, never enough on its own.
func (c Case) ReachesIntoRequested(requested string) bool {
	j := c.Jurisdiction
	extraterritorial := slices.Contains([]JurisdictionBasis{JurisdictionNationality, JurisdictionPassivePersonality, JurisdictionProtective}, j.Basis)
	return extraterritorial && j.ConductIn == requested && c.Person.ResidesIn == requested
}

// validate checks a jurisdiction: a territorial claim over conduct abroad is a contradiction.
func (j Jurisdiction) validate(from string) Problems {
	var ps Problems
	if j.Basis == JurisdictionTerritorial && j.ConductIn != "" && from != "" && j.ConductIn != from {
		ps.add("conduct_in", "a territorial claim is over conduct in the requesting State (%s), not in %s", from, j.ConductIn)
	}
	return ps
}

// Access is how a Party accesses stored data located in another Party without its authorisation
// (Budapest Art 32 [P]).
type Access string

// Kinds of access.
const (
	// AccessOpenSource: publicly available (open source) stored computer data, wherever it is located
	// (Art 32(a)).
	AccessOpenSource Access = "open-source"
	// AccessConsent: data received through a computer system in the requesting Party's territory with the
	// lawful and voluntary consent of the person who has the lawful authority to disclose it (Art 32(b)).
	AccessConsent Access = "consent"
)

// Accesses lists the kinds of access.
var Accesses = []Access{AccessOpenSource, AccessConsent}

// UnmarshalText reads a kind of access, rejecting unknown ones.
func (a *Access) UnmarshalText(t []byte) error {
	return unmarshalEnum(a, "kind of access", t, Accesses)
}
