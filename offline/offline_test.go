package offline_test

import (
	"context"
	"testing"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/workflows"
)

func TestCasesGroupFollowUps(t *testing.T) {
	req := func(id, follows string) workflows.RequestInput {
		return workflows.RequestInput{Request: mla.Request{ID: id, FollowUpOf: follows}}
	}
	cases := offline.Cases([]workflows.RequestInput{req("p", ""), req("a", ""), req("m", "p"), req("n", "p"), req("b", "")})
	var got []string
	for _, c := range cases {
		ids := ""
		for _, r := range c {
			ids += r.Request.ID
		}
		got = append(got, ids)
	}
	if len(got) != 3 || got[0] != "pmn" || got[1] != "a" || got[2] != "b" {
		t.Fatalf("cases %v", got)
	}
}

func demo(t *testing.T) (*scenarios.Scenario, *rules.Engine) {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Builtin("demo", e)
	if err != nil {
		t.Fatal(err)
	}
	return sc, e
}

func TestRunKeepsScenarioOrderAndReportsProgress(t *testing.T) {
	sc, e := demo(t)
	calls, last := 0, 0
	res, err := offline.Run(context.Background(), sc.Input(), e, offline.Options{Progress: func(done, total int) {
		calls++
		last = done
		if total != len(sc.Requests) {
			t.Errorf("total %d", total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Results {
		if r.RequestID != sc.Requests[i].Request.ID || !r.Status.Final() {
			t.Errorf("result %d: %s %s", i, r.RequestID, r.Status)
		}
	}
	if calls == 0 || last != len(sc.Requests) {
		t.Errorf("progress: %d calls, last %d", calls, last)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	sc, e := demo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := offline.Run(ctx, sc.Input(), e, offline.Options{})
	if err == nil || len(res.Results) == len(sc.Requests) {
		t.Fatalf("a cancelled run returned %d results, err %v", len(res.Results), err)
	}
}
