// Package scenarios holds the scenario library (*.yaml, embedded) and its loader. A scenario file decodes
// straight into the domain types of package mla; the loader adds the States, generated requests, injects
// and backlogs, lets the domain validate itself, and turns each problem's field path into a file, line
// and column. It returns domain values and imports no Temporal package.
package scenarios

import (
	"embed"
	"fmt"
	"io"
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
)

//go:embed library/*.yaml
var library embed.FS

// File is a scenario file as written.
type File struct {
	ID       string    `yaml:"id"`
	Title    string    `yaml:"title"`
	Briefing string    `yaml:"briefing"`
	Seed     int64     `yaml:"seed"`
	Clock    ClockSpec `yaml:"clock"`
	World    WorldSpec `yaml:"world"`
	// Packs are rule-pack files of the scenario's own, relative to the scenario file.
	Packs    []string      `yaml:"packs"`
	Requests []mla.Request `yaml:"requests"`
	// Generators add seeded streams of requests.
	Generators []GeneratorSpec `yaml:"generators"`
	// Injects are events at legal times: withdrawals, provider outages, policy changes, ratifications,
	// new information, emergencies.
	Injects []InjectSpec `yaml:"injects"`
}

// ClockSpec sets legal time.
type ClockSpec struct {
	// Start is the legal date the scenario starts.
	Start mla.Date `yaml:"start"`
	// Scale is legal time per wall second, e.g. "1d" (one legal day per second) or "6h".
	Scale mla.Duration `yaml:"scale"`
	// UNCCInForce is the hypothetical date the UNCC enters into force; empty: not in force.
	UNCCInForce mla.Date `yaml:"uncc_in_force"`
}

// The range of time scales: from real time to a thousand legal days per wall second.
const (
	MinScale = mla.Duration(time.Second)
	MaxScale = mla.Duration(1000 * mla.Day)
)

// MaxRequests caps the requests of one scenario, scripted and generated together (about 2 KB of memory
// each while it loads, more while it runs).
const MaxRequests = 200000

// Scenario is a loaded, validated scenario: domain values, ready for any engine.
type Scenario struct {
	File     string
	ID       string
	Title    string
	Briefing string
	Clock    mla.Clock
	Seed     int64
	World    mla.World
	States   map[string]mla.State
	// Requests are the scripted and generated requests, in scenario order, each planned: States on the
	// day it is sent, legal basis, seed.
	Requests []mla.Planned
	// ByHand are the injects a trainer fires from the console, in file order.
	ByHand []HandInject
	// Packs holds the scenario's own rule packs (file name to content); PacksHash names them.
	Packs     map[string][]byte
	PacksHash string

	// source is what the scenario was loaded from, so that any worker can plan it again.
	source Source
	reseed func(seed int64) (*Scenario, error)
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
	var f File
	doc, err := yamlerr.Decode(file, data, &f)
	if err != nil {
		return nil, err
	}
	build := func(seed int64) (*Scenario, error) {
		g := f
		g.Seed = seed
		l := &loader{file: file, doc: doc, engine: engine}
		s := l.build(g, packFS)
		if len(l.errs) > 0 {
			return nil, l.errs
		}
		s.source = Source{File: file, Data: data, Packs: l.packFiles, Seed: seed}
		return s, nil
	}
	s, err := build(f.Seed)
	if err != nil {
		return nil, err
	}
	s.reseed = build
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
		out.source.Policies, out.source.Limit, out.source.Scale = s.source.Policies, s.source.Limit, s.source.Scale
		out = out.withPolicies(s.source.Policies).limit(s.source.Limit)
		if s.source.Scale > 0 {
			out.Clock.Scale = s.source.Scale
		}
	}
	return out, err
}

// Truth returns the ground truth of every request, by request ID: the answer key and the abusive label,
// which no engine sees.
func (s *Scenario) Truth() map[string]mla.Truth {
	out := make(map[string]mla.Truth, len(s.Requests))
	for _, p := range s.Requests {
		out[p.Request.ID] = p.Request.Truth
	}
	return out
}

// Cases returns, by request ID, what each request's requested State can see of it.
func (s *Scenario) Cases() map[string]mla.Case {
	out := make(map[string]mla.Case, len(s.Requests))
	for _, p := range s.Requests {
		out[p.Request.ID] = p.Request.Case
	}
	return out
}

