package e2e

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/sim"
	"github.com/mlasim/mlasim/sweep"
)

// sweepScenario is small and fast on a server: a dozen generated requests, a legal day a tenth of a
// second.
const sweepScenario = `id: sweep-live
title: A small sweep, live
seed: 9
clock: {start: "2027-01-01", scale: 10d}
world:
  states:
    - {code: FR, policy: standard}
generators:
  - id: g
    count: 12
    window: 20d
    from: [FR, PT]
    to: [FR, PT]
    kinds: {stored-data: 1}
    offences: [{weight: 1, name: fraud, category: fraud, max_penalty_years: 8, convention_offence: true, criminal_in_requested: true}]
    abusive_share: 0.4
    abusive:
      offences: [{weight: 1, name: false news, category: speech, max_penalty_years: 5}]
      roles: [journalist]
      indicator_share: 0.8
`

// A sweep runs on a Temporal server through the same engines as 'mlasim run', and its tidy table is the
// offline engine's, row for row, even with cases held back by the Scenario workflow's window: the policy
// of France against the abusive share of requests.
func TestSweepOnEmbeddedServerMatchesOffline(t *testing.T) {
	e := builtinRules(t)
	sc, err := scenarios.Parse("sweep-live.yaml", []byte(sweepScenario), nil, e)
	if err != nil {
		t.Fatal(err)
	}
	var params []sweep.Param
	for _, spec := range []string{"world.states[FR].policy=standard,strict-safeguards"} {
		p, err := sweep.ParseParam(spec)
		if err != nil {
			t.Fatal(err)
		}
		params = append(params, p)
	}
	rows := func(eng sim.Engine) []sweep.Row {
		t.Helper()
		s, err := sweep.Prepare(sc, e, params, sweep.Options{Replications: 2, Dir: t.TempDir(), Out: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		res, err := s.Run(ctx, eng)
		if err != nil {
			t.Fatal(err)
		}
		return sweep.Rows(res)
	}
	offline := rows(sim.Offline{Rules: e})
	s := start(t, "", 0)
	defer s.Stop()
	// A window narrower than the 12 requests makes later cases wait for room: outcomes do not change.
	live := rows(sim.Cluster{Client: s.Client, Window: 4})
	if len(offline) == 0 || len(live) != len(offline) {
		t.Fatalf("%d rows live, %d offline", len(live), len(offline))
	}
	for i := range offline {
		if a, b := fmt.Sprintf("%+v", live[i]), fmt.Sprintf("%+v", offline[i]); a != b {
			t.Errorf("row %d:\n live    %s\n offline %s", i, a, b)
		}
	}
}
