// Package sweep runs a scenario over a grid of parameters, with replications, on any engine: one tidy
// table of every metric at every grid point and replication (CSV and Parquet), and a self-contained HTML
// report that draws each metric against each parameter with its 95% interval. A sweep is resumable: a
// grid point already done (same scenario, parameters, replications and seed) is read back, not run again.
package sweep

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Param is one parameter of a sweep: a path into the scenario file, and the values it takes.
type Param struct {
	// Path names a field of the scenario file, as dotted keys; a list item is chosen by its code or id
	// in brackets: world.states[PT].policy, generators[stream].abusive_share, clock.uncc_in_force. The
	// path rules.unconfirmed takes with or without (the rules tagged [U]).
	Path   string
	Values []string
}

// Unconfirmed is the parameter that runs the rules tagged [U] or leaves them out.
const Unconfirmed = "rules.unconfirmed"

// ParseParam reads PATH=VALUES, where VALUES is a comma-separated list or a range FROM:TO:STEP (both
// ends included).
func ParseParam(spec string) (Param, error) {
	path, values, ok := strings.Cut(spec, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" || strings.TrimSpace(values) == "" {
		return Param{}, fmt.Errorf("%q: write PATH=VALUES, e.g. world.states[PT].policy=standard,strict-safeguards or generators[stream].abusive_share=0.05:0.3:0.05", spec)
	}
	p := Param{Path: path}
	if strings.Count(values, ":") == 2 && !strings.Contains(values, ",") {
		vs, err := rangeValues(values)
		if err != nil {
			return Param{}, fmt.Errorf("%s: %w", path, err)
		}
		p.Values = vs
	} else {
		for _, v := range strings.Split(values, ",") {
			if v = strings.TrimSpace(v); v == "" {
				return Param{}, fmt.Errorf("%s: an empty value in %q", path, values)
			}
			p.Values = append(p.Values, v)
		}
	}
	if path == Unconfirmed {
		for _, v := range p.Values {
			if v != "with" && v != "without" {
				return Param{}, fmt.Errorf("%s takes with or without, not %q", path, v)
			}
		}
	}
	return p, nil
}

// maxRangeValues bounds the values one range gives.
const maxRangeValues = 1000

// rangeValues expands FROM:TO:STEP into its values, formatted without float noise.
func rangeValues(spec string) ([]string, error) {
	parts := strings.Split(spec, ":")
	var x [3]float64
	for i, s := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("range %q: %q is not a number", spec, s)
		}
		x[i] = f
	}
	from, to, step := x[0], x[1], x[2]
	switch {
	case step <= 0:
		return nil, fmt.Errorf("range %q: the step must be above zero", spec)
	case to < from:
		return nil, fmt.Errorf("range %q: it ends before it starts", spec)
	case (to-from)/step+1 > maxRangeValues:
		return nil, fmt.Errorf("range %q gives more than %d values", spec, maxRangeValues)
	}
	var out []string
	for i := 0; ; i++ {
		v := from + float64(i)*step
		if v > to+step*1e-9 {
			break
		}
		out = append(out, strconv.FormatFloat(math.Round(v*1e9)/1e9, 'f', -1, 64))
	}
	return out, nil
}

// Point is one grid point: a value for each parameter, in the order the parameters were given.
type Point struct {
	Values []string `json:"values"`
}

// Grid is every combination of the parameters' values, the first parameter varying slowest.
func Grid(params []Param) []Point {
	points := []Point{{}}
	for _, p := range params {
		var next []Point
		for _, pt := range points {
			for _, v := range p.Values {
				next = append(next, Point{Values: append(append([]string{}, pt.Values...), v)})
			}
		}
		points = next
	}
	return points
}

// Label names a point for people: path=value pairs.
func (pt Point) Label(params []Param) string {
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.Path + "=" + pt.Values[i]
	}
	return strings.Join(parts, " ")
}
