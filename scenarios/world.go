package scenarios

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/internal/yamlerr"
	"github.com/mlasim/mlasim/mla"
)

//go:embed profiles/*.yaml
var profiles embed.FS

// WorldSpec sets the States and treaties.
type WorldSpec struct {
	States   []StateSpec  `yaml:"states"`
	Treaties []TreatySpec `yaml:"treaties"`
	// Profiles names requesting-State profiles (scenarios/profiles) to apply before the States' own settings.
	Profiles []string `yaml:"profiles"`
}

// StateSpec adds a fictional State or changes a catalogued one; what it leaves out stays as the catalogue
// (mla/states.csv) says.
type StateSpec struct {
	Code             string         `yaml:"code"`
	Name             string         `yaml:"name"`
	Fictional        bool           `yaml:"fictional"`
	UNCC             mla.UNCCStatus `yaml:"uncc"`
	Budapest         mla.Tri        `yaml:"budapest"`
	SecondProtocol   *bool          `yaml:"second_protocol"`
	Policy           string         `yaml:"policy"`
	PreservationDays int            `yaml:"preservation_days"`
	Reservations     []string       `yaml:"reservations"`
	Languages        []string       `yaml:"languages"`
	// Note says why the scenario changes the State's status (default "scenario hypothesis").
	Note string `yaml:"note"`
	// Record is the State's observable record as a requesting State (none, concerns, documented);
	// RecordSource is required for a real State with a record, so no claim goes unsourced.
	Record       mla.Record `yaml:"record"`
	RecordSource string     `yaml:"record_source"`
	// Capacity is how many requests a legal day the State's central authority reviews; requests beyond it
	// wait in a backlog. Zero: no limit.
	Capacity float64 `yaml:"capacity"`
	// Law is what the scenario says of the State's own law on mutual assistance, with its source.
	Law *mla.Law `yaml:"law"`
	// PoCOutsideMLAAuthority: the State's 24/7 point of contact is not part of its authority for mutual
	// assistance (Budapest Art 35(2)(b)); PoCSource is required for a real State, so no claim goes
	// unsourced.
	PoCOutsideMLAAuthority bool   `yaml:"poc_outside_mla_authority"`
	PoCSource              string `yaml:"poc_source"`
}

// MaxCapacity bounds a central authority's capacity (requests reviewed a legal day).
const MaxCapacity = 1e6

// Profile is a requesting-State profile: a sourced record a scenario can give a set of States.
type Profile struct {
	Name   string     `yaml:"profile"`
	Title  string     `yaml:"title"`
	Record mla.Record `yaml:"record"`
	Tag    mla.Tag    `yaml:"tag"`
	Source string     `yaml:"source"`
	Scope  string     `yaml:"scope"`
	States []string   `yaml:"states"`
}

// Profiles returns the built-in requesting-State profiles by name.
func Profiles() (map[string]Profile, error) {
	names, _ := fs.Glob(profiles, "profiles/*.yaml")
	out := map[string]Profile{}
	for _, n := range names {
		data, err := profiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		var p Profile
		if err := dec.Decode(&p); err != nil {
			return nil, yamlerr.FromYAML("scenarios/"+n, err, "")
		}
		out[p.Name] = p
	}
	return out, nil
}

// world sets the States (catalogue, then profiles, then the scenario's own settings) and treaties.
func (l *loader) world(f File, s *Scenario) {
	s.States = mla.Catalogue()
	l.profiles(f, s)
	for i, st := range f.World.States {
		l.state(s, i, st)
	}
	for code, st := range s.States {
		if st.Policy == "" {
			st.Policy = "standard"
		}
		if st.CentralAuthority == "" {
			st.CentralAuthority = "central authority of " + st.Name
		}
		if st.PointOfContact == "" {
			st.PointOfContact = "24/7 point of contact of " + st.Name
		}
		if st.PreservationDays == 0 {
			st.PreservationDays = 60
		}
		s.States[code] = st
	}
	l.treaties(f, s)
	l.states = s.States
}

func (l *loader) profiles(f File, s *Scenario) {
	if len(f.World.Profiles) == 0 {
		return
	}
	known, err := Profiles()
	if err != nil {
		l.errs = append(l.errs, err)
		return
	}
	for i, name := range f.World.Profiles {
		p, ok := known[name]
		if !ok {
			l.at(mla.Index("world.profiles", i), "unknown profile %q (known: %s)", name, strings.Join(mla.SortedKeys(known), ", "))
			continue
		}
		for _, code := range p.States {
			st := s.States[code]
			st.Record = p.Record
			st.RecordSource = fmt.Sprintf("%s %s: %s", p.Name, p.Tag.Label(), strings.Join(strings.Fields(p.Source), " "))
			s.States[code] = st
		}
	}
}

// state applies one State's settings of the scenario.
func (l *loader) state(s *Scenario, i int, st StateSpec) {
	base, ok := l.baseState(s, i, st)
	if !ok {
		return
	}
	at := func(k string) string { return mla.Index("world.states", i) + "." + k }
	base = l.status(base, st, at)
	base = l.settings(base, st, at)
	s.States[st.Code] = base
}

