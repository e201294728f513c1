package workflows_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/worker"
)

// historySets lists the folders of committed histories: each has an index.json naming its files' workflow
// IDs. The first set (the folder itself) was recorded before workflow versioning; later sets are added by
// go test ./e2e -run TestXxx -record-histories NAME and never rewritten.
func historySets(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("testdata", "histories")
	var sets []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "index.json" {
			sets = append(sets, filepath.Dir(path))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// TestReplayCommittedHistories replays every committed history on the current workflow code: a change
// that would break requests already running fails here, and so in CI.
func TestReplayCommittedHistories(t *testing.T) {
	replayer := sdkworker.NewWorkflowReplayer()
	worker.RegisterWorkflows(replayer)
	total := 0
	for _, dir := range historySets(t) {
		for file, id := range readIndex(t, dir) {
			f, err := os.Open(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			f.Close()
			if err != nil {
				t.Fatalf("%s/%s: %v", dir, file, err)
			}
			opts := sdkworker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}}
			if err := replayer.ReplayWorkflowHistoryWithOptions(nil, h, opts); err != nil {
				t.Errorf("%s/%s (%s): %v", dir, file, id, err)
			}
			total++
		}
	}
	if total < 12 {
		t.Fatalf("only %d committed histories", total)
	}
	t.Logf("%d committed histories replayed", total)
}

// Every committed history file is named in its set's index, so none is left out of the replay.
func TestEveryHistoryIsIndexed(t *testing.T) {
	for _, dir := range historySets(t) {
		index := readIndex(t, dir)
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, f := range files {
			name := filepath.Base(f)
			if _, ok := index[name]; !ok && name != "index.json" {
				t.Errorf("%s is not in %s/index.json", f, dir)
			}
		}
		for name := range index {
			if !slices.Contains(files, filepath.Join(dir, name)) {
				t.Errorf("%s/index.json names %s, which is missing", dir, name)
			}
		}
	}
}

func readIndex(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index map[string]string
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatalf("%s/index.json: %v", dir, err)
	}
	return index
}
