package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mlasim/mlasim/internal/charts"
	"github.com/mlasim/mlasim/mla"
)

// Change is a request whose outcome differs between variant A and variant B of a scenario.
type Change struct {
	RequestID string
	Pair      string
	Abusive   bool
	A, B      string // outcome: status, and the grounds of a refusal
	// GroundsOnly is set when the status is the same on both sides and only the grounds differ.
	GroundsOnly bool
	// Rules are the rule IDs behind B's decision that A's lacked, then A's that B's lacked: the rules that
	// made the difference on each side.
	OnlyA, OnlyB []string
}

// MetricChange is a headline metric under A and B.
type MetricChange struct {
	Name  string
	A, B  Figure
	Delta string
}

// Comparison is the comparison of two variants run on the same requests (paired by seed).
type Comparison struct {
	Title   string
	NameA   string
	NameB   string
	Metrics []MetricChange
	Changes []Change
	// Requests is how many requests both variants ran; Replications, how many times each (paired by seed).
	Requests, Replications int
}

// OutcomeChanges are the changes of status; GroundChanges, the requests with the same status on other
// grounds.
func (c Comparison) OutcomeChanges() []Change { return c.changes(false) }

// GroundChanges are the requests whose status is the same under A and B but whose grounds differ.
func (c Comparison) GroundChanges() []Change { return c.changes(true) }

func (c Comparison) changes(groundsOnly bool) []Change {
	var out []Change
	for _, ch := range c.Changes {
		if ch.GroundsOnly == groundsOnly {
			out = append(out, ch)
		}
	}
	return out
}

// On says what the comparison ran on, truthfully: requests, and replications when there are several.
func (c Comparison) On() string {
	if c.Replications > 1 {
		return fmt.Sprintf("the same %d requests, %d replications each, paired by seed", c.Requests, c.Replications)
	}
	return fmt.Sprintf("the same %d requests", c.Requests)
}

// Compare pairs the records of two variants by replication and request ID.
func Compare(title, nameA, nameB string, a, b [][]Record) Comparison {
	c := Comparison{Title: title, NameA: nameA, NameB: nameB}
	ma, mb := make([]Metrics, len(a)), make([]Metrics, len(b))
	for i := range a {
		ma[i] = Compute(a[i])
	}
	for i := range b {
		mb[i] = Compute(b[i])
	}
	fa, fb := Figures(ma), Figures(mb)
	for i := range fa {
		c.Metrics = append(c.Metrics, MetricChange{Name: fa[i].Name, A: fa[i], B: fb[i], Delta: fa[i].Change(fb[i])})
	}
	c.Replications = min(len(a), len(b))
	for rep := range c.Replications {
		byID := map[string]Record{}
		for _, r := range b[rep] {
			byID[r.RequestID] = r
		}
		for _, ra := range a[rep] {
			rb, ok := byID[ra.RequestID]
			if !ok {
				continue
			}
			if rep == 0 {
				c.Requests++
			}
			oa, ob := outcomeOf(ra), outcomeOf(rb)
			if oa == ob {
				continue
			}
			ch := Change{RequestID: ra.RequestID, Pair: Pair(ra), Abusive: ra.Abusive, A: oa, B: ob,
				GroundsOnly: ra.Status == rb.Status && (ra.EngineError == "") == (rb.EngineError == "")}
			if len(a) > 1 {
				ch.RequestID = fmt.Sprintf("%s (replication %d)", ra.RequestID, ra.Replication)
			}
			for _, id := range rb.RuleIDs {
				if !slices.Contains(ra.RuleIDs, id) {
					ch.OnlyB = append(ch.OnlyB, id)
				}
			}
			for _, id := range ra.RuleIDs {
				if !slices.Contains(rb.RuleIDs, id) {
					ch.OnlyA = append(ch.OnlyA, id)
				}
			}
			c.Changes = append(c.Changes, ch)
		}
	}
	return c
}

func outcomeOf(r Record) string {
	if r.EngineError != "" {
		return "engine failure"
	}
	if len(r.Grounds) > 0 && r.Status != mla.StatusCompleted {
		return string(r.Status) + " (" + strings.Join(r.Grounds, ", ") + ")"
	}
	return string(r.Status)
}

// WriteMarkdown renders the comparison as Markdown.
func (c Comparison) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# %s\n\n%s (A) against %s (B), on %s.\n\n", c.Title, c.NameA, c.NameB, c.On())
	fmt.Fprintln(w, "| Metric | A | B | Change |\n|---|---|---|---|")
	for _, m := range c.Metrics {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", m.Name, m.A, m.B, m.Delta)
	}
	for _, part := range []struct {
		title   string
		changes []Change
	}{{"Requests whose outcome changed", c.OutcomeChanges()}, {"Requests with the same outcome on other grounds", c.GroundChanges()}} {
		fmt.Fprintf(w, "\n## %s (%d)\n\n| Request | Pair | Abusive | A | B | Rules behind B only | Rules behind A only |\n|---|---|---|---|---|---|---|\n", part.title, len(part.changes))
		for _, ch := range part.changes {
			fmt.Fprintf(w, "| %s | %s | %v | %s | %s | %s | %s |\n", ch.RequestID, ch.Pair, ch.Abusive, ch.A, ch.B, strings.Join(ch.OnlyB, ", "), strings.Join(ch.OnlyA, ", "))
		}
	}
}

