// Package scenarios holds the scenario library (*.yaml, embedded) and its loader: it parses a scenario,
// validates every field against the State catalogue, the request kinds and the rule packs, and turns it
// into the input of a Scenario workflow. Errors name the file, line, column and field.
package scenarios

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/internal/yamlerr"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/workflows"
)

//go:embed library/*.yaml
var library embed.FS

//go:embed profiles/*.yaml
var profiles embed.FS

// Profile is a requesting-State profile: a sourced record a scenario can give a set of States.
type Profile struct {
	Name   string   `yaml:"profile"`
	Title  string   `yaml:"title"`
	Record string   `yaml:"record"`
	Tag    mla.Tag  `yaml:"tag"`
	Source string   `yaml:"source"`
	Scope  string   `yaml:"scope"`
	States []string `yaml:"states"`
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
			return nil, yamlErr("scenarios/"+n, err)
		}
		out[p.Name] = p
	}
	return out, nil
}

// File is a scenario file as written.
type File struct {
	ID       string    `yaml:"id"`
	Title    string    `yaml:"title"`
	Briefing string    `yaml:"briefing"`
	Seed     int64     `yaml:"seed"`
	Clock    ClockSpec `yaml:"clock"`
	World    WorldSpec `yaml:"world"`
	Packs    []string  `yaml:"packs"`
	Requests []ReqSpec `yaml:"requests"`
	// Generators add seeded streams of requests.
	Generators []GeneratorSpec `yaml:"generators"`
	// Injects are events at legal times: withdrawals, provider outages, policy changes, ratifications,
	// new information, emergencies.
	Injects []InjectSpec `yaml:"injects"`
}

// ClockSpec sets legal time.
type ClockSpec struct {
	// Start is the legal date the scenario starts (YYYY-MM-DD).
	Start string `yaml:"start"`
	// Scale is legal time per wall second, e.g. "1d" (one legal day per second) or "6h".
	Scale string `yaml:"scale"`
	// UNCCInForce is the hypothetical date the UNCC enters into force; empty: not in force.
	UNCCInForce string `yaml:"uncc_in_force"`
}

// WorldSpec sets the States and treaties.
type WorldSpec struct {
	States   []StateSpec `yaml:"states"`
	Treaties []string    `yaml:"treaties"`
	// Profiles names requesting-State profiles (scenarios/profiles) to apply before the States' own settings.
	Profiles []string `yaml:"profiles"`
}

// StateSpec adds a fictional State or overrides a catalogued one.
type StateSpec struct {
	Code             string   `yaml:"code"`
	Name             string   `yaml:"name"`
	Fictional        bool     `yaml:"fictional"`
	UNCC             string   `yaml:"uncc"`
	Budapest         string   `yaml:"budapest"`
	SecondProtocol   *bool    `yaml:"second_protocol"`
	Policy           string   `yaml:"policy"`
	PreservationDays int      `yaml:"preservation_days"`
	Reservations     []string `yaml:"reservations"`
	Languages        []string `yaml:"languages"`
	Note             string   `yaml:"note"`
	// Record is the State's observable record as a requesting State (none, concerns, documented);
	// RecordSource is required for a real State with a record, so no claim goes unsourced.
	Record string `yaml:"record"`
	// Capacity is how many requests a legal day the State's central authority reviews; requests beyond it
	// wait in a backlog. Zero: no limit.
	Capacity     float64 `yaml:"capacity"`
	RecordSource string  `yaml:"record_source"`
}

