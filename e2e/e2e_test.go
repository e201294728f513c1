// Package e2e runs mlasim end to end on the embedded Temporal server: the demo scenario against its answer
// key, the search attributes the Temporal CLI queries, a restart that resumes a running request from the
// SQLite file, and replay of every history the run produced.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/mlasim/mlasim/devserver"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/stack"
	"github.com/mlasim/mlasim/starter"
	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

var recordHistories = flag.String("record-histories", "", "add the run's histories to workflows/testdata/histories as a new set of this name, for the replay test")

// start runs the embedded stack (in memory when dir is empty) as mlasim itself does.
func start(t *testing.T, dir string, port int) *stack.Stack {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	s, err := stack.Start(context.Background(), stack.Options{StateDir: dir, Port: port, AnyPort: port == 0, Headless: true, Rules: e})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func builtinRules(t *testing.T) *rules.Engine {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDemoOnEmbeddedServer(t *testing.T) {
	s := start(t, "", 0)
	defer s.Stop()
	engine := builtinRules(t)
	sc, err := scenarios.Builtin("demo", engine)
	if err != nil {
		t.Fatal(err)
	}
	live := sc.WithScale(sc.Clock.Scale * 4) // legal timelines do not depend on the scale; the test just runs faster
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, s.Client, live)
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Results(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := starter.AllFinal(res); err != nil {
		t.Fatal(err)
	}
	truth := sc.Truth()
	for _, r := range res.Results {
		key := truth[r.RequestID].Expected
		if key == nil {
			t.Errorf("%s has no answer key", r.RequestID)
			continue
		}
		if ok, why := key.Met(r); !ok {
			t.Errorf("%s: %s, got %s %v", r.RequestID, why, r.Status, r.Decision)
		}
	}
	// The offline engine (the SDK's time-skipping environment) gives the same lifecycles, to the minute.
	off, err := offline.Run(ctx, offline.InputOf(sc), engine, offline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Results {
		o := off.Results[i]
		if o.RequestID != r.RequestID || o.Status != r.Status || len(o.Timeline) != len(r.Timeline) {
			t.Errorf("%s: offline %s with %d events, server %s with %d events", r.RequestID, o.Status, len(o.Timeline), r.Status, len(r.Timeline))
			continue
		}
		for j := range r.Timeline {
			if o.Timeline[j].At != r.Timeline[j].At || o.Timeline[j].Text != r.Timeline[j].Text {
				t.Errorf("%s event %d: offline %s %q, server %s %q", r.RequestID, j, o.Timeline[j].At, o.Timeline[j].Text, r.Timeline[j].At, r.Timeline[j].Text)
				break
			}
		}
	}

	journalist := byID(res, "journalist")
	if len(journalist.Grounds) == 0 || journalist.Grounds[0].RuleID != "uncc.40.nd" || journalist.Grounds[0].Tag != mla.TagSecondary {
		t.Errorf("journalist grounds %v", journalist.Grounds)
	}

	// The standard Temporal visibility query finds the refused request by its search attributes.
	query := "RequestedState='PT' AND Status='Refused' AND Scenario='demo'"
	var found []string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			t.Fatal(err)
		}
		found = found[:0]
		for _, e := range resp.Executions {
			found = append(found, e.Execution.WorkflowId)
		}
		if len(found) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(found) != 1 || found[0] != journalist.WorkflowID {
		t.Errorf("query %q found %v, want [%s]", query, found, journalist.WorkflowID)
	}

	// Every history the run produced replays on the current workflow code.
	replayAndRecord(t, collectHistories(t, ctx, s.Client, run.ID(), res))
}

// replayAndRecord replays every history on the current workflow code, and with -record-histories adds
// them to the sets the replay test guards.
func replayAndRecord(t *testing.T, histories map[string]*historypb.History) {
	t.Helper()
	replayer := sdkworker.NewWorkflowReplayer()
	worker.RegisterWorkflows(replayer)
	for id, h := range histories {
		opts := sdkworker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}}
		if err := replayer.ReplayWorkflowHistoryWithOptions(nil, h, opts); err != nil {
			t.Errorf("replaying %s: %v", id, err)
		}
	}
	if *recordHistories != "" {
		writeHistories(t, *recordHistories, histories)
	}
}

