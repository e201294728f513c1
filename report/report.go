// Package report turns per-request records (built by the starter from scenario results) into files and
// metrics: JSON Lines and CSV, and a summary of outcomes, refusals by ground, safeguard failures, over-blocking, evidence lost and
// time to evidence, by State pair and by channel, with intervals across replications and a score against
// the answer key. It depends on mla only.
package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/mlasim/mlasim/mla"
)

// Record is one request's outcome, flat, for analysts.
type Record struct {
	Scenario    string           `json:"scenario"`
	Replication int              `json:"replication"`
	Seed        int64            `json:"seed"`
	RequestID   string           `json:"request_id"`
	Kind        mla.RequestKind  `json:"kind"`
	From        string           `json:"from"`
	To          string           `json:"to"`
	Channel     mla.Channel      `json:"channel"`
	Basis       mla.Basis        `json:"basis"`
	Status      mla.Status       `json:"status"`
	Decision    mla.DecisionKind `json:"decision"`
	Grounds     []string         `json:"grounds"`
	RuleIDs     []string         `json:"rule_ids"`
	Tags        []string         `json:"tags"`
	Sent        string           `json:"sent"`
	Closed      string           `json:"closed"`
	LegalDays   float64          `json:"legal_days"`
	// DaysToEvidence is set when evidence was delivered.
	DaysToEvidence *float64   `json:"days_to_evidence,omitempty"`
	DeadlineMet    *bool      `json:"deadline_met,omitempty"`
	EvidenceLost   bool       `json:"evidence_lost"`
	Abusive        bool       `json:"abusive"`
	Expected       mla.Status `json:"expected,omitempty"`
	MatchesKey     *bool      `json:"matches_key,omitempty"`
	// EngineError is set when the engine could not run the request: the record is not an outcome, and
	// the metrics leave it out.
	EngineError string `json:"engine_error,omitempty"`
	// What explains the outcome: the offence and the person as the requested State saw them, the
	// indicators of targeting it could observe, the rules that fired, and the grounds to refuse the
	// screening found available. Detectable is set for an abusive request: whether any ground to refuse
	// it was available, that is whether its abuse could be seen from what was observable.
	OffenceCategory  string   `json:"offence_category,omitempty"`
	PersonRole       mla.Role `json:"person_role,omitempty"`
	Indicators       []string `json:"indicators"`
	RulesFired       []string `json:"rules_fired"`
	AvailableGrounds []string `json:"available_grounds"`
	Detectable       *bool    `json:"detectable,omitempty"`
	// MeasuresRefused names the measures refused in a partial grant of a request that sought several.
	MeasuresRefused []string `json:"measures_refused"`
	Timeline        []string `json:"timeline,omitempty"`
}

// Partial reports whether evidence was delivered under a partial or conditional grant.
func (r Record) Partial() bool {
	return r.Delivered() && (r.Decision == mla.DecisionPartial || r.Decision == mla.DecisionGrantConditions || r.Status == mla.StatusPartial)
}

// Describe adds to the records what the requested State could see of each request: the offence, the
// person and the indicators of targeting (cases by request ID; onward preservations have none).
func Describe(recs []Record, cases map[string]mla.Case) {
	for i := range recs {
		c, ok := cases[recs[i].RequestID]
		if !ok {
			continue
		}
		r := &recs[i]
		r.OffenceCategory, r.PersonRole = c.Offence.Category, c.Person.Role
		r.Indicators = indicators(c, r.To)
	}
}

// indicators are the observable signs of targeting a case shows to the requested State.
func indicators(c mla.Case, requested string) []string {
	out := []string{}
	add := func(on bool, name string) {
		if on {
			out = append(out, name)
		}
	}
	for _, k := range mla.SignKinds {
		add(slices.ContainsFunc(c.Signs, func(s mla.Sign) bool { return s.Kind == k }), "sign:"+string(k))
	}
	add(c.Person.ProtectedExpression, "protected-expression")
	add(c.ReachesIntoRequested(requested), "extraterritorial-claim")
	add(c.RequestingRecord == mla.RecordDocumented, "record-documented")
	add(c.RequestingRecord == mla.RecordConcerns, "record-concerns")
	add(c.Offence.IsPolitical(), "political-offence")
	add(c.Offence.Category == "speech", "speech-offence")
	for _, i := range c.Affects {
		add(true, "affects:"+string(i))
	}
	return out
}

