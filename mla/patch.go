package mla

// A patch changes some facts of a request and leaves the others as they are: every field that is set
// (not nil) replaces the same field. New information in a scenario, injects and rule-test cases all change
// facts this way, through Apply, so there is one typed, pure way to change a request.

// CasePatch changes the facts of a case that new information may change.
type CasePatch struct {
	Offence                *OffencePatch `json:"offence,omitempty" yaml:"offence,omitempty"`
	Person                 *PersonPatch  `json:"person,omitempty" yaml:"person,omitempty"`
	Omitted                *[]string     `json:"omitted,omitempty" yaml:"omitted,omitempty"`
	Signs                  *[]Sign       `json:"signs,omitempty" yaml:"signs,omitempty"`
	RequestingRecord       *Record       `json:"requesting_record,omitempty" yaml:"requesting_record,omitempty"`
	Affects                *[]Interest   `json:"affects,omitempty" yaml:"affects,omitempty"`
	OngoingInvestigation   *bool         `json:"ongoing_investigation,omitempty" yaml:"ongoing_investigation,omitempty"`
	BankSecrecy            *bool         `json:"bank_secrecy,omitempty" yaml:"bank_secrecy,omitempty"`
	RevealsSources         *bool         `json:"reveals_sources,omitempty" yaml:"reveals_sources,omitempty"`
	DeletionRisk           *bool         `json:"deletion_risk,omitempty" yaml:"deletion_risk,omitempty"`
	Confidential           *bool         `json:"confidential,omitempty" yaml:"confidential,omitempty"`
	CannotKeepConfidential *bool         `json:"cannot_keep_confidential,omitempty" yaml:"cannot_keep_confidential,omitempty"`
	ExtraordinaryCosts     *bool         `json:"extraordinary_costs,omitempty" yaml:"extraordinary_costs,omitempty"`
	Misdirected            *bool         `json:"misdirected,omitempty" yaml:"misdirected,omitempty"`
	Jurisdiction           *Jurisdiction `json:"jurisdiction,omitempty" yaml:"jurisdiction,omitempty"`
}

// OffencePatch changes facts of an offence.
type OffencePatch struct {
	Name                *string `json:"name,omitempty" yaml:"name,omitempty"`
	Category            *string `json:"category,omitempty" yaml:"category,omitempty"`
	MaxPenaltyYears     *int    `json:"max_penalty_years,omitempty" yaml:"max_penalty_years,omitempty"`
	ConventionOffence   *bool   `json:"convention_offence,omitempty" yaml:"convention_offence,omitempty"`
	CriminalInRequested *bool   `json:"criminal_in_requested,omitempty" yaml:"criminal_in_requested,omitempty"`
	Motive              *Motive `json:"motive,omitempty" yaml:"motive,omitempty"`
	Violent             *bool   `json:"violent,omitempty" yaml:"violent,omitempty"`
	Fiscal              *bool   `json:"fiscal,omitempty" yaml:"fiscal,omitempty"`
}

// PersonPatch changes facts of the person concerned.
type PersonPatch struct {
	Role                *Role   `json:"role,omitempty" yaml:"role,omitempty"`
	Nationality         *string `json:"nationality,omitempty" yaml:"nationality,omitempty"`
	ResidesIn           *string `json:"resides_in,omitempty" yaml:"resides_in,omitempty"`
	ProtectedExpression *bool   `json:"protected_expression,omitempty" yaml:"protected_expression,omitempty"`
}