func byID(res workflows.ScenarioResult, id string) mla.Outcome {
	for _, r := range res.Results {
		if r.RequestID == id {
			return r
		}
	}
	return mla.Outcome{}
}

func collectHistories(t *testing.T, ctx context.Context, c client.Client, scenarioID string, res workflows.ScenarioResult) map[string]*historypb.History {
	t.Helper()
	ids := []string{scenarioID}
	for _, r := range res.Results {
		ids = append(ids, r.WorkflowID)
		if r.Onward != nil {
			ids = append(ids, r.Onward.WorkflowID)
		}
		if r.Kind == mla.KindPreservation {
			ids = append(ids, scenarioID+"/case/"+r.RequestID) // the case of a preservation with follow-ups
		}
	}
	out := map[string]*historypb.History{}
	for _, id := range ids {
		it := c.GetWorkflowHistory(ctx, id, "", false, 0)
		h := &historypb.History{}
		for it.HasNext() {
			e, err := it.Next()
			var nf *serviceerror.NotFound
			if errors.As(err, &nf) {
				break // a preservation without follow-ups has no case workflow
			}
			if err != nil {
				t.Fatalf("history of %s: %v", id, err)
			}
			h.Events = append(h.Events, e)
		}
		if len(h.Events) > 0 {
			out[id] = h
		}
	}
	return out
}

// writeHistories adds the histories of a run to the ones the replay test guards, as a new set: a folder
// of its own under workflows/testdata/histories, with an index that gives each file's workflow ID (child
// workflow IDs derive from it, so replay needs it). Committed histories are never rewritten: a set that
// exists already is an error.
func writeHistories(t *testing.T, set string, hs map[string]*historypb.History) {
	dir := filepath.Join("..", "workflows", "testdata", "histories", set)
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("history set %s exists: committed histories are only ever added; choose a new set name", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	index := map[string]string{}
	for id, h := range hs {
		parts := strings.Split(id, "/")
		name := parts[len(parts)-1]
		switch {
		case len(parts) == 3:
			name = "scenario-" + parts[1]
		case parts[len(parts)-2] == "case":
			name = "case-" + name // a case is named after its first request
		}
		if _, dup := index[name+".json"]; dup {
			t.Fatalf("two histories would be written to %s.json", name)
		}
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		index[name+".json"] = id
	}
	b, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d histories to %s", len(hs), dir)
}

// TestRestartResumesFromSQLite stops the server while a preservation is running and starts a new server
// and worker on the same SQLite file: the preservation resumes and expires on its legal date.
func TestRestartResumesFromSQLite(t *testing.T) {
	dir := t.TempDir()
	ports, err := devserver.FreePorts("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, dir, ports[0])
	engine := builtinRules(t)
	doc := `id: restart
title: Restart
seed: 3
clock: {start: "2027-03-01", scale: 20d}
requests:
  - id: p
    title: preservation across a restart
    kind: preservation
    from: NL
    to: US
    offence: {name: ransomware, category: ransomware, max_penalty_years: 10, convention_offence: true, criminal_in_requested: true}
`
	sc, err := scenarios.Parse("restart.yaml", []byte(doc), nil, engine)
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, s.Client, sc)
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	requestID := run.RequestWorkflowID("p")
	// Wait until the data is preserved, then stop everything.
	waitFor(t, 30*time.Second, func() bool {
		v, err := s.Client.QueryWorkflow(ctx, requestID, "", workflows.QueryStatus)
		var st workflows.StatusView
		return err == nil && v.Get(&st) == nil && st.Status == mla.StatusPreserved
	})
	s.Stop()

	s = start(t, dir, ports[0])
	defer s.Stop()
	res, err := starter.Attach(ctx, s.Client, sc, run.ID()).Results(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Results[0]
	if p.Status != mla.StatusEvidenceLost {
		t.Fatalf("status %s", p.Status)
	}
	var preserved time.Time
	for _, e := range p.Timeline {
		if e.Status == mla.StatusPreserved && preserved.IsZero() {
			preserved = e.At
		}
	}
	if got := p.Closed.Sub(preserved); got != 60*mla.Day {
		t.Errorf("kept %s after the restart, want 60 days", got)
	}
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("condition not met within %s", d)
}
