package sweep

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mlasim/mlasim/internal/charts"
	"github.com/mlasim/mlasim/report"
)

// reportHTML is the report's template; the charting library is inlined in it (package charts).
//
//go:embed report.html
var reportHTML string

// maxSeries is how many lines a chart draws, one per combination of the other parameters' values; with
// more combinations, a chart shows each value across all of them.
const maxSeries = 8

// Chart is one metric against one parameter: a line per combination of the other parameters, each point
// the mean with its 95% interval.
type Chart struct {
	ID     string   `json:"id"`
	Metric string   `json:"metric"`
	Kind   string   `json:"kind"`
	Param  string   `json:"param"`
	Unit   string   `json:"unit"`
	Labels []string `json:"labels"`
	Series []Series `json:"series"`
}

// Series is a line of a chart.
type Series struct {
	Label  string     `json:"label"`
	Points []ChartDot `json:"points"`
}

// ChartDot is a value with its interval and the cases behind it; Y is nil where the metric has no cases.
type ChartDot struct {
	Y     *float64 `json:"y"`
	Low   float64  `json:"yMin"`
	High  float64  `json:"yMax"`
	Cases string   `json:"cases"`
	Few   bool     `json:"few"`
}

// Charts draws each headline metric against each parameter.
func Charts(params []Param, results []PointResult) []Chart {
	var out []Chart
	for mi, h := range report.Headline {
		for pi, p := range params {
			c := Chart{ID: fmt.Sprintf("c%d-%d", mi, pi), Metric: h.Name, Kind: h.Kind, Param: p.Path, Labels: p.Values, Unit: unit(h.Kind)}
			groups := seriesOf(params, pi, results)
			for _, g := range groups {
				s := Series{Label: g.label}
				for _, v := range p.Values {
					var ms []report.Metrics
					for _, r := range g.results {
						if r.Point.Values[pi] == v {
							ms = append(ms, r.Metrics...)
						}
					}
					s.Points = append(s.Points, dot(report.Figures(ms)[mi]))
				}
				c.Series = append(c.Series, s)
			}
			out = append(out, c)
		}
	}
	return out
}

func unit(kind string) string {
	switch kind {
	case report.KindRate:
		return "% (95% interval)"
	case report.KindDays:
		return "legal days (95% interval)"
	}
	return "requests (95% interval)"
}

// dot turns a figure into a chart point: rates in percent.
func dot(f report.Figure) ChartDot {
	if f.NA() {
		return ChartDot{Cases: "n/a: " + f.Empty}
	}
	scale := 1.0
	cases := fmt.Sprintf("%d replications", f.Replications)
	switch f.Kind {
	case report.KindRate:
		scale = 100
		cases = fmt.Sprintf("%d of %d", f.Num, f.Den)
	case report.KindDays:
		cases = fmt.Sprintf("%d requests delivered", f.Cases)
	}
	y := f.Mean * scale
	return ChartDot{Y: &y, Low: f.Low * scale, High: f.High * scale, Cases: cases, Few: f.Few()}
}

type group struct {
	label   string
	results []PointResult
}

// seriesOf groups the results by the values of the parameters other than the one on the x axis.
func seriesOf(params []Param, x int, results []PointResult) []group {
	var groups []group
	index := map[string]int{}
	for _, r := range results {
		var parts []string
		for i, p := range params {
			if i != x {
				parts = append(parts, p.Path+"="+r.Point.Values[i])
			}
		}
		key := strings.Join(parts, " ")
		if key == "" {
			key = "all"
		}
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, group{label: key})
		}
		groups[i].results = append(groups[i].results, r)
	}
	if len(groups) > maxSeries {
		all := group{label: "across every value of the other parameters"}
		for _, g := range groups {
			all.results = append(all.results, g.results...)
		}
		return []group{all}
	}
	return groups
}

// ReportData is what the HTML report shows.
type ReportData struct {
	Scenario, Title string
	Made            time.Time
	Params          []Param
	Points          int
	Replications    int
	Command         string
	Charts          []Chart
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"json": func(v any) (template.JS, error) {
		b, err := json.Marshal(v)
		return template.JS(b), err
	},
	"deref": func(f *float64) float64 { return *f },
	// num writes a value with at most one decimal: 2000, 119.5, 4.4.
	"num":         func(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) },
	"chartJS":     func() template.JS { return template.JS(charts.ChartJS) },
	"errorBarsJS": func() template.JS { return template.JS(charts.ErrorBarsJS) },
}).Parse(reportHTML))

// WriteReport writes the self-contained HTML report of a sweep.
func WriteReport(w io.Writer, d ReportData) error { return reportTemplate.Execute(w, d) }
