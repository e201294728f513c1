package sweep

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/report"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/sim"
	"github.com/mlasim/mlasim/workflows"
)

func TestParseParam(t *testing.T) {
	p, err := ParseParam("generators[stream].abusive_share=0.05:0.3:0.05")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Values, ","); got != "0.05,0.1,0.15,0.2,0.25,0.3" {
		t.Errorf("range values %s", got)
	}
	if p, _ := ParseParam("world.states[PT].policy=standard, strict-safeguards"); strings.Join(p.Values, "|") != "standard|strict-safeguards" {
		t.Errorf("list values %v", p.Values)
	}
	for spec, want := range map[string]string{
		"abusive_share":                 "write PATH=VALUES",
		"x=1:2:0":                       "the step must be above zero",
		"x=3:1:1":                       "ends before it starts",
		"x=a:2:1":                       `"a" is not a number`,
		"x=1:1e9:1":                     "more than 1000 values",
		"x=a,,b":                        "an empty value",
		"rules.unconfirmed=with,maybe":  "takes with or without",
		"world.states[PT]policy=strict": "",
	} {
		_, err := ParseParam(spec)
		if want == "" {
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", spec, err, want)
		}
	}
}

func TestGridIsEveryCombination(t *testing.T) {
	g := Grid([]Param{{Path: "a", Values: []string{"1", "2"}}, {Path: "b", Values: []string{"x", "y", "z"}}})
	var got []string
	for _, pt := range g {
		got = append(got, strings.Join(pt.Values, ""))
	}
	if strings.Join(got, " ") != "1x 1y 1z 2x 2y 2z" {
		t.Errorf("grid %v", got)
	}
}

const file = `id: s
title: S
clock: {start: "2027-01-01", scale: 1d}
world:
  states:
    - {code: FR, policy: standard}
generators:
  - id: g
    count: 40
    window: 30d
    from: [FR, PT]
    to: [FR, PT]
    kinds: {stored-data: 1}
    offences: [{weight: 1, name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}]
    abusive_share: 0.2
    abusive:
      offences: [{weight: 1, name: false news, category: speech, max_penalty_years: 5}]
      roles: [journalist]
      indicator_share: 0.8
`

func load(t *testing.T) (*scenarios.Scenario, *rules.Engine) {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Parse("s.yaml", []byte(file), nil, e)
	if err != nil {
		t.Fatal(err)
	}
	return sc, e
}

