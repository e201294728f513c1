package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/report"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/sim"
)

// Options are how a sweep runs.
type Options struct {
	Replications int
	Seed         int64
	SeedSet      bool
	// Dir is the folder of the results; Dir/points keeps each grid point done, for resuming.
	Dir string
	// MaxRuns bounds grid points × replications unless Yes.
	MaxRuns int
	Yes     bool
	Out     io.Writer
}

// DefaultMaxRuns is the size of a sweep (grid points × replications) that runs without --yes.
const DefaultMaxRuns = 200

// Sweep is a scenario and a grid of parameters, each point loaded and checked.
type Sweep struct {
	Base   *scenarios.Scenario
	Params []Param
	Points []Point
	loaded []*scenarios.Scenario
	opts   Options
}

// PointResult is a grid point's metrics, one per replication.
type PointResult struct {
	Index   int              `json:"index"`
	Point   Point            `json:"point"`
	Label   string           `json:"label"`
	Seeds   []int64          `json:"seeds"`
	Metrics []report.Metrics `json:"metrics"`
	// Reused says the point was read back from an earlier run.
	Reused bool `json:"-"`
}

// Prepare checks the parameters and loads the scenario at every grid point, so that a sweep with a bad
// parameter or value starts nothing. Each error names the parameter, and the loader's error the field.
func Prepare(base *scenarios.Scenario, engine *rules.Engine, params []Param, o Options) (*Sweep, error) {
	if len(params) == 0 {
		return nil, errors.New("give at least one parameter with --vary PATH=VALUES")
	}
	seen := map[string]bool{}
	for _, p := range params {
		if seen[p.Path] {
			return nil, fmt.Errorf("--vary %s is given twice", p.Path)
		}
		seen[p.Path] = true
	}
	o.Replications = max(o.Replications, 1)
	if o.MaxRuns <= 0 {
		o.MaxRuns = DefaultMaxRuns
	}
	points := Grid(params)
	if runs := len(points) * o.Replications; runs > o.MaxRuns && !o.Yes {
		return nil, fmt.Errorf("the grid has %d points × %d replications = %d runs, more than %d: confirm with --yes", len(points), o.Replications, runs, o.MaxRuns)
	}
	s := &Sweep{Base: base, Params: params, Points: points, opts: o}
	src := base.Source()
	for _, pt := range points {
		data, err := Apply(src.Data, params, pt)
		if err != nil {
			return nil, fmt.Errorf("--vary: %w", err)
		}
		ps := src
		ps.Data = data
		sc, err := scenarios.FromSource(ps, engine)
		if err != nil {
			return nil, fmt.Errorf("grid point %s: %w", pt.Label(params), err)
		}
		s.loaded = append(s.loaded, sc)
	}
	return s, nil
}

// key names a grid point's results by what decides them: the scenario, the point, the replications
// and the seed.
func (s *Sweep) key(i int) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%d\n%d %v\n", s.Base.Source().Digest(), s.Points[i].Label(s.Params), s.opts.Replications, s.opts.Seed, s.opts.SeedSet)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Run runs every grid point not done yet and returns the results of all, in grid order. An engine
// failure stops the sweep (its point is not kept); an interrupted sweep keeps the points it finished.
func (s *Sweep) Run(ctx context.Context, eng sim.Engine) ([]PointResult, error) {
	dir := filepath.Join(s.opts.Dir, "points")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	out := s.opts.Out
	if out == nil {
		out = io.Discard
	}
	var results []PointResult
	for i, pt := range s.Points {
		file := filepath.Join(dir, s.key(i)+".json")
		if r, ok := readPoint(file); ok {
			r.Reused = true
			results = append(results, r)
			fmt.Fprintf(out, "point %d/%d %s: done in an earlier run\n", i+1, len(s.Points), pt.Label(s.Params))
			continue
		}
		began := time.Now()
		r, err := s.runPoint(ctx, eng, i)
		if err != nil {
			if ctx.Err() != nil {
				return results, fmt.Errorf("interrupted after %d of %d grid points: run the same command again to resume (finished points are kept in %s)", len(results), len(s.Points), dir)
			}
			return results, fmt.Errorf("grid point %s: %w", pt.Label(s.Params), err)
		}
		if err := writePoint(file, r); err != nil {
			return results, err
		}
		results = append(results, r)
		fmt.Fprintf(out, "point %d/%d %s: %d replications in %s\n", i+1, len(s.Points), pt.Label(s.Params), len(r.Metrics), time.Since(began).Round(100*time.Millisecond))
	}
	return results, nil
}