// loader builds a Scenario from a decoded file, collecting every problem with its location.
type loader struct {
	file   string
	doc    *yaml.Node
	engine *rules.Engine
	errs   Errors
	// origin maps a request's index to the path of the file where it comes from, for requests that
	// generators and injects add.
	origin []string
	states map[string]mla.State
	// ratified holds the ratification injects by State; sched, what the other injects add.
	ratified map[string]time.Time
	sched    schedule
	byHand   []HandInject
	// packFiles are the scenario's own packs by the names the file gives them.
	packFiles map[string][]byte
}

// at records a problem at a field path of the file.
func (l *loader) at(path, format string, args ...any) {
	l.errs = append(l.errs, yamlerr.AtPath(l.file, l.doc, path, fmt.Sprintf(format, args...)))
}

// present reports whether the file writes a field (a zero value written out counts).
func (l *loader) present(path string) bool { return yamlerr.Lookup(l.doc, path) != nil }

// problems records domain problems, mapping request paths to where each request comes from.
func (l *loader) problems(ps mla.Problems) {
	for _, p := range ps {
		path := p.Path
		var i, n int
		if c, _ := fmt.Sscanf(path, "requests[%d]%n", &i, &n); c == 1 && i < len(l.origin) && l.origin[i] != "" {
			path = l.origin[i] + path[n:]
		}
		l.errs = append(l.errs, yamlerr.AtPath(l.file, l.doc, path, p.Msg))
	}
}

func (l *loader) build(f File, packFS fs.FS) *Scenario {
	s := &Scenario{File: l.file, ID: f.ID, Title: f.Title, Briefing: f.Briefing, Seed: f.Seed, Packs: map[string][]byte{}}
	l.header(f, s)
	l.packs(f, s, packFS)
	l.world(f, s)
	reqs := l.requests(f, s)
	if len(l.errs) > 0 {
		return s
	}
	l.problems(mla.ValidateRequests(reqs, s.States))
	if len(l.errs) > 0 {
		return s
	}
	s.Requests = l.plan(s, reqs)
	l.schedule(f, s)
	s.ByHand = l.byHand
	return s
}

func (l *loader) header(f File, s *Scenario) {
	switch {
	case f.ID == "":
		l.at("id", "missing scenario id")
	case !mla.ValidID(f.ID):
		l.at("id", "scenario id %q: use letters, digits, '.', '_' and '-'", f.ID)
	}
	if strings.TrimSpace(f.Title) == "" {
		l.at("title", "missing title")
	}
	if f.Clock.Start.IsZero() {
		l.at("clock.start", "missing start date (YYYY-MM-DD)")
	}
	switch {
	case f.Clock.Scale == 0:
		l.at("clock.scale", "missing time scale: legal time per second of engine time, e.g. 1d")
	case f.Clock.Scale < MinScale || f.Clock.Scale > MaxScale:
		l.at("clock.scale", "the time scale %s is outside %s..%s per second", f.Clock.Scale, MinScale, MaxScale)
	}
	s.Clock = mla.Clock{Start: f.Clock.Start.Time(), Scale: float64(f.Clock.Scale) / float64(time.Second)}
	s.World.UNCCInForce = f.Clock.UNCCInForce.Time()
}

// packs reads and compiles the scenario's own rule packs with the built-in ones.
func (l *loader) packs(f File, s *Scenario, packFS fs.FS) {
	if len(f.Packs) == 0 {
		return
	}
	if packFS == nil {
		l.at("packs", "a built-in scenario cannot name pack files")
		return
	}
	for i, p := range f.Packs {
		b, err := fs.ReadFile(packFS, p)
		if err != nil {
			l.at(mla.Index("packs", i), "cannot read pack: %v", err)
			continue
		}
		s.Packs[filepath.Join(filepath.Dir(l.file), p)] = b
		if l.packFiles == nil {
			l.packFiles = map[string][]byte{}
		}
		l.packFiles[p] = b
	}
	if len(s.Packs) != len(f.Packs) {
		return
	}
	e, err := l.engine.With(s.Packs)
	if err != nil {
		l.errs = append(l.errs, err)
		return
	}
	l.engine = e
	s.PacksHash = rules.PackSetHash(s.Packs)
}

