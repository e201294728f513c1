package mla

import "slices"

// The screening derives two of the conclusions a requested State draws, whether an offence is political
// and whether execution would prejudice its essential interests, from facts a scenario states. A
// scenario never writes the conclusion.

// Motive is why the person is said to have acted, as the request and what the requested State knows
// show it.
type Motive string

// Motives.
const (
	MotiveNone      Motive = ""
	MotivePolitical Motive = "political"
	MotiveFinancial Motive = "financial"
	MotivePersonal  Motive = "personal"
	MotiveUnknown   Motive = "unknown"
)

// Motives lists the motives a scenario may state.
var Motives = []Motive{MotivePolitical, MotiveFinancial, MotivePersonal, MotiveUnknown}

// UnmarshalText reads a motive, rejecting unknown ones.
func (m *Motive) UnmarshalText(b []byte) error { return unmarshalEnum(m, "motive", b, Motives) }

// PurePoliticalCategories are the offence categories directed only against the State's political
// organisation, with no element of a common crime: the classic pure political offences.
var PurePoliticalCategories = []string{"treason", "sedition", "espionage"}

// IsPolitical reports whether the requested State would see the offence as political, in mlasim's model
// of the common doctrine: a pure political offence (PurePoliticalCategories), or an offence committed for
// a political motive without violence against persons (a relative political offence; terrorism never
// is one).
func (o Offence) IsPolitical() bool {
	if slices.Contains(PurePoliticalCategories, o.Category) {
		return true
	}
	return o.Motive == MotivePolitical && !o.Violent && o.Category != "terrorism"
}

// Interest is an essential interest of the requested State that executing a request would touch.
type Interest string

// Interests of the requested State.
const (
	// InterestSecurity: execution would disclose information about the requested State's security,
	// defence or intelligence.
	InterestSecurity Interest = "national-security"
	// InterestSovereignty: the request asks for acts only the requested State's own authorities may
	// perform, or concerns its officials' acts of State.
	InterestSovereignty Interest = "sovereignty"
	// InterestInfrastructure: execution would expose vulnerabilities of the requested State's critical
	// infrastructure.
	InterestInfrastructure Interest = "critical-infrastructure"
	// InterestDeathPenalty: the offence carries the death penalty in the requesting State, which the
	// requested State's ordre public rejects.
	InterestDeathPenalty Interest = "death-penalty"
)

// Interests lists the essential interests a scenario may say execution affects.
var Interests = []Interest{InterestSecurity, InterestSovereignty, InterestInfrastructure, InterestDeathPenalty}

// UnmarshalText reads an interest, rejecting unknown ones.
func (i *Interest) UnmarshalText(b []byte) error {
	return unmarshalEnum(i, "essential interest", b, Interests)
}

// Derive sets the conclusions the screening draws from a case's facts: whether the offence is political
// and whether execution would prejudice the requested State's essential interests (sovereignty,
// security, ordre public: any interest it affects).
func (c *Case) Derive() {
	c.Offence.Political = c.Offence.IsPolitical()
	c.EssentialInterests = len(c.Affects) > 0
}

// conclusionsWritten reports the conclusions a scenario wrote instead of the facts they rest on (the
// offence's are checked with the offence); paths are relative to the case.
func (c Case) conclusionsWritten() Problems {
	var ps Problems
	if c.EssentialInterests {
		ps.add("essential_interests", "essential interests are derived from the interests execution affects: write affects: [%s]", joinEnum(Interests))
	}
	return ps
}