// status applies a spec's treaty status, marking each change from the sources as a hypothesis.
func (l *loader) status(base mla.State, st StateSpec, at func(string) string) mla.State {
	note := st.Note
	if note == "" {
		note = "scenario hypothesis"
	}
	if st.UNCC != "" {
		if st.UNCC == mla.UNCCUnknown {
			l.at(at("uncc"), "uncc must be none, signed or ratified, not unknown")
		}
		if !st.Fictional && st.UNCC != base.UNCC {
			base.Hypothetical = append(base.Hypothetical, fmt.Sprintf("UNCC %s (source says %s): %s", st.UNCC, base.UNCC, note))
		}
		base.UNCC = st.UNCC
	}
	if st.Budapest != "" {
		if st.Budapest == mla.Unknown {
			l.at(at("budapest"), "budapest must be yes or no, not unknown")
		}
		if !st.Fictional && st.Budapest != base.Budapest {
			base.Hypothetical = append(base.Hypothetical, fmt.Sprintf("Budapest Party %s (source says %s): %s", st.Budapest, base.Budapest, note))
		}
		base.Budapest = st.Budapest
	}
	if st.SecondProtocol != nil {
		base.SecondProtocol = *st.SecondProtocol
	}
	return base
}

// settings applies a spec's policy, preservation period, capacity, reservations, languages and record.
func (l *loader) settings(base mla.State, st StateSpec, at func(string) string) mla.State {
	if st.Policy != "" {
		if !l.engine.HasPolicy(st.Policy) {
			l.at(at("policy"), "unknown policy %q (known: %s)", st.Policy, strings.Join(l.engine.Policies(), ", "))
		}
		base.Policy = st.Policy
	}
	switch d := st.PreservationDays; {
	case d == 0:
	case d < 60:
		l.at(at("preservation_days"), "preservation lasts at least 60 days (Budapest Art 29(7))")
	case d > 3650:
		l.at(at("preservation_days"), "a preservation period of %d days is more than ten years", d)
	default:
		base.PreservationDays = d
	}
	if c := st.Capacity; math.IsNaN(c) || c < 0 || c > MaxCapacity {
		l.at(at("capacity"), "capacity is a number of requests a legal day between 0 (no limit) and %g, not %v", float64(MaxCapacity), c)
	}
	base.Reservations = st.Reservations
	base.Languages = st.Languages
	if st.Law != nil {
		l.problems(st.Law.Validate(l.engine.Grounds()).Prefixed(at("law")))
		base.Law = *st.Law
	}
	if st.PoCOutsideMLAAuthority {
		if !base.Fictional && st.PoCSource == "" {
			l.at(at("poc_source"), "where %s's 24/7 point of contact sits needs its source", st.Code)
		}
		base.PoCOutsideMLAAuthority = true
	}
	if st.Record != "" {
		if st.Record != mla.RecordNone && !base.Fictional && st.RecordSource == "" {
			l.at(at("record_source"), "a record of %s for a real State needs its source", st.Code)
		}
		base.Record, base.RecordSource = st.Record, st.RecordSource
	}
	return base
}

// baseState returns the State a spec changes: the catalogued one, or a new fictional one.
func (l *loader) baseState(s *Scenario, i int, st StateSpec) (mla.State, bool) {
	at := func(k string) string { return mla.Index("world.states", i) + "." + k }
	base, known := s.States[st.Code]
	switch {
	case st.Code == "":
		l.at(at("code"), "missing State code")
		return base, false
	case st.Fictional:
		if !mla.UserAssignedCode(st.Code) {
			l.at(at("code"), "a fictional State needs a user-assigned code (AA, QM-QZ, XA-XZ, ZZ), not %q", st.Code)
		}
		if st.Name == "" {
			l.at(at("name"), "a fictional State needs a name")
		}
		base = mla.State{Code: st.Code, Name: st.Name, UNCC: mla.UNCCNone, Budapest: mla.No, Fictional: true,
			UNCCSource: "fictional training State", BudapestSource: "fictional training State"}
	case !known:
		l.at(at("code"), "unknown State %q (not in mla/states.csv; a fictional State needs fictional: true)", st.Code)
		return base, false
	}
	if st.Name != "" {
		base.Name = st.Name
	}
	return base, true
}

// stateOn returns a State as it stands on a legal date: a ratification inject due by then makes it a
// UNCC Party (marked as a hypothesis).
func (l *loader) stateOn(s *Scenario, code string, date time.Time) mla.State {
	st := s.States[code]
	if d, ok := l.ratified[code]; ok && !date.Before(d) && st.UNCC != mla.UNCCRatified {
		st.Hypothetical = append(append([]string{}, st.Hypothetical...), "UNCC ratified on "+d.Format("2006-01-02")+" (scenario inject)")
		st.UNCC = mla.UNCCRatified
	}
	return st
}