// WriteCSV renders the changed requests as CSV.
func (c Comparison) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"request_id", "pair", "abusive", "change", "outcome_a", "outcome_b", "rules_b_only", "rules_a_only"})
	for _, ch := range c.Changes {
		kind := "outcome"
		if ch.GroundsOnly {
			kind = "grounds"
		}
		_ = cw.Write([]string{ch.RequestID, ch.Pair, strconv.FormatBool(ch.Abusive), kind, ch.A, ch.B, strings.Join(ch.OnlyB, "|"), strings.Join(ch.OnlyA, "|")})
	}
	cw.Flush()
	return cw.Error()
}

// chartOf is a metric of the comparison as the report draws it: A and B, each with its 95% interval,
// rates in percent.
type chartOf struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Values []float64 `json:"values"`
	Low    []float64 `json:"low"`
	High   []float64 `json:"high"`
	LabelA string    `json:"-"`
	LabelB string    `json:"-"`
	Delta  string    `json:"-"`
	NA     bool      `json:"na"`
}

// WriteHTML renders a self-contained HTML report: each metric of A and B as bars with their 95%
// intervals, drawn by the vendored charting library inlined in the page (nothing is fetched).
func (c Comparison) WriteHTML(w io.Writer) error {
	var cs []chartOf
	for i, m := range c.Metrics {
		scale, unit := 1.0, "requests"
		switch m.A.Kind {
		case KindRate:
			scale, unit = 100, "%"
		case KindDays:
			unit = "legal days"
		}
		ch := chartOf{ID: fmt.Sprintf("m%d", i), Name: m.Name, Unit: unit + ", 95% interval", LabelA: m.A.String(), LabelB: m.B.String(), Delta: m.Delta,
			NA: m.A.NA() && m.B.NA()}
		for _, f := range []Figure{m.A, m.B} {
			ch.Values = append(ch.Values, f.Mean*scale)
			ch.Low = append(ch.Low, f.Low*scale)
			ch.High = append(ch.High, f.High*scale)
		}
		cs = append(cs, ch)
	}
	return compareTemplate.Execute(w, map[string]any{"C": c, "Charts": cs})
}

var compareTemplate = template.Must(template.New("compare").Funcs(template.FuncMap{
	"json": func(v any) (template.JS, error) {
		b, err := json.Marshal(v)
		return template.JS(b), err
	},
	"chartJS":     func() template.JS { return template.JS(charts.ChartJS) },
	"errorBarsJS": func() template.JS { return template.JS(charts.ErrorBarsJS) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.C.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:70rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}.chart{position:relative;width:320px;height:170px}
</style>
<script>{{chartJS}}</script>
<script>{{errorBarsJS}}</script>
</head><body>
<h1>{{.C.Title}}</h1>
<p><strong>A</strong>: {{.C.NameA}} &nbsp; <strong>B</strong>: {{.C.NameB}} &nbsp; on {{.C.On}}.</p>
<table><tr><th>Metric</th><th>A and B, with 95% intervals</th><th>A</th><th>B</th><th>Change</th></tr>
{{range .Charts}}<tr id="{{.ID}}"><td>{{.Name}}</td><td>{{if .NA}}n/a{{else}}<div class="chart"><canvas role="img" aria-label="{{.Name}}: A {{.LabelA}}, B {{.LabelB}}"></canvas></div>{{end}}</td>
<td>{{.LabelA}}</td><td>{{.LabelB}}</td><td>{{.Delta}}</td></tr>
{{end}}</table>
<script>
Chart.register(ChartErrorBars.BarWithErrorBarsController, ChartErrorBars.BarWithErrorBar);
for (const c of {{json .Charts}}) {
  const canvas = document.querySelector("#" + c.id + " canvas");
  if (!canvas) continue;
  new Chart(canvas, {type: "barWithErrorBars",
    data: {labels: ["A", "B"], datasets: [{label: c.name, backgroundColor: ["#4c72b0", "#dd8452"],
      data: c.values.map((y, i) => ({y: y, yMin: c.low[i], yMax: c.high[i]}))}]},
    options: {animation: false, maintainAspectRatio: false, indexAxis: "x", plugins: {legend: {display: false}},
      scales: {y: {beginAtZero: true, title: {display: true, text: c.unit}}}}});
}
</script>
{{define "changes"}}<table><tr><th>Request</th><th>Pair</th><th>Abusive</th><th>A</th><th>B</th><th>Rules behind B only</th><th>Rules behind A only</th></tr>
{{range .}}<tr><td>{{.RequestID}}</td><td>{{.Pair}}</td><td>{{.Abusive}}</td><td>{{.A}}</td><td>{{.B}}</td><td>{{range .OnlyB}}{{.}} {{end}}</td><td>{{range .OnlyA}}{{.}} {{end}}</td></tr>
{{end}}</table>{{end}}
{{$o := .C.OutcomeChanges}}{{$g := .C.GroundChanges}}
<h2>Requests whose outcome changed ({{len $o}})</h2>
{{template "changes" $o}}
<h2>Requests with the same outcome on other grounds ({{len $g}})</h2>
{{template "changes" $g}}
<p>Generated by mlasim. Rule IDs name their instrument and article; see docs/legal-model.md for each rule's source and confidence tag.</p>
</body></html>
`))