// FactsPatch changes any fact a rule reads: the case, and what screening derives (basis, States, date).
// Rule-test cases are written as a FactsPatch over a baseline.
type FactsPatch struct {
	CasePatch  `yaml:",inline"`
	Kind       *RequestKind `json:"kind,omitempty" yaml:"kind,omitempty"`
	Channel    *Channel     `json:"channel,omitempty" yaml:"channel,omitempty"`
	DataKind   *string      `json:"data_kind,omitempty" yaml:"data_kind,omitempty"`
	Emergency  *bool        `json:"emergency,omitempty" yaml:"emergency,omitempty"`
	Deadline   *Duration    `json:"deadline,omitempty" yaml:"deadline,omitempty"`
	Form       *Form        `json:"form,omitempty" yaml:"form,omitempty"`
	Access     *Access      `json:"access,omitempty" yaml:"access,omitempty"`
	Language   *string      `json:"language,omitempty" yaml:"language,omitempty"`
	Basis      *Basis       `json:"basis,omitempty" yaml:"basis,omitempty"`
	MLATreaty  *bool        `json:"mla_treaty,omitempty" yaml:"mla_treaty,omitempty"`
	Treaty     *TreatyFacts `json:"treaty,omitempty" yaml:"treaty,omitempty"`
	Coercive   *bool        `json:"coercive,omitempty" yaml:"coercive,omitempty"`
	Missing    *[]string    `json:"missing,omitempty" yaml:"missing,omitempty"`
	Requesting *StatePatch  `json:"requesting,omitempty" yaml:"requesting,omitempty"`
	Requested  *StatePatch  `json:"requested,omitempty" yaml:"requested,omitempty"`
	FollowUp   *bool        `json:"follow_up,omitempty" yaml:"follow_up,omitempty"`
}