// ReqSpec is a scripted request.
type ReqSpec struct {
	ID                     string            `yaml:"id"`
	Title                  string            `yaml:"title"`
	Briefing               string            `yaml:"briefing"`
	Kind                   string            `yaml:"kind"`
	From                   string            `yaml:"from"`
	To                     string            `yaml:"to"`
	Channel                string            `yaml:"channel"`
	Basis                  string            `yaml:"basis"`
	At                     string            `yaml:"at"`
	ConductAgo             string            `yaml:"conduct_ago"`
	Offence                mla.Offence       `yaml:"offence"`
	Person                 mla.Person        `yaml:"person"`
	DataKind               string            `yaml:"data_kind"`
	Omitted                []string          `yaml:"omitted"`
	RequestingRecord       string            `yaml:"requesting_record"`
	EssentialInterests     bool              `yaml:"essential_interests"`
	OngoingInvestigation   bool              `yaml:"ongoing_investigation"`
	Postponement           string            `yaml:"postponement"`
	BankSecrecy            bool              `yaml:"bank_secrecy"`
	Confidential           bool              `yaml:"confidential"`
	CannotKeepConfidential bool              `yaml:"cannot_keep_confidential"`
	Emergency              bool              `yaml:"emergency"`
	Deadline               string            `yaml:"deadline"`
	FollowUpOf             string            `yaml:"follow_up_of"`
	RevealsProviderIn      string            `yaml:"reveals_provider_in"`
	AnswersInformation     *bool             `yaml:"answers_information"`
	AnswerDelay            string            `yaml:"answer_delay"`
	AcceptsConditions      bool              `yaml:"accepts_conditions"`
	Extend                 string            `yaml:"extend"`
	WithdrawAfter          string            `yaml:"withdraw_after"`
	Provider               ProviderSpec      `yaml:"provider"`
	Actors                 map[string]string `yaml:"actors"`
	DecisionTimeout        string            `yaml:"decision_timeout"`
	Expected               *ExpectSpec       `yaml:"expected"`
	Abusive                bool              `yaml:"abusive"`
}

// ProviderSpec describes the service provider.
type ProviderSpec struct {
	Name        string  `yaml:"name"`
	Latency     string  `yaml:"latency"`
	FailureRate float64 `yaml:"failure_rate"`
	MaxAttempts int     `yaml:"max_attempts"`
	Retention   string  `yaml:"retention"`
}

// ExpectSpec is the answer key of a request.
type ExpectSpec struct {
	Status  string   `yaml:"status"`
	Grounds []string `yaml:"grounds"`
}

// Scenario is a loaded, validated scenario.
type Scenario struct {
	File     string
	ID       string
	Title    string
	Briefing string
	Clock    mla.Clock
	Seed     int64
	World    mla.World
	States   map[string]mla.State
	Requests []workflows.RequestInput
	// Packs holds the scenario's own rule packs (file name to content).
	Packs map[string][]byte

	reseed func(seed int64) (*Scenario, error)

	outages       []outage
	policyChanges []policyChange
	updates       []update
	ratified      map[string]time.Time
}

// Input is the Scenario workflow input.
func (s *Scenario) Input() workflows.ScenarioInput {
	return workflows.ScenarioInput{ID: s.ID, Title: s.Title, Clock: s.Clock, Seed: s.Seed, Requests: s.Requests}
}

// Error is a problem in a scenario file, located by file, line, column and field.
type Error = yamlerr.Error

// Errors lists every problem found in a scenario.
type Errors = yamlerr.List

// Names lists the scenarios of the built-in library.
func Names() []string {
	names, _ := fs.Glob(library, "library/*.yaml")
	for i, n := range names {
		names[i] = strings.TrimSuffix(filepath.Base(n), ".yaml")
	}
	sort.Strings(names)
	return names
}

// Builtin loads a scenario of the built-in library by name.
func Builtin(name string, engine *rules.Engine) (*Scenario, error) {
	data, err := library.ReadFile("library/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no built-in scenario %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return Parse("scenarios/library/"+name+".yaml", data, nil, engine)
}

// Load reads and validates a scenario file. Packs it names are read relative to the file.
func Load(path string, engine *rules.Engine) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, os.DirFS(filepath.Dir(path)), engine)
}

// Parse validates a scenario. packFS resolves the scenario's `packs` entries (nil: none allowed).
// engine holds the built-in packs; a scenario with its own packs is checked against them too.
func Parse(file string, data []byte, packFS fs.FS, engine *rules.Engine) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{yamlErr(file, err)}
	}
	if len(root.Content) == 0 {
		return nil, Errors{&Error{File: file, Msg: "empty scenario"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, Errors{yamlErr(file, err)}
	}
	v := &validator{file: file, root: root.Content[0]}
	s := v.build(f, packFS, engine)
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	s.reseed = func(seed int64) (*Scenario, error) {
		f.Seed = seed
		v := &validator{file: file, root: root.Content[0]}
		s := v.build(f, packFS, engine)
		if len(v.errs) > 0 {
			return nil, v.errs
		}
		return s, nil
	}
	return s, nil
}

// WithSeed returns the scenario drawn again with another seed: the same file, other per-request draws
// and generated requests. Replications use it.
func (s *Scenario) WithSeed(seed int64) (*Scenario, error) {
	if s.reseed == nil {
		return nil, fmt.Errorf("scenario %s cannot be reseeded", s.ID)
	}
	out, err := s.reseed(seed)
	if err == nil {
		out.reseed = s.reseed
	}
	return out, err
}

type validator struct {
	file string
	root *yaml.Node
	errs Errors
}

// at records an error at the node found by path (keys and indexes), or the nearest node above it.
func (v *validator) at(path []any, msg string) {
	n := v.root
	field := ""
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			next = yamlerr.MapValue(n, k)
			if field == "" {
				field = k
			} else {
				field += "." + k
			}
		case int:
			if n != nil && n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
			}
			field += fmt.Sprintf("[%d]", k)
		}
		if next == nil {
			break
		}
		n = next
	}
	v.errs = append(v.errs, yamlerr.At(v.file, n, field, msg))
}

