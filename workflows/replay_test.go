package workflows_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/worker"
)

// TestReplayCommittedHistories replays histories recorded from the demo on the embedded server
// (go test ./e2e -run TestDemoOnEmbeddedServer -update-histories). A change to workflow code that would
// break requests already running fails here.
func TestReplayCommittedHistories(t *testing.T) {
	dir := filepath.Join("testdata", "histories")
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index map[string]string
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	if len(index) < 10 {
		t.Fatalf("only %d histories", len(index))
	}
	replayer := sdkworker.NewWorkflowReplayer()
	worker.RegisterWorkflows(replayer)
	for file, id := range index {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		opts := sdkworker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}}
		if err := replayer.ReplayWorkflowHistoryWithOptions(nil, h, opts); err != nil {
			t.Errorf("%s (%s): %v", file, id, err)
		}
	}
}