// StatePatch changes what rules see of a State.
type StatePatch struct {
	Code           *string     `json:"code,omitempty" yaml:"code,omitempty"`
	UNCC           *UNCCStatus `json:"uncc,omitempty" yaml:"uncc,omitempty"`
	Budapest       *Tri        `json:"budapest,omitempty" yaml:"budapest,omitempty"`
	SecondProtocol *bool       `json:"second_protocol,omitempty" yaml:"second_protocol,omitempty"`
	Reservations   *[]string   `json:"reservations,omitempty" yaml:"reservations,omitempty"`
	Record         *Record     `json:"record,omitempty" yaml:"record,omitempty"`
	Law            *Law        `json:"law,omitempty" yaml:"law,omitempty"`
	// PoCOutsideMLAAuthority as in State.
	PoCOutsideMLAAuthority *bool `json:"poc_outside_mla_authority,omitempty" yaml:"poc_outside_mla_authority,omitempty"`
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Apply returns the case with the patch's facts set. Slices are copied, so the patch and the result never
// share memory.
func (p CasePatch) Apply(c Case) Case {
	if o := p.Offence; o != nil {
		set(&c.Offence.Name, o.Name)
		set(&c.Offence.Category, o.Category)
		set(&c.Offence.MaxPenaltyYears, o.MaxPenaltyYears)
		set(&c.Offence.ConventionOffence, o.ConventionOffence)
		set(&c.Offence.CriminalInRequested, o.CriminalInRequested)
		set(&c.Offence.Motive, o.Motive)
		set(&c.Offence.Violent, o.Violent)
		set(&c.Offence.Fiscal, o.Fiscal)
	}
	if q := p.Person; q != nil {
		set(&c.Person.Role, q.Role)
		set(&c.Person.Nationality, q.Nationality)
		set(&c.Person.ResidesIn, q.ResidesIn)
		set(&c.Person.ProtectedExpression, q.ProtectedExpression)
	}
	if p.Omitted != nil {
		c.Omitted = append([]string{}, (*p.Omitted)...)
	}
	if p.Signs != nil {
		c.Signs = append([]Sign{}, (*p.Signs)...)
	}
	set(&c.RequestingRecord, p.RequestingRecord)
	if p.Affects != nil {
		c.Affects = append([]Interest{}, (*p.Affects)...)
	}
	set(&c.OngoingInvestigation, p.OngoingInvestigation)
	set(&c.BankSecrecy, p.BankSecrecy)
	set(&c.RevealsSources, p.RevealsSources)
	set(&c.DeletionRisk, p.DeletionRisk)
	set(&c.Confidential, p.Confidential)
	set(&c.CannotKeepConfidential, p.CannotKeepConfidential)
	set(&c.ExtraordinaryCosts, p.ExtraordinaryCosts)
	set(&c.Misdirected, p.Misdirected)
	set(&c.Jurisdiction, p.Jurisdiction)
	return c
}

// Apply returns the facts with the patch's facts set. A patch that changes the kind but not whether the
// measure is coercive takes the kind's own answer.
func (p FactsPatch) Apply(f Facts) Facts {
	f.Case = p.CasePatch.Apply(f.Case)
	set(&f.Kind, p.Kind)
	if p.Kind != nil && p.Coercive == nil {
		f.Coercive = p.Kind.Coercive()
	}
	set(&f.Channel, p.Channel)
	set(&f.DataKind, p.DataKind)
	set(&f.Emergency, p.Emergency)
	set(&f.Deadline, p.Deadline)
	set(&f.Form, p.Form)
	set(&f.Access, p.Access)
	set(&f.Language, p.Language)
	set(&f.Basis, p.Basis)
	set(&f.MLATreaty, p.MLATreaty)
	if p.Treaty != nil {
		f.Treaty = p.Treaty.normal()
	}
	set(&f.Coercive, p.Coercive)
	if p.Missing != nil {
		f.Missing = append([]string{}, (*p.Missing)...)
	}
	f.Requesting = p.Requesting.apply(f.Requesting)
	f.Requested = p.Requested.apply(f.Requested)
	set(&f.FollowUp, p.FollowUp)
	if p.RequestingRecord != nil {
		f.Requesting.Record = *p.RequestingRecord
	}
	f.RequestingRecord = f.Requesting.Record
	return f
}

func (p *StatePatch) apply(s StateFacts) StateFacts {
	if p == nil {
		return s
	}
	set(&s.Code, p.Code)
	set(&s.UNCC, p.UNCC)
	set(&s.Budapest, p.Budapest)
	set(&s.SecondProtocol, p.SecondProtocol)
	if p.Reservations != nil {
		s.Reservations = append([]string{}, (*p.Reservations)...)
	}
	set(&s.Record, p.Record)
	set(&s.PoCOutsideMLAAuthority, p.PoCOutsideMLAAuthority)
	if p.Law != nil {
		s.Law = p.Law.lawFacts()
	}
	return s
}

// Validate checks the values a patch sets that a type alone cannot; paths are relative to the patch.
func (p CasePatch) Validate() Problems {
	if p.Signs == nil {
		return nil
	}
	return validateSigns(*p.Signs)
}

// Fields lists the facts the patch sets, as dotted paths ("offence.motive"), for messages.
func (p CasePatch) Fields() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	if o := p.Offence; o != nil {
		add(o.Name != nil, "offence.name")
		add(o.Category != nil, "offence.category")
		add(o.MaxPenaltyYears != nil, "offence.max_penalty_years")
		add(o.ConventionOffence != nil, "offence.convention_offence")
		add(o.CriminalInRequested != nil, "offence.criminal_in_requested")
		add(o.Motive != nil, "offence.motive")
		add(o.Violent != nil, "offence.violent")
		add(o.Fiscal != nil, "offence.fiscal")
	}
	if q := p.Person; q != nil {
		add(q.Role != nil, "person.role")
		add(q.Nationality != nil, "person.nationality")
		add(q.ResidesIn != nil, "person.resides_in")
		add(q.ProtectedExpression != nil, "person.protected_expression")
	}
	add(p.Omitted != nil, "omitted")
	add(p.Signs != nil, "signs")
	add(p.RequestingRecord != nil, "requesting_record")
	add(p.Affects != nil, "affects")
	add(p.OngoingInvestigation != nil, "ongoing_investigation")
	add(p.BankSecrecy != nil, "bank_secrecy")
	add(p.RevealsSources != nil, "reveals_sources")
	add(p.DeletionRisk != nil, "deletion_risk")
	add(p.Confidential != nil, "confidential")
	add(p.CannotKeepConfidential != nil, "cannot_keep_confidential")
	add(p.ExtraordinaryCosts != nil, "extraordinary_costs")
	add(p.Misdirected != nil, "misdirected")
	return out
}
