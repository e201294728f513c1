package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dir writes a run's results to a folder as they come: requests.jsonl and requests.csv, replication by
// replication (so an interrupted run keeps what it wrote), then summary.md and metrics.json.
type Dir struct {
	Path        string
	jsonl, csvF *os.File
	header      bool
}

// CreateDir creates (or truncates) the result files in dir.
func CreateDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := &Dir{Path: dir, header: true}
	var err error
	if d.jsonl, err = os.Create(filepath.Join(dir, "requests.jsonl")); err != nil {
		return nil, err
	}
	if d.csvF, err = os.Create(filepath.Join(dir, "requests.csv")); err != nil {
		d.jsonl.Close()
		return nil, err
	}
	return d, nil
}

// Write appends records to requests.jsonl and requests.csv and syncs them to disk.
func (d *Dir) Write(recs []Record) error {
	if err := WriteJSONL(d.jsonl, recs); err != nil {
		return err
	}
	if err := WriteCSV(d.csvF, recs, d.header); err != nil {
		return err
	}
	d.header = false
	return errors.Join(d.jsonl.Sync(), d.csvF.Sync())
}

// Finish writes summary.md and metrics.json for every replication written.
func (d *Dir) Finish(title string, all [][]Record) error {
	f, err := os.Create(filepath.Join(d.Path, "summary.md"))
	if err != nil {
		return err
	}
	WriteSummary(f, title, all)
	if err := f.Close(); err != nil {
		return err
	}
	ms := make([]Metrics, len(all))
	for i, recs := range all {
		ms[i] = Compute(recs)
	}
	b, err := json.MarshalIndent(ms, "", "  ")
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return os.WriteFile(filepath.Join(d.Path, "metrics.json"), b, 0o644)
}

// Close closes the files.
func (d *Dir) Close() error { return errors.Join(d.jsonl.Close(), d.csvF.Close()) }