// Delivered reports whether evidence reached the requesting State.
func (r Record) Delivered() bool {
	return r.EngineError == "" && (r.Status == mla.StatusCompleted || r.Status == mla.StatusPartial)
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// WriteJSONL writes one JSON record per line.
func WriteJSONL(w io.Writer, recs []Record) error {
	enc := json.NewEncoder(w)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// CSVHeader is the header of WriteCSV.
var CSVHeader = []string{"scenario", "replication", "seed", "request_id", "kind", "from", "to", "channel", "basis", "status",
	"decision", "grounds", "rule_ids", "tags", "sent", "closed", "legal_days", "days_to_evidence", "deadline_met",
	"evidence_lost", "abusive", "expected", "matches_key", "engine_error",
	"offence_category", "person_role", "indicators", "rules_fired", "available_grounds", "detectable", "measures_refused"}

// WriteCSV writes the records as CSV (lists joined with "|"), header first when header is true.
func WriteCSV(w io.Writer, recs []Record, header bool) error {
	cw := csv.NewWriter(w)
	if header {
		if err := cw.Write(CSVHeader); err != nil {
			return err
		}
	}
	opt := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 2, 64)
	}
	optb := func(p *bool) string {
		if p == nil {
			return ""
		}
		return strconv.FormatBool(*p)
	}
	for _, r := range recs {
		if err := cw.Write([]string{r.Scenario, strconv.Itoa(r.Replication), strconv.FormatInt(r.Seed, 10), r.RequestID, string(r.Kind),
			r.From, r.To, string(r.Channel), string(r.Basis), string(r.Status), string(r.Decision), strings.Join(r.Grounds, "|"), strings.Join(r.RuleIDs, "|"),
			strings.Join(r.Tags, "|"), r.Sent, r.Closed, strconv.FormatFloat(r.LegalDays, 'f', 2, 64), opt(r.DaysToEvidence),
			optb(r.DeadlineMet), strconv.FormatBool(r.EvidenceLost), strconv.FormatBool(r.Abusive), string(r.Expected), optb(r.MatchesKey), r.EngineError,
			r.OffenceCategory, string(r.PersonRole), strings.Join(r.Indicators, "|"), strings.Join(r.RulesFired, "|"), strings.Join(r.AvailableGrounds, "|"), optb(r.Detectable),
			strings.Join(r.MeasuresRefused, "|")}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Metrics are the figures of one run (one replication).
type Metrics struct {
	Requests int `json:"requests"`
	// EngineFailures counts requests the engine could not run; they are in no other figure.
	EngineFailures int `json:"engine_failures"`
	// Outcomes counts requests by final status.
	Outcomes map[mla.Status]int `json:"outcomes"`
	// RefusalsByGround counts refusals by each ground they rest on.
	RefusalsByGround map[string]int `json:"refusals_by_ground"`
	RefusalRate      float64        `json:"refusal_rate"`
	// SafeguardFailures are abusive requests whose evidence was delivered.
	SafeguardFailures int     `json:"safeguard_failures"`
	Abusive           int     `json:"abusive"`
	SafeguardFailRate float64 `json:"safeguard_failure_rate"`
	// Of the safeguard failures: those granted although a ground to refuse was available (detectable),
	// those where none was (not detectable from what was observable), and those granted only partly or
	// on conditions.
	FailuresDetectable   int `json:"safeguard_failures_detectable"`
	FailuresUndetectable int `json:"safeguard_failures_undetectable"`
	FailuresPartial      int `json:"safeguard_failures_partial"`
	// OverBlocking are legitimate requests refused.
	OverBlocking     int     `json:"over_blocking"`
	Legitimate       int     `json:"legitimate"`
	OverBlockingRate float64 `json:"over_blocking_rate"`
	EvidenceLost     int     `json:"evidence_lost"`
	// Days to evidence, over requests that delivered it.
	MedianDaysToEvidence float64 `json:"median_days_to_evidence"`
	// Delivered counts the requests that delivered evidence: the cases behind the days figures.
	Delivered         int     `json:"delivered"`
	P90DaysToEvidence float64 `json:"p90_days_to_evidence"`
	DeadlinesMet      int     `json:"deadlines_met"`
	DeadlinesBreached int     `json:"deadlines_breached"`
	// AnswerKey counts scripted requests that match (and have) an answer key.
	AnswerKeyMatched int `json:"answer_key_matched"`
	AnswerKeyTotal   int `json:"answer_key_total"`
}

// Compute gives the metrics of a set of records.
func Compute(recs []Record) Metrics {
	m := Metrics{Outcomes: map[mla.Status]int{}, RefusalsByGround: map[string]int{}}
	var days []float64
	for _, r := range recs {
		if r.EngineError != "" {
			m.EngineFailures++
			continue
		}
		m.Requests++
		m.Outcomes[r.Status]++
		if r.Status == mla.StatusRefused {
			for _, g := range r.Grounds {
				m.RefusalsByGround[g]++
			}
		}
		if r.Abusive {
			m.Abusive++
			if r.Delivered() {
				m.SafeguardFailures++
				switch {
				case r.Detectable != nil && *r.Detectable:
					m.FailuresDetectable++
				case r.Detectable != nil:
					m.FailuresUndetectable++
				}
				if r.Partial() {
					m.FailuresPartial++
				}
			}
		} else {
			m.Legitimate++
			if r.Status == mla.StatusRefused {
				m.OverBlocking++
			}
		}
		if r.Status == mla.StatusEvidenceLost {
			m.EvidenceLost++
		}
		if r.DaysToEvidence != nil {
			days = append(days, *r.DaysToEvidence)
		}
		if r.DeadlineMet != nil {
			if *r.DeadlineMet {
				m.DeadlinesMet++
			} else {
				m.DeadlinesBreached++
			}
		}
		if r.MatchesKey != nil {
			m.AnswerKeyTotal++
			if *r.MatchesKey {
				m.AnswerKeyMatched++
			}
		}
	}
	m.RefusalRate = ratio(m.Outcomes[mla.StatusRefused], m.Requests)
	m.SafeguardFailRate = ratio(m.SafeguardFailures, m.Abusive)
	m.OverBlockingRate = ratio(m.OverBlocking, m.Legitimate)
	m.Delivered = len(days)
	if len(days) > 0 {
		sort.Float64s(days)
		m.MedianDaysToEvidence = round2(stat.Quantile(0.5, stat.Empirical, days, nil))
		m.P90DaysToEvidence = round2(stat.Quantile(0.9, stat.Empirical, days, nil))
	}
	return m
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Group splits records by a key (State pair, channel, ...).
func Group(recs []Record, key func(Record) string) map[string][]Record {
	out := map[string][]Record{}
	for _, r := range recs {
		k := key(r)
		out[k] = append(out[k], r)
	}
	return out
}

// Pair is the State-pair key, "NL→US".
func Pair(r Record) string { return r.From + "→" + r.To }

// ChannelOf is the channel key.
func ChannelOf(r Record) string { return string(r.Channel) }

// Interval is a metric across replications: the mean and a 95% interval of the mean (normal
// approximation; zero width for one replication).
type Interval struct {
	Mean float64 `json:"mean"`
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	N    int     `json:"n"`
}

func (i Interval) String() string {
	if i.N <= 1 || i.Low == i.High {
		return strconv.FormatFloat(i.Mean, 'f', 2, 64)
	}
	return fmt.Sprintf("%.2f [%.2f, %.2f]", i.Mean, i.Low, i.High)
}

// Across gives the interval of a metric over replications.
func Across(ms []Metrics, metric func(Metrics) float64) Interval {
	xs := make([]float64, len(ms))
	for i, m := range ms {
		xs[i] = metric(m)
	}
	if len(xs) == 0 {
		return Interval{}
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	if len(xs) < 2 || math.IsNaN(sd) {
		return Interval{Mean: mean, Low: mean, High: mean, N: len(xs)}
	}
	half := 1.96 * sd / math.Sqrt(float64(len(xs)))
	return Interval{Mean: mean, Low: mean - half, High: mean + half, N: len(xs)}
}

// WriteSummary renders the metrics of one or more replications as Markdown.
func WriteSummary(w io.Writer, title string, recs [][]Record) {
	ms := make([]Metrics, len(recs))
	var all []Record
	for i, rs := range recs {
		ms[i] = Compute(rs)
		all = append(all, rs...)
	}
	fmt.Fprintf(w, "# %s\n\n", title)
	if len(recs) > 1 {
		fmt.Fprintf(w, "%d replications; a value is the mean of the replications, with the 95%% interval of that mean.\n\n", len(recs))
	} else {
		fmt.Fprint(w, "One replication; a rate has its 95% (Wilson) interval and the cases behind it.\n\n")
	}
	fmt.Fprintln(w, "| Metric | Value |\n|---|---|")
	for _, f := range Figures(ms) {
		fmt.Fprintf(w, "| %s | %s |\n", f.Name, f)
	}
	total := Compute(all)
	if total.SafeguardFailures > 0 {
		fmt.Fprintf(w, "| safeguard failures explained (all replications) | %d granted: %d although a ground to refuse was available, %d with none available (the abuse could not be seen from what was observable); %d of them partial or conditional grants |\n",
			total.SafeguardFailures, total.FailuresDetectable, total.FailuresUndetectable, total.FailuresPartial)
	}
	if total.AnswerKeyTotal > 0 {
		fmt.Fprintf(w, "| answer key | %d of %d scripted requests as expected |\n", total.AnswerKeyMatched, total.AnswerKeyTotal)
	}
	fmt.Fprintln(w, "\n## Outcomes (all replications)\n\n| Status | Requests |\n|---|---|")
	for _, s := range mla.SortedKeys(total.Outcomes) {
		fmt.Fprintf(w, "| %s | %d |\n", s, total.Outcomes[s])
	}
	if len(total.RefusalsByGround) > 0 {
		fmt.Fprintln(w, "\n## Refusals by ground (all replications)\n\n| Ground | Refusals |\n|---|---|")
		for _, g := range mla.SortedKeys(total.RefusalsByGround) {
			fmt.Fprintf(w, "| %s | %d |\n", g, total.RefusalsByGround[g])
		}
	}
	for _, by := range []struct {
		name string
		key  func(Record) string
	}{{"State pair", Pair}, {"channel", ChannelOf}} {
		groups := Group(all, by.key)
		fmt.Fprintf(w, "\n## By %s (all replications)\n\n| %s | Requests | Refused | Safeguard failures | Over-blocking | Evidence lost | Median days to evidence |\n|---|---|---|---|---|---|---|\n", by.name, by.name)
		for _, k := range mla.SortedKeys(groups) {
			m := Compute(groups[k])
			median := "n/a"
			if m.Delivered > 0 {
				median = fmt.Sprintf("%.1f (%d cases)", m.MedianDaysToEvidence, m.Delivered)
			}
			fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %s |\n", k, m.Requests, m.Outcomes[mla.StatusRefused], m.SafeguardFailures, m.OverBlocking, m.EvidenceLost, median)
		}
	}
	WriteTransparency(w, all)
}

// StateFigures are the figures a transparency report gives for one State.
type StateFigures struct {
	Sent, Received, Granted, Refused, EvidenceLost int
	RefusedByGround                                map[string]int
}

// Transparency counts, per State, the requests it sent and received, and how it answered them: the
// figures a review by the Conference of the States Parties would ask for.
func Transparency(recs []Record) map[string]*StateFigures {
	out := map[string]*StateFigures{}
	get := func(code string) *StateFigures {
		if out[code] == nil {
			out[code] = &StateFigures{RefusedByGround: map[string]int{}}
		}
		return out[code]
	}
	for _, r := range recs {
		get(r.From).Sent++
		to := get(r.To)
		to.Received++
		switch {
		case r.Delivered():
			to.Granted++
		case r.Status == mla.StatusRefused:
			to.Refused++
			for _, g := range r.Grounds {
				to.RefusedByGround[g]++
			}
		case r.Status == mla.StatusEvidenceLost:
			to.EvidenceLost++
		}
	}
	return out
}

// WriteTransparency renders the per-State figures as Markdown.
func WriteTransparency(w io.Writer, recs []Record) {
	t := Transparency(recs)
	fmt.Fprintln(w, "\n## Transparency report per State (all replications)\n\n| State | Sent | Received | Executed | Refused | Refusal grounds | Evidence lost |\n|---|---|---|---|---|---|---|")
	for _, code := range mla.SortedKeys(t) {
		f := t[code]
		var grounds []string
		for _, g := range mla.SortedKeys(f.RefusedByGround) {
			grounds = append(grounds, fmt.Sprintf("%s %d", g, f.RefusedByGround[g]))
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %s | %d |\n", code, f.Sent, f.Received, f.Granted, f.Refused, strings.Join(grounds, ", "), f.EvidenceLost)
	}
}