func (v *validator) duration(path []any, s string, required bool) time.Duration {
	if s == "" {
		if required {
			v.at(path, "missing duration (e.g. 10d, 8h)")
		}
		return 0
	}
	d, err := mla.ParseLegalDuration(s)
	if err != nil {
		v.at(path, err.Error())
		return 0
	}
	if d < 0 {
		v.at(path, "duration must not be negative")
	}
	return d
}

func (v *validator) build(f File, packFS fs.FS, engine *rules.Engine) *Scenario {
	s := &Scenario{File: v.file, ID: f.ID, Title: f.Title, Briefing: f.Briefing, Seed: f.Seed, Packs: map[string][]byte{}}
	if f.ID == "" {
		v.at([]any{"id"}, "missing scenario id")
	}
	if f.Title == "" {
		v.at([]any{"title"}, "missing title")
	}
	// Clock.
	start, err := time.Parse("2006-01-02", f.Clock.Start)
	if err != nil {
		v.at([]any{"clock", "start"}, fmt.Sprintf("start must be a date YYYY-MM-DD, not %q", f.Clock.Start))
	}
	scale := v.duration([]any{"clock", "scale"}, f.Clock.Scale, true)
	if f.Clock.Scale != "" && scale == 0 {
		v.at([]any{"clock", "scale"}, "time scale must be more than zero")
	}
	s.Clock = mla.Clock{Start: start.UTC(), Scale: float64(scale) / float64(time.Second)}
	if f.Clock.UNCCInForce != "" {
		d, err := time.Parse("2006-01-02", f.Clock.UNCCInForce)
		if err != nil {
			v.at([]any{"clock", "uncc_in_force"}, fmt.Sprintf("must be a date YYYY-MM-DD, not %q", f.Clock.UNCCInForce))
		}
		s.World.UNCCInForce = d
	}

	// Packs of the scenario's own.
	if len(f.Packs) > 0 {
		if packFS == nil {
			v.at([]any{"packs"}, "a built-in scenario cannot name pack files")
		}
		for i, p := range f.Packs {
			if packFS == nil {
				break
			}
			b, err := fs.ReadFile(packFS, p)
			if err != nil {
				v.at([]any{"packs", i}, fmt.Sprintf("cannot read pack: %v", err))
				continue
			}
			s.Packs[filepath.Join(filepath.Dir(v.file), p)] = b
		}
		if len(s.Packs) == len(f.Packs) {
			e, err := engine.With(s.Packs)
			if err != nil {
				v.errs = append(v.errs, err)
			} else {
				engine = e
			}
		}
	}

	// States, with the profiles first so a State's own settings win.
	s.States = mla.Catalogue()
	if len(f.World.Profiles) > 0 {
		known, err := Profiles()
		if err != nil {
			v.errs = append(v.errs, err)
		}
		for i, name := range f.World.Profiles {
			p, ok := known[name]
			if !ok {
				v.at([]any{"world", "profiles", i}, fmt.Sprintf("unknown profile %q (known: %s)", name, strings.Join(mla.SortedKeys(known), ", ")))
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
	for i, st := range f.World.States {
		v.state(s, i, st, engine)
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
	for i, t := range f.World.Treaties {
		parts := strings.Split(t, "-")
		if len(parts) != 2 {
			v.at([]any{"world", "treaties", i}, fmt.Sprintf("treaty %q: write it as two State codes, e.g. NL-US", t))
			continue
		}
		for _, c := range parts {
			if _, ok := s.States[c]; !ok {
				v.at([]any{"world", "treaties", i}, fmt.Sprintf("unknown State %q", c))
			}
		}
		s.World.Treaties = append(s.World.Treaties, t)
	}

	// Requests: the scripted ones, then the generated ones.
	if len(f.Requests) == 0 && len(f.Generators) == 0 {
		v.at([]any{"requests"}, "a scenario needs at least one request or generator")
	}
	for gi, g := range f.Generators {
		f.Requests = append(f.Requests, v.generate(s, gi, g)...)
	}
	s.ratified = v.injects(s, &f, engine)
	if len(v.errs) > 0 {
		return s
	}
	ids := map[string]int{}
	for i, rs := range f.Requests {
		if prev, dup := ids[rs.ID]; dup && rs.ID != "" {
			v.at([]any{"requests", i, "id"}, fmt.Sprintf("duplicate request id %q (also requests[%d])", rs.ID, prev))
		}
		ids[rs.ID] = i
	}
	for i, rs := range f.Requests {
		if in, ok := v.request(s, i, rs, f.Requests, ids); ok {
			s.Requests = append(s.Requests, in)
		}
	}
	s.applyInjects()
	capacity := map[string]float64{}
	for i, st := range f.World.States {
		if st.Capacity < 0 {
			v.at([]any{"world", "states", i, "capacity"}, "capacity must not be negative")
		}
		capacity[st.Code] = st.Capacity
	}
	s.applyBacklogs(capacity)
	return s
}

func (v *validator) state(s *Scenario, i int, st StateSpec, engine *rules.Engine) {
	path := func(k string) []any { return []any{"world", "states", i, k} }
	base, known := s.States[st.Code]
	switch {
	case st.Code == "":
		v.at(path("code"), "missing State code")
		return
	case st.Fictional:
		if !mla.UserAssignedCode(st.Code) {
			v.at(path("code"), fmt.Sprintf("a fictional State needs a user-assigned code (AA, QM-QZ, XA-XZ, ZZ), not %q", st.Code))
		}
		if st.Name == "" {
			v.at(path("name"), "a fictional State needs a name")
		}
		base = mla.State{Code: st.Code, Name: st.Name, UNCC: mla.UNCCNone, Budapest: mla.No, Fictional: true,
			UNCCSource: "fictional training State", BudapestSource: "fictional training State"}
	case !known:
		v.at(path("code"), fmt.Sprintf("unknown State %q (not in mla/states.csv; a fictional State needs fictional: true)", st.Code))
		return
	}
	if st.Name != "" {
		base.Name = st.Name
	}
	note := st.Note
	if note == "" {
		note = "scenario hypothesis"
	}
	if st.UNCC != "" {
		switch mla.UNCCStatus(st.UNCC) {
		case mla.UNCCNone, mla.UNCCSigned, mla.UNCCRatified:
		default:
			v.at(path("uncc"), fmt.Sprintf("uncc must be none, signed or ratified, not %q", st.UNCC))
		}
		if !st.Fictional && mla.UNCCStatus(st.UNCC) != base.UNCC {
			base.Hypothetical = append(base.Hypothetical, fmt.Sprintf("UNCC %s (source says %s): %s", st.UNCC, base.UNCC, note))
		}
		base.UNCC = mla.UNCCStatus(st.UNCC)
	}
	if st.Budapest != "" {
		switch mla.Tri(st.Budapest) {
		case mla.Yes, mla.No:
		default:
			v.at(path("budapest"), fmt.Sprintf("budapest must be yes or no, not %q", st.Budapest))
		}
		if !st.Fictional && mla.Tri(st.Budapest) != base.Budapest {
			base.Hypothetical = append(base.Hypothetical, fmt.Sprintf("Budapest Party %s (source says %s): %s", st.Budapest, base.Budapest, note))
		}
		base.Budapest = mla.Tri(st.Budapest)
	}
	if st.SecondProtocol != nil {
		base.SecondProtocol = *st.SecondProtocol
	}
	if st.Policy != "" {
		if !engine.HasPolicy(st.Policy) {
			v.at(path("policy"), fmt.Sprintf("unknown policy %q (known: %s)", st.Policy, strings.Join(engine.Policies(), ", ")))
		}
		base.Policy = st.Policy
	}
	if st.PreservationDays != 0 {
		if st.PreservationDays < 60 {
			v.at(path("preservation_days"), "preservation lasts at least 60 days (Budapest Art 29(7))")
		}
		base.PreservationDays = st.PreservationDays
	}
	base.Reservations = st.Reservations
	base.Languages = st.Languages
	if st.Record != "" {
		switch st.Record {
		case "none", "concerns", "documented":
		default:
			v.at(path("record"), fmt.Sprintf("record must be none, concerns or documented, not %q", st.Record))
		}
		if st.Record != "none" && !base.Fictional && st.RecordSource == "" {
			v.at(path("record_source"), fmt.Sprintf("a record of %s for a real State needs its source", st.Code))
		}
		base.Record, base.RecordSource = st.Record, st.RecordSource
	}
	s.States[st.Code] = base
}

func (v *validator) request(s *Scenario, i int, rs ReqSpec, all []ReqSpec, ids map[string]int) (workflows.RequestInput, bool) {
	n := len(v.errs)
	path := func(k ...any) []any { return append([]any{"requests", i}, k...) }
	if rs.ID == "" {
		v.at(path("id"), "missing request id")
	}
	if rs.Title == "" {
		v.at(path("title"), "missing title")
	}
	kind, err := mla.ParseKind(rs.Kind)
	if rs.Kind == "" {
		v.at(path("kind"), "missing request kind")
	} else if err != nil {
		v.at(path("kind"), err.Error())
	}
	from, okFrom := s.States[rs.From]
	to, okTo := s.States[rs.To]
	for _, c := range []struct {
		field, code string
		ok          bool
	}{{"from", rs.From, okFrom}, {"to", rs.To, okTo}} {
		switch {
		case c.code == "":
			v.at(path(c.field), "missing State")
		case !c.ok:
			v.at(path(c.field), fmt.Sprintf("unknown State %q (not in mla/states.csv nor in world.states)", c.code))
		}
	}
	if okFrom && okTo && rs.From == rs.To {
		v.at(path("to"), "a request goes to another State")
	}
	ch := mla.DefaultChannel(kind)
	if rs.Channel != "" {
		if ch, err = mla.ParseChannel(rs.Channel); err != nil {
			v.at(path("channel"), err.Error())
		}
	}
	r := mla.Request{
		ID: rs.ID, Title: rs.Title, Briefing: rs.Briefing, Kind: kind, From: rs.From, To: rs.To, Channel: ch,
		At: v.duration(path("at"), rs.At, false), ConductAgo: v.duration(path("conduct_ago"), rs.ConductAgo, false),
		Offence: rs.Offence, Person: rs.Person, DataKind: rs.DataKind, Omitted: rs.Omitted, RequestingRecord: rs.RequestingRecord,
		EssentialInterests: rs.EssentialInterests, OngoingInvestigation: rs.OngoingInvestigation,
		Postponement: v.duration(path("postponement"), rs.Postponement, false), BankSecrecy: rs.BankSecrecy,
		Confidential: rs.Confidential, CannotKeepConfidential: rs.CannotKeepConfidential, Emergency: rs.Emergency || kind == mla.KindEmergency,
		Deadline: v.duration(path("deadline"), rs.Deadline, false), FollowUpOf: rs.FollowUpOf, RevealsProviderIn: rs.RevealsProviderIn,
		AnswersInformation: rs.AnswersInformation == nil || *rs.AnswersInformation, AnswerDelay: v.duration(path("answer_delay"), rs.AnswerDelay, false),
		AcceptsConditions: rs.AcceptsConditions, Extend: v.duration(path("extend"), rs.Extend, false),
		WithdrawAfter: v.duration(path("withdraw_after"), rs.WithdrawAfter, false), DecisionTimeout: v.duration(path("decision_timeout"), rs.DecisionTimeout, false),
		Abusive: rs.Abusive,
		Provider: mla.Provider{Name: rs.Provider.Name, FailureRate: rs.Provider.FailureRate, MaxAttempts: rs.Provider.MaxAttempts,
			Latency: v.duration(path("provider", "latency"), rs.Provider.Latency, false), Retention: v.duration(path("provider", "retention"), rs.Provider.Retention, false)},
	}
	if rs.Provider.FailureRate < 0 || rs.Provider.FailureRate > 1 {
		v.at(path("provider", "failure_rate"), "failure rate is a share between 0 and 1")
	}
	if rs.Provider.MaxAttempts < 0 {
		v.at(path("provider", "max_attempts"), "max_attempts must not be negative")
	}
	keys := mla.ContentKeys()
	for j, o := range rs.Omitted {
		if !keys[o] {
			v.at(path("omitted", j), fmt.Sprintf("unknown content item %q (known: authority, subject, facts, assistance, person, purpose, data, custodian, necessity, intent)", o))
		}
	}
	switch rs.RequestingRecord {
	case "", "none", "concerns", "documented":
	default:
		v.at(path("requesting_record"), fmt.Sprintf("requesting_record must be none, concerns or documented, not %q", rs.RequestingRecord))
	}
	if rs.Actors != nil {
		r.Actors = map[mla.Actor]mla.Mode{}
		for _, role := range mla.SortedKeys(rs.Actors) {
			mode := rs.Actors[role]
			switch mla.Actor(role) {
			case mla.ActorRequestingCA, mla.ActorRequestedCA, mla.ActorPoC247:
			default:
				v.at(path("actors", role), fmt.Sprintf("unknown role %q (known: requesting-central-authority, requested-central-authority, 24/7-point-of-contact)", role))
			}
			if mode != string(mla.ModeAutomatic) && mode != string(mla.ModeManual) {
				v.at(path("actors", role), fmt.Sprintf("mode must be automatic or manual, not %q", mode))
			}
			r.Actors[mla.Actor(role)] = mla.Mode(mode)
		}
	}
	if rs.Expected != nil {
		r.Expected = &mla.Expectation{Status: mla.Status(rs.Expected.Status), Grounds: rs.Expected.Grounds}
		if !mla.Status(rs.Expected.Status).Final() {
			v.at(path("expected", "status"), fmt.Sprintf("expected status must be a final status (Completed, PartiallyCompleted, Refused, Withdrawn, EvidenceLost, Released, ExecutionFailed, Lapsed, Received), not %q", rs.Expected.Status))
		}
	}
	if rs.FollowUpOf != "" {
		j, ok := ids[rs.FollowUpOf]
		switch {
		case !ok:
			v.at(path("follow_up_of"), fmt.Sprintf("no request with id %q in this scenario", rs.FollowUpOf))
		case all[j].Kind != string(mla.KindPreservation):
			v.at(path("follow_up_of"), fmt.Sprintf("request %q is not a preservation request", rs.FollowUpOf))
		case all[j].From != rs.From || all[j].To != rs.To:
			v.at(path("follow_up_of"), fmt.Sprintf("request %q goes from %s to %s; a follow-up must go between the same States", rs.FollowUpOf, all[j].From, all[j].To))
		}
	}
	in := workflows.RequestInput{Request: r, Requesting: from, Requested: to, Seed: mla.DeriveSeed(s.Seed, rs.ID)}
	if len(s.Packs) > 0 {
		in.Packs = s.Packs
	}
	if rs.RevealsProviderIn != "" {
		third, ok := s.States[rs.RevealsProviderIn]
		if !ok {
			v.at(path("reveals_provider_in"), fmt.Sprintf("unknown State %q", rs.RevealsProviderIn))
		} else if kind != mla.KindPreservation {
			v.at(path("reveals_provider_in"), "only a preservation request reveals a provider in a third State (Budapest Art 30)")
		} else {
			in.Onward = &third
		}
	}
	if len(v.errs) > n || !okFrom || !okTo {
		return in, false
	}
	var preferred mla.Basis
	if rs.Basis != "" {
		if preferred, err = mla.ParseBasis(rs.Basis); err != nil {
			v.at(path("basis"), err.Error())
			return in, false
		}
	}
	date := s.Clock.Start.Add(r.At)
	for _, st := range []*mla.State{&from, &to} {
		if d, ok := s.ratified[st.Code]; ok && !date.Before(d) && st.UNCC != mla.UNCCRatified {
			st.Hypothetical = append(st.Hypothetical, "UNCC ratified on "+d.Format("2006-01-02")+" (scenario inject)")
			st.UNCC = mla.UNCCRatified
		}
	}
	in.Requesting, in.Requested = from, to
	choice, err := mla.SelectBasis(from, to, date, s.World, preferred)
	if err != nil {
		v.at(path("basis"), err.Error())
		return in, false
	}
	in.Basis = choice
	if in.Onward != nil {
		oc, err := mla.SelectBasis(from, *in.Onward, date, s.World, "")
		if err == nil {
			in.OnwardBasis = &oc
		}
	}
	return in, true
}

// yamlErr locates a yaml.v3 error in the scenario file.
func yamlErr(file string, err error) error {
	e := yamlerr.FromYAML(file, err, "")
	e.Msg = strings.ReplaceAll(e.Msg, "scenarios.", "")
	return e
}
