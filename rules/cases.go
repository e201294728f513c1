package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/internal/yamlerr"
	"github.com/mlasim/mlasim/mla"
)

// Case is a table test of the rules: the facts of a request (over Baseline), a pinned date, the
// requested State's policy, and what the screening must find.
type Case struct {
	Name   string         `yaml:"name"`
	Date   string         `yaml:"date"`
	Policy string         `yaml:"policy"`
	Facts  map[string]any `yaml:"facts"`
	Expect Expect         `yaml:"expect"`

	// File and Line locate the case, for messages.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
}

// Expect is what a case requires. Lists that are nil are not checked; an empty list requires none.
type Expect struct {
	Available []string `yaml:"available"`
	Barred    []string `yaml:"barred"`
	Duties    []string `yaml:"duties"`
	Invoked   []string `yaml:"invoked"`
	Fired     []string `yaml:"fired"`
	NotFired  []string `yaml:"not_fired"`
	Decision  string   `yaml:"decision"`
}

type suiteFile struct {
	Suite string `yaml:"suite"`
	Cases []Case `yaml:"cases"`
}

// Baseline is the request a case starts from: a stored-data request under the Budapest Convention for a
// ransomware offence that is criminal in both States, about a suspect, with no indicator of targeting.
func Baseline() mla.Facts {
	return mla.Facts{
		Kind: string(mla.KindStoredData), Channel: string(mla.ChannelCentralAuthority), Basis: string(mla.BasisBudapest),
		Offence:  mla.Offence{Name: "ransomware", Category: "ransomware", MaxPenaltyYears: 10, ConventionOffence: true, CriminalInRequested: true},
		Person:   mla.Person{Role: "suspect"},
		DataKind: "subscriber", Coercive: true, Missing: []string{},
		Requesting: mla.StateFacts{Code: "AA", UNCC: "ratified", Budapest: "yes", Reservations: []string{}, Record: "none"},
		Requested:  mla.StateFacts{Code: "ZZ", UNCC: "ratified", Budapest: "yes", Reservations: []string{}},
		Date:       "2027-03-01",
	}
}

// FactsOf applies a case's facts to the baseline. Unknown fields are errors, so a typo never passes
// silently. The kind sets whether the measure is coercive unless the case says so itself.
func (c Case) FactsOf() (mla.Facts, error) {
	base := Baseline()
	b, _ := json.Marshal(base)
	var merged map[string]any
	_ = json.Unmarshal(b, &merged)
	deepMerge(merged, c.Facts)
	if k, ok := c.Facts["kind"].(string); ok {
		if _, set := c.Facts["coercive"]; !set {
			kind, err := mla.ParseKind(k)
			if err != nil {
				return base, err
			}
			merged["coercive"] = kind.Coercive()
		}
	}
	if c.Date != "" {
		if _, err := time.Parse("2006-01-02", c.Date); err != nil {
			return base, fmt.Errorf("date %q: want YYYY-MM-DD", c.Date)
		}
		merged["date"] = c.Date
	}
	b, _ = json.Marshal(merged)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f mla.Facts
	if err := dec.Decode(&f); err != nil {
		return base, fmt.Errorf("facts: %v", err)
	}
	if _, err := mla.ParseKind(f.Kind); err != nil {
		return base, err
	}
	return f, nil
}

func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
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

// ParseCases parses one suite file.
func ParseCases(file string, data []byte) ([]Case, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s suiteFile
	if err := dec.Decode(&s); err != nil {
		return nil, yamlerr.FromYAML(file, err, "")
	}
	casesNode := yamlerr.MapValue(root.Content[0], "cases")
	var errs Errors
	for i := range s.Cases {
		s.Cases[i].File = file
		var n *yaml.Node
		if casesNode != nil && i < len(casesNode.Content) {
			n = casesNode.Content[i]
			s.Cases[i].Line = n.Line
		}
		if s.Cases[i].Name == "" {
			errs = append(errs, yamlerr.At(file, n, fmt.Sprintf("cases[%d].name", i), "missing case name"))
		}
		if _, err := s.Cases[i].FactsOf(); err != nil {
			errs = append(errs, yamlerr.At(file, yamlerr.MapValue(n, "facts"), fmt.Sprintf("cases[%d].facts", i), err.Error()))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s.Cases, nil
}

// CaseResult is the outcome of running a case.
type CaseResult struct {
	Case      Case
	Screening mla.Screening
	Decision  mla.DecisionKind
	Failures  []string
}

// Passed reports whether every expectation held.
func (r CaseResult) Passed() bool { return len(r.Failures) == 0 }

// Fired lists the IDs of the rules that fired.
func (r CaseResult) Fired() []string {
	ids := make([]string, len(r.Screening.Findings))
	for i, f := range r.Screening.Findings {
		ids[i] = f.RuleID
	}
	return ids
}

// RunCase screens a case's facts and checks its expectations.
func (e *Engine) RunCase(c Case) CaseResult {
	res := CaseResult{Case: c}
	f, err := c.FactsOf()
	if err != nil {
		res.Failures = append(res.Failures, err.Error())
		return res
	}
	s, err := e.Screen(f, c.Policy)
	if err != nil {
		res.Failures = append(res.Failures, err.Error())
		return res
	}
	res.Screening = s
	res.Decision = mla.Propose(s, 30*mla.Day).Decision.Kind
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
	if c.Expect.Decision != "" && string(res.Decision) != c.Expect.Decision {
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
