package report

import (
	"fmt"
	"math"
	"strconv"
)

// Figure kinds: how a headline metric reads.
const (
	KindCount = "count" // requests: an integer per replication
	KindRate  = "rate"  // a share of the requests in its denominator, shown as a percentage
	KindDays  = "days"  // legal days over the requests that delivered evidence
)

// FewCases is the number of cases below which a rate or a percentile is flagged as resting on too few.
const FewCases = 30

// Figure is a headline metric over one or more replications, as a reader sees it: the value (the mean
// across replications, with a 95% interval when there are several; for a rate of one replication, the
// Wilson interval), and the cases behind it.
type Figure struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Interval
	// Num and Den are, for a rate, its numerator and denominator summed over replications; Cases, for a
	// days figure, how many requests delivered evidence. Replications is how many runs it spans.
	Num          int    `json:"num,omitempty"`
	Den          int    `json:"den,omitempty"`
	Cases        int    `json:"cases,omitempty"`
	Replications int    `json:"replications"`
	Empty        string `json:"empty,omitempty"` // why there is no value, when there is none
}

// NA reports whether the figure has no cases to rest on.
func (f Figure) NA() bool { return f.Empty != "" }

// Few reports whether the figure rests on fewer than FewCases cases.
func (f Figure) Few() bool {
	switch f.Kind {
	case KindRate:
		return !f.NA() && f.Den < FewCases
	case KindDays:
		return !f.NA() && f.Cases < FewCases
	}
	return false
}

func (f Figure) String() string {
	if f.NA() {
		return "n/a (" + f.Empty + ")"
	}
	var s string
	switch f.Kind {
	case KindRate:
		s = fmt.Sprintf("%s [%s, %s] (%d of %d)", percent(f.Mean), percent(f.Low), percent(f.High), f.Num, f.Den)
	case KindDays:
		s = fmt.Sprintf("%s days", number(f.Mean))
		if f.Replications > 1 && f.Low != f.High {
			s += fmt.Sprintf(" [%s, %s]", number(f.Low), number(f.High))
		}
		s += fmt.Sprintf(" (%d cases)", f.Cases)
	default:
		if f.Replications <= 1 {
			return strconv.Itoa(int(math.Round(f.Mean)))
		}
		s = number(f.Mean)
		if f.Low != f.High {
			s += fmt.Sprintf(" [%s, %s]", number(f.Low), number(f.High))
		}
	}
	if f.Few() {
		s += fmt.Sprintf(" — fewer than %d cases", FewCases)
	}
	return s
}

// Change is how figure b differs from figure a, in the figure's unit.
func (a Figure) Change(b Figure) string {
	if a.NA() || b.NA() {
		return "n/a"
	}
	d := b.Mean - a.Mean
	switch a.Kind {
	case KindRate:
		return fmt.Sprintf("%+.1f points", 100*d)
	case KindDays:
		return fmt.Sprintf("%+.1f days", d)
	}
	if a.Replications <= 1 {
		return fmt.Sprintf("%+d", int(math.Round(d)))
	}
	return fmt.Sprintf("%+.1f", d)
}

func percent(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" }

func number(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// wilson is the 95% Wilson score interval of a proportion k of n.
func wilson(k, n int) (low, high float64) {
	if n == 0 {
		return 0, 0
	}
	const z = 1.959964
	p, nf := float64(k)/float64(n), float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// headline describes one headline metric: how to read it from the metrics of a replication.
type headline struct {
	Name  string
	Kind  string
	Get   func(Metrics) float64
	Count func(Metrics) (num, den int) // a rate's numerator and denominator, or a days figure's cases
	Empty string                       // what a rate or days figure lacks when it has no cases
}

// Headline lists the metrics shown in summaries and comparisons, in order.
var Headline = []headline{
	{Name: "requests", Kind: KindCount, Get: func(m Metrics) float64 { return float64(m.Requests) }},
	{Name: "refusal rate", Kind: KindRate, Get: func(m Metrics) float64 { return m.RefusalRate },
		Count: func(m Metrics) (int, int) { return m.Outcomes["Refused"], m.Requests }, Empty: "no requests"},
	{Name: "abusive requests granted (safeguard failures)", Kind: KindCount, Get: func(m Metrics) float64 { return float64(m.SafeguardFailures) }},
	{Name: "safeguard failure rate (of abusive requests)", Kind: KindRate, Get: func(m Metrics) float64 { return m.SafeguardFailRate },
		Count: func(m Metrics) (int, int) { return m.SafeguardFailures, m.Abusive }, Empty: "no abusive requests"},
	{Name: "legitimate requests refused (over-blocking)", Kind: KindCount, Get: func(m Metrics) float64 { return float64(m.OverBlocking) }},
	{Name: "over-blocking rate (of legitimate requests)", Kind: KindRate, Get: func(m Metrics) float64 { return m.OverBlockingRate },
		Count: func(m Metrics) (int, int) { return m.OverBlocking, m.Legitimate }, Empty: "no legitimate requests"},
	{Name: "evidence lost", Kind: KindCount, Get: func(m Metrics) float64 { return float64(m.EvidenceLost) }},
	{Name: "median days to evidence", Kind: KindDays, Get: func(m Metrics) float64 { return m.MedianDaysToEvidence },
		Count: func(m Metrics) (int, int) { return m.Delivered, 0 }, Empty: "no evidence delivered"},
	{Name: "90th percentile days to evidence", Kind: KindDays, Get: func(m Metrics) float64 { return m.P90DaysToEvidence },
		Count: func(m Metrics) (int, int) { return m.Delivered, 0 }, Empty: "no evidence delivered"},
	{Name: "deadlines breached (of requests with a deadline)", Kind: KindRate, Get: func(m Metrics) float64 { return ratio(m.DeadlinesBreached, m.DeadlinesMet+m.DeadlinesBreached) },
		Count: func(m Metrics) (int, int) { return m.DeadlinesBreached, m.DeadlinesMet + m.DeadlinesBreached }, Empty: "no request had a deadline"},
}

// Figures gives the headline figures of the replications' metrics.
func Figures(ms []Metrics) []Figure {
	out := make([]Figure, len(Headline))
	for i, h := range Headline {
		f := Figure{Name: h.Name, Kind: h.Kind, Replications: len(ms)}
		var with []Metrics // replications where the figure has cases
		for _, m := range ms {
			n, d := 0, 0
			if h.Count != nil {
				n, d = h.Count(m)
			}
			f.Num, f.Den = f.Num+n, f.Den+d
			switch {
			case h.Kind == KindRate && d > 0, h.Kind == KindDays && n > 0, h.Kind == KindCount:
				with = append(with, m)
			}
		}
		if h.Kind == KindDays {
			f.Cases, f.Num = f.Num, 0
		}
		if len(with) == 0 {
			f.Empty = h.Empty
			if f.Empty == "" {
				f.Empty = "no replications"
			}
			out[i] = f
			continue
		}
		f.Interval = Across(with, h.Get)
		if h.Kind == KindRate && len(ms) == 1 {
			f.Low, f.High = wilson(f.Num, f.Den)
		}
		out[i] = f
	}
	return out
}