func (s *Sweep) runPoint(ctx context.Context, eng sim.Engine, i int) (PointResult, error) {
	plan := sim.Plan{Replications: s.opts.Replications, Seed: s.opts.Seed, SeedSet: s.opts.SeedSet}
	for j, p := range s.Params {
		if p.Path == Unconfirmed && s.Points[i].Values[j] == "without" {
			plan.Without = []mla.Tag{mla.TagUnconfirmed}
		}
	}
	r := PointResult{Index: i, Point: s.Points[i], Label: s.Points[i].Label(s.Params)}
	reps, err := sim.Replicate(ctx, eng, s.loaded[i], plan, nil, func(sim.Replication) error { return nil })
	if err != nil {
		return r, err
	}
	var failures strings.Builder
	if err := sim.CheckEngine(&failures, reps); err != nil {
		return r, fmt.Errorf("%w\n%s", err, failures.String())
	}
	for _, rep := range reps {
		r.Seeds = append(r.Seeds, rep.Seed)
		r.Metrics = append(r.Metrics, report.Compute(rep.Records))
	}
	return r, nil
}

func readPoint(file string) (PointResult, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return PointResult{}, false
	}
	var r PointResult
	if err := json.Unmarshal(b, &r); err != nil || len(r.Metrics) == 0 {
		return PointResult{}, false
	}
	return r, true
}

// writePoint writes a point's results whole or not at all.
func writePoint(file string, r PointResult) error {
	return writeAtomic(file, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// Write writes the results of the grid points done into the sweep's folder: the tidy table as
// sweep.csv and sweep.parquet, and report.html; command is what ran it, for the report.
func (s *Sweep) Write(results []PointResult, command string) error {
	if len(results) == 0 {
		return nil
	}
	rows := Rows(results)
	files := map[string]func(io.Writer) error{
		"sweep.csv":     func(w io.Writer) error { return WriteCSV(w, s.Params, rows) },
		"sweep.parquet": func(w io.Writer) error { return WriteParquet(w, s.Params, rows) },
		"report.html": func(w io.Writer) error {
			return WriteReport(w, ReportData{Scenario: s.Base.ID, Title: s.Base.Title, Made: time.Now().UTC(), Params: s.Params, Points: len(results),
				Replications: len(results[0].Metrics), Command: command, Charts: Charts(s.Params, results)})
		},
	}
	for name, write := range files {
		if err := writeAtomic(filepath.Join(s.opts.Dir, name), write); err != nil {
			return err
		}
	}
	return nil
}

// writeAtomic writes a file whole or not at all: an interrupted write leaves the previous one.
func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = f.Chmod(0o644)
	if err == nil {
		err = write(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// Row is one line of the tidy table: a metric of one replication at one grid point.
type Row struct {
	Point       int
	Values      []string
	Replication int
	Seed        int64
	Metric      string
	Kind        string
	Value       float64
	// Numerator and Denominator are a rate's counts (zero otherwise); for a days figure, Denominator is
	// the number of requests that delivered evidence.
	Numerator, Denominator int
	// NA says the metric has no cases in this replication (its value is not a number then).
	NA bool
}

// Rows is the tidy table of the results: a row per grid point × replication × headline metric.
func Rows(results []PointResult) []Row {
	var out []Row
	for _, r := range results {
		for k, m := range r.Metrics {
			for _, f := range report.Figures([]report.Metrics{m}) {
				row := Row{Point: r.Index, Values: r.Point.Values, Replication: k + 1, Seed: r.Seeds[k], Metric: f.Name, Kind: f.Kind, Value: f.Mean, NA: f.NA()}
				switch f.Kind {
				case report.KindRate:
					row.Numerator, row.Denominator = f.Num, f.Den
				case report.KindDays:
					row.Denominator = f.Cases
				}
				out = append(out, row)
			}
		}
	}
	return out
}