// requests gathers the scripted, generated and injected requests, normalised, remembering where each
// comes from; it caps their number.
func (l *loader) requests(f File, s *Scenario) []mla.Request {
	if len(f.Requests) == 0 && len(f.Generators) == 0 {
		l.at("requests", "a scenario needs at least one request or generator")
	}
	reqs := append([]mla.Request{}, f.Requests...)
	l.origin = make([]string, len(reqs))
	total := len(reqs)
	for gi, g := range f.Generators {
		total += g.Count
		if total > MaxRequests {
			l.at(mla.Index("generators", gi)+".count", "the scenario would have more than %d requests (scripted and generated together); split it, or lower the counts", MaxRequests)
			return nil
		}
	}
	for gi, g := range f.Generators {
		gen := l.generate(s, gi, g)
		reqs = append(reqs, gen...)
		for range gen {
			l.origin = append(l.origin, mla.Index("generators", gi))
		}
	}
	reqs = l.injectRequests(f, reqs)
	for i := range reqs {
		reqs[i].Normalize()
	}
	return reqs
}

// plan resolves each request's States on the day it is sent (ratifications by inject), its legal basis
// and its seed.
func (l *loader) plan(s *Scenario, reqs []mla.Request) []mla.Planned {
	out := make([]mla.Planned, 0, len(reqs))
	for i, r := range reqs {
		date := s.Clock.Start.Add(r.At.D())
		from, to := l.stateOn(s, r.From, date), l.stateOn(s, r.To, date)
		choice, err := mla.SelectBasis(r.Case, from, to, date, s.World, r.Basis)
		if err != nil {
			l.problems(mla.Problems{{Path: mla.Index("requests", i) + ".basis", Msg: err.Error()}})
			continue
		}
		p := mla.Planned{Request: r, Requesting: from, Requested: to, Basis: choice, Seed: mla.DeriveSeed(s.Seed, r.ID)}
		if r.RevealsProviderIn != "" {
			third := l.stateOn(s, r.RevealsProviderIn, date)
			oc, err := mla.SelectBasis(r.Case, from, third, date, s.World, "")
			p.Onward = &third
			if err == nil {
				p.OnwardBasis = &oc
			}
		}
		out = append(out, p)
	}
	return out
}

// WithPolicies returns the scenario with requested States applying other policies: overrides maps a
// State code (or "*" for every State) to a policy name. Requests are copied; the scenario is unchanged.
func (s *Scenario) WithPolicies(overrides map[string]string) *Scenario {
	if len(overrides) == 0 {
		return s
	}
	out := s.withPolicies(overrides)
	out.source.Policies = overrides
	return out
}

func (s *Scenario) withPolicies(overrides map[string]string) *Scenario {
	if len(overrides) == 0 {
		return s
	}
	return s.eachRequest(func(pl *mla.Planned) {
		st := &pl.Requested
		if p, ok := overrides[st.Code]; ok {
			st.Policy = p
		} else if p, ok := overrides["*"]; ok {
			st.Policy = p
		}
	})
}

// eachRequest returns a copy of the scenario whose requests (copied too) change has changed.
func (s *Scenario) eachRequest(change func(*mla.Planned)) *Scenario {
	out := *s
	out.Requests = make([]mla.Planned, len(s.Requests))
	copy(out.Requests, s.Requests)
	for i := range out.Requests {
		change(&out.Requests[i])
	}
	return &out
}

// Open loads a scenario named on a command line: a file path (anything with a slash or a dot), or the
// name of a built-in scenario.
func Open(arg string, engine *rules.Engine) (*Scenario, error) {
	if strings.ContainsAny(arg, `/\.`) {
		return Load(arg, engine)
	}
	return Builtin(arg, engine)
}

// List writes the built-in scenarios, one a line: name, number of requests, title.
func List(w io.Writer, engine *rules.Engine) error {
	for _, n := range Names() {
		sc, err := Builtin(n, engine)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-26s %6d requests  %s\n", n, len(sc.Requests), sc.Title)
	}
	return nil
}
