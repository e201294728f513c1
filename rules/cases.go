package rules

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/mlasim/mlasim/internal/yamlerr"
	"github.com/mlasim/mlasim/mla"
)

// Case is a table test of the rules: the facts of a request as changes to Baseline, a pinned date, the
// requested State's policy, and what the screening must find.
type Case struct {
	Name   string         `yaml:"name"`
	Date   mla.Date       `yaml:"date"`
	Policy string         `yaml:"policy"`
	Facts  mla.FactsPatch `yaml:"facts"`
	Expect Expect         `yaml:"expect"`
	// Select, when set, chooses the legal basis as a scenario does (mla.SelectBasis), from the case's facts
	// (both States, the offence, the date) and the world it states, instead of taking it from the facts.
	Select *Selection `yaml:"select"`

	// File and Line locate the case, for messages.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// Expect is what a case requires. Lists that are nil are not checked; an empty list requires none.
type Expect struct {
	Available []string         `yaml:"available"`
	Barred    []string         `yaml:"barred"`
	Duties    []string         `yaml:"duties"`
	Invoked   []string         `yaml:"invoked"`
	Fired     []string         `yaml:"fired"`
	NotFired  []string         `yaml:"not_fired"`
	Decision  mla.DecisionKind `yaml:"decision"`
	// Basis is the legal basis selection must choose; Fallback, whether it must fall back from the basis
	// the request cites. Both need select.
	Basis    mla.Basis `yaml:"basis"`
	Fallback *bool     `yaml:"fallback"`
}

// Selection is the world a case's basis is chosen in: the basis the request cites, the UNCC's entry into
// force, and a bilateral treaty between the two States with its terms.
type Selection struct {
	Cites       mla.Basis   `yaml:"cites"`
	UNCCInForce mla.Date    `yaml:"uncc_in_force"`
	Treaty      *mla.Treaty `yaml:"treaty"`
}

// choose selects the basis for the facts and sets what selection decides on them.
func (sel Selection) choose(f mla.Facts, grounds []string) (mla.Facts, mla.BasisChoice, error) {
	state := func(s mla.StateFacts) mla.State {
		return mla.State{Code: s.Code, UNCC: s.UNCC, Budapest: s.Budapest, SecondProtocol: s.SecondProtocol, Reservations: s.Reservations}
	}
	w := mla.World{UNCCInForce: sel.UNCCInForce.Time()}
	if sel.Treaty != nil {
		t := *sel.Treaty
		if t.Parties == "" {
			t.Parties = f.Requesting.Code + "-" + f.Requested.Code
		}
		t.Stated = true
		if ps := t.Validate(grounds); len(ps) > 0 {
			return f, mla.BasisChoice{}, ps.Prefixed("select.treaty")
		}
		w.Treaties = []mla.Treaty{t}
	}
	date, err := mla.ParseDate(f.Date)
	if err != nil {
		return f, mla.BasisChoice{}, err
	}
	ch, err := mla.SelectBasis(f.Case, state(f.Requesting), state(f.Requested), date.Time(), w, sel.Cites)
	if err != nil {
		return f, ch, err
	}
	f.Basis, f.MLATreaty, f.Treaty = ch.Basis, ch.MLATreaty, ch.Treaty.FactsOf()
	return f, ch, nil
}

type suiteFile struct {
	Suite string `yaml:"suite"`
	Cases []Case `yaml:"cases"`
}

// Baseline is the request a case starts from: a stored-data request under the Budapest Convention for a
// ransomware offence that is criminal in both States, about a suspect, with no indicator of targeting.
func Baseline() mla.Facts {
	return mla.Facts{
		Case: mla.Case{
			Kind: mla.KindStoredData, Channel: mla.ChannelCentralAuthority,
			Offence:  mla.Offence{Name: "ransomware", Category: "ransomware", MaxPenaltyYears: 10, ConventionOffence: true, CriminalInRequested: true},
			Person:   mla.Person{Role: mla.RoleSuspect},
			DataKind: "subscriber", Omitted: []string{}, RequestingRecord: mla.RecordNone,
		},
		Basis: mla.BasisBudapest, Coercive: true, Missing: []string{},
		Requesting: mla.StateFacts{Code: "AA", UNCC: mla.UNCCRatified, Budapest: mla.Yes, Reservations: []string{}, Record: mla.RecordNone},
		Requested:  mla.StateFacts{Code: "ZZ", UNCC: mla.UNCCRatified, Budapest: mla.Yes, Reservations: []string{}},
		Date:       "2027-03-01",
	}
}

// FactsOf applies a case's facts to the baseline, with the case's date.
func (c Case) FactsOf() mla.Facts {
	f := c.Facts.Apply(Baseline())
	if !c.Date.IsZero() {
		f.Date = c.Date.String()
	}
	return f
}

// LoadCases reads every *.yaml suite in dir of fsys; name prefixes file names in messages.
func LoadCases(fsys fs.FS, dir, name string) ([]Case, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no test suites (*.yaml)", name)
	}
	sort.Strings(files)
	var cases []Case
	var errs Errors
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		display := path.Join(name, path.Base(f))
		cs, err := ParseCases(display, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cases = append(cases, cs...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cases, nil
}

// ParseCases parses one suite file. Errors name the file, line and field.
func ParseCases(file string, data []byte) ([]Case, error) {
	var s suiteFile
	doc, err := yamlerr.Decode(file, data, &s)
	if err != nil {
		return nil, err
	}
	var errs Errors
	for i := range s.Cases {
		path := mla.Index("cases", i)
		s.Cases[i].File = file
		s.Cases[i].Line = yamlerr.Find(doc, path).Line
		if s.Cases[i].Name == "" {
			errs = append(errs, yamlerr.AtPath(file, doc, path+".name", "missing case name"))
		}
		for _, p := range s.Cases[i].Facts.CasePatch.Validate().Prefixed(path + ".facts") {
			errs = append(errs, yamlerr.AtPath(file, doc, p.Path, p.Msg))
		}
		c := s.Cases[i]
		if c.Select == nil && (c.Expect.Basis != "" || c.Expect.Fallback != nil) {
			errs = append(errs, yamlerr.AtPath(file, doc, path+".expect", "an expected basis or fallback needs a select section"))
		}
		if c.Select != nil && c.Facts.Basis != nil {
			errs = append(errs, yamlerr.AtPath(file, doc, path+".facts.basis", "a case with select has its basis chosen: cite one with select.cites"))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s.Cases, nil
}

// CaseResult is the outcome of running a case.
type CaseResult struct {
	Case Case
	// Basis is the legal basis selection chose, for a case with select.
	Basis     mla.BasisChoice
	Screening mla.Screening
	Decision  mla.DecisionKind
	Failures  []string
}

// Passed reports whether every expectation held.
func (r CaseResult) Passed() bool { return len(r.Failures) == 0 }

// Fired lists the IDs of the rules that fired, each once.
func (r CaseResult) Fired() []string {
	ids := make([]string, 0, len(r.Screening.Findings))
	for _, f := range r.Screening.Findings {
		if !slices.Contains(ids, f.RuleID) {
			ids = append(ids, f.RuleID)
		}
	}
	return ids
}

// RunCase screens a case's facts and checks its expectations.
func (e *Engine) RunCase(ctx context.Context, c Case) CaseResult {
	res := CaseResult{Case: c}
	f := c.FactsOf()
	if c.Select != nil {
		var ch mla.BasisChoice
		var err error
		if f, ch, err = c.Select.choose(f, e.Grounds()); err != nil {
			res.Failures = append(res.Failures, err.Error())
			return res
		}
		res.Basis = ch
		if c.Expect.Basis != "" && ch.Basis != c.Expect.Basis {
			res.Failures = append(res.Failures, fmt.Sprintf("basis: got %s, want %s (%s)", ch.Basis, c.Expect.Basis, strings.Join(ch.Reasons, "; ")))
		}
		if c.Expect.Fallback != nil && *c.Expect.Fallback != (ch.Fallback != "") {
			res.Failures = append(res.Failures, fmt.Sprintf("fallback: got %q, want fallback %v", ch.Fallback, *c.Expect.Fallback))
		}
	}
	s, err := e.Screen(ctx, f, c.Policy)
	if err != nil {
		res.Failures = append(res.Failures, err.Error())
		return res
	}
	res.Screening = s
	res.Decision = mla.Propose(s, mla.Duration(30*mla.Day)).Decision.Kind
	check := func(what string, want []string, got []string) {
		if want == nil {
			return
		}
		w, g := slices.Clone(want), slices.Clone(got)
		slices.Sort(w)
		slices.Sort(g)
		if !slices.Equal(w, g) {
			res.Failures = append(res.Failures, fmt.Sprintf("%s: got [%s], want [%s]", what, strings.Join(g, ", "), strings.Join(w, ", ")))
		}
	}
	check("available grounds", c.Expect.Available, groundsOf(s.Available()))
	check("barred grounds", c.Expect.Barred, groundsOf(s.Barred()))
	check("invoked grounds", c.Expect.Invoked, groundsOf(s.Invoked()))
	var duties []string
	for _, d := range s.Duties() {
		if !slices.Contains(duties, d.Duty) {
			duties = append(duties, d.Duty)
		}
	}
	check("duties", c.Expect.Duties, duties)
	fired := res.Fired()
	for _, id := range c.Expect.Fired {
		if !slices.Contains(fired, id) {
			res.Failures = append(res.Failures, fmt.Sprintf("rule %s did not fire", id))
		}
	}
	for _, id := range c.Expect.NotFired {
		if slices.Contains(fired, id) {
			res.Failures = append(res.Failures, fmt.Sprintf("rule %s fired", id))
		}
	}
	if c.Expect.Decision != "" && res.Decision != c.Expect.Decision {
		res.Failures = append(res.Failures, fmt.Sprintf("decision: got %s, want %s", res.Decision, c.Expect.Decision))
	}
	return res
}

func groundsOf(fs []mla.Finding) []string {
	out := []string{}
	for _, f := range fs {
		if !slices.Contains(out, f.Ground) {
			out = append(out, f.Ground)
		}
	}
	return out
}

// BuiltinCases loads the test suites shipped beside the built-in packs.
func BuiltinCases() ([]Case, error) {
	return LoadCases(builtin, "packs/tests", "rules/packs/tests")
}