func TestApplyNamesWhatItCannotFind(t *testing.T) {
	for spec, want := range map[string]string{
		"generators[h].abusive_share=0.1":     `generators has no item with code or id "h"`,
		"clocks.scale=2d":                     "it has no clocks",
		"world.states[FR]=x":                  "names a list item, not a value",
		"world.states[FR].policy.name=x":      "policy is a value, not a mapping",
		"generators[g].abusive.roles=x":       "names a list, not a value",
		"world.states[FR].policy=lenient":     `unknown policy "lenient"`,
		"generators[g].abusive_share=1.5":     "a share is a number between 0 and 1",
		"generators[g].count=many":            "count",
		"world.states[PT].policy=strict-safe": `unknown policy "strict-safe"`,
	} {
		p, err := ParseParam(spec)
		if err != nil {
			t.Fatal(err)
		}
		sc, e := load(t)
		_, err = Prepare(sc, e, []Param{p}, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", spec, err, want)
		}
	}
	sc, e := load(t)
	p, _ := ParseParam("world.states[PT].policy=strict-safeguards")
	s, err := Prepare(sc, e, []Param{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.loaded[0].States["PT"].Policy; got != "strict-safeguards" {
		t.Errorf("PT's policy %q: a State the world did not list is added", got)
	}
	big, _ := ParseParam("generators[g].abusive_share=0:1:0.01")
	if _, err := Prepare(sc, e, []Param{big}, Options{Replications: 3}); err == nil || !strings.Contains(err.Error(), "303 runs, more than 200: confirm with --yes") {
		t.Errorf("a large grid: %v", err)
	}
}

// counting runs the offline engine and counts its runs.
type counting struct {
	sim.Engine
	runs int
}

func (c *counting) Run(ctx context.Context, sc *scenarios.Scenario, p sim.Progress) (workflows.ScenarioResult, error) {
	c.runs++
	return c.Engine.Run(ctx, sc, p)
}

// A sweep runs every grid point and replication once, reads finished points back when run again, and
// writes a typed table.
func TestSweepRunsResumesAndWritesATidyTable(t *testing.T) {
	sc, e := load(t)
	pol, _ := ParseParam("world.states[PT].policy=permissive,strict-safeguards")
	share, _ := ParseParam("generators[g].abusive_share=0.2,0.4")
	dir := t.TempDir()
	o := Options{Replications: 2, Dir: dir}
	s, err := Prepare(sc, e, []Param{pol, share}, o)
	if err != nil {
		t.Fatal(err)
	}
	eng := &counting{Engine: sim.Offline{Rules: e}}
	res, err := s.Run(context.Background(), eng)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || eng.runs != 8 {
		t.Fatalf("%d points, %d runs", len(res), eng.runs)
	}
	strict := func(r PointResult) float64 {
		return report.Across(r.Metrics, func(m report.Metrics) float64 { return m.SafeguardFailRate }).Mean
	}
	if !(strict(res[2]) < strict(res[0])) {
		t.Errorf("the strict policy in PT does not lower the safeguard failure rate: %.3f vs %.3f", strict(res[2]), strict(res[0]))
	}
	again, err := s.Run(context.Background(), eng)
	if err != nil || eng.runs != 8 || !again[0].Reused {
		t.Fatalf("a second run ran %d more: %v", eng.runs-8, err)
	}
	rows := Rows(res)
	if want := 4 * 2 * len(report.Headline); len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, s.Params, rows); err != nil {
		t.Fatal(err)
	}
	if head, _, _ := strings.Cut(csv.String(), "\n"); head != "point,world.states[PT].policy,generators[g].abusive_share,replication,seed,metric,kind,value,numerator,denominator" {
		t.Errorf("CSV header %s", head)
	}
	path := filepath.Join(dir, "sweep.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteParquet(f, s.Params, rows); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, _ := r.Stat()
	pf, err := parquet.OpenFile(r, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRows() != int64(len(rows)) {
		t.Errorf("%d Parquet rows, want %d", pf.NumRows(), len(rows))
	}
	types := map[string]string{}
	for _, c := range pf.Schema().Fields() {
		types[c.Name()] = c.Type().String()
	}
	if types["generators[g].abusive_share"] != "DOUBLE" || types["world.states[PT].policy"] != "STRING" || types["value"] != "DOUBLE" || types["point"] != "INT(32,true)" {
		t.Errorf("Parquet types %v", types)
	}
}

// The report draws a chart per metric and parameter with the vendored library inlined, and no address
// outside the page.
func TestReportIsSelfContained(t *testing.T) {
	params := []Param{{Path: "world.states[PT].policy", Values: []string{"permissive", "strict-safeguards"}}}
	m := report.Metrics{Requests: 10, Abusive: 4, SafeguardFailures: 1, SafeguardFailRate: 0.25, Legitimate: 6, Outcomes: map[mla.Status]int{mla.StatusRefused: 3}}
	results := []PointResult{{Index: 0, Point: Point{Values: []string{"permissive"}}, Seeds: []int64{1}, Metrics: []report.Metrics{m}},
		{Index: 1, Point: Point{Values: []string{"strict-safeguards"}}, Seeds: []int64{1}, Metrics: []report.Metrics{m}}}
	charts := Charts(params, results)
	if len(charts) != len(report.Headline) {
		t.Fatalf("%d charts", len(charts))
	}
	var rate *Chart
	for i := range charts {
		if charts[i].Metric == "safeguard failure rate (of abusive requests)" {
			rate = &charts[i]
		}
	}
	if rate == nil || rate.Series[0].Points[0].Y == nil || *rate.Series[0].Points[0].Y != 25 || rate.Series[0].Points[0].Cases != "1 of 4" || !rate.Series[0].Points[0].Few {
		t.Fatalf("rate chart %+v", rate)
	}
	var b bytes.Buffer
	if err := WriteReport(&b, ReportData{Title: "T", Params: params, Points: 2, Replications: 1, Charts: charts}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"lineWithErrorBars", "Chart.register(ChartErrorBars", "25 [", "fewer than 30"} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, ext := range []string{"src=\"http", "href=\"http", "<link"} {
		if strings.Contains(html, ext) {
			t.Errorf("the report loads %q from outside", ext)
		}
	}
}

// BenchmarkSweep runs a grid of two policies × one replication of the test scenario's generator scaled
// to 1,000 requests on the offline engine, and reports requests per second (the speed goal of a sweep
// is the offline engine's).
func BenchmarkSweep(b *testing.B) {
	e, err := rules.LoadBuiltin()
	if err != nil {
		b.Fatal(err)
	}
	sc, err := scenarios.Parse("s.yaml", []byte(strings.Replace(file, "count: 40", "count: 1000", 1)), nil, e)
	if err != nil {
		b.Fatal(err)
	}
	pol, _ := ParseParam("world.states[PT].policy=permissive,strict-safeguards")
	requests := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := Prepare(sc, e, []Param{pol}, Options{Replications: 1, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.Run(context.Background(), sim.Offline{Rules: e})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			requests += r.Metrics[0].Requests
		}
	}
	b.ReportMetric(float64(requests)/b.Elapsed().Seconds(), "requests/s")
}
