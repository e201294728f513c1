package offline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/scenarios"
)

// A preservation and its follow-ups form one case; cases are ordered by when their first request is sent.
func TestCasesGroupFollowUps(t *testing.T) {
	req := func(id, follows string, at int) mla.Planned {
		return mla.Planned{Request: mla.Request{ID: id, FollowUpOf: follows, At: mla.Duration(at) * mla.Duration(mla.Day)}}
	}
	reqs := []mla.Planned{req("p", "", 5), req("a", "", 1), req("m", "p", 6), req("n", "p", 9), req("b", "", 7)}
	var got []string
	for _, c := range mla.Cases(reqs) {
		ids := ""
		for _, i := range c {
			ids += reqs[i].Request.ID
		}
		got = append(got, ids)
	}
	if strings.Join(got, " ") != "a pmn b" {
		t.Fatalf("cases %v", got)
	}
}

// builtin loads a scenario of the library with the built-in packs.
func builtin(tb testing.TB, name string) (*scenarios.Scenario, *rules.Engine) {
	tb.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := scenarios.Builtin(name, e)
	if err != nil {
		tb.Fatal(err)
	}
	return sc, e
}

func TestRunKeepsScenarioOrderAndReportsProgress(t *testing.T) {
	sc, e := builtin(t, "demo")
	calls, last := 0, 0
	res, err := offline.Run(context.Background(), offline.InputOf(sc), e, offline.Options{Progress: func(done, total int) {
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
	sc, e := builtin(t, "demo")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := offline.Run(ctx, offline.InputOf(sc), e, offline.Options{})
	if err == nil || len(res.Results) == len(sc.Requests) {
		t.Fatalf("a cancelled run returned %d results, err %v", len(res.Results), err)
	}
}

// Every scripted scenario of the library runs to its answer key on the offline engine.
func TestLibraryMeetsAnswerKeys(t *testing.T) {
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range scenarios.Names() {
		sc, err := scenarios.Builtin(name, e)
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Requests) > 100 {
			continue // generated streams have no answer key
		}
		res, err := offline.Run(context.Background(), offline.InputOf(sc), e, offline.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		truth := sc.Truth()
		for _, r := range res.Results {
			key := truth[r.RequestID].Expected
			if key == nil {
				t.Errorf("%s/%s has no answer key", name, r.RequestID)
				continue
			}
			checked++
			if r.Status != key.Status {
				t.Errorf("%s/%s: %s, answer key says %s", name, r.RequestID, r.Status, key.Status)
			}
			for _, g := range key.Grounds {
				if r.Decision == nil || !slices.Contains(r.Decision.Grounds, g) {
					t.Errorf("%s/%s: decision %+v lacks %s", name, r.RequestID, r.Decision, g)
				}
			}
		}
	}
	if checked < 25 {
		t.Errorf("only %d scripted requests checked", checked)
	}
}

// BenchmarkOfflineEngine measures requests per second of the offline engine on the hanoi-stream
// scenario (go test -bench OfflineEngine ./offline); b.N is the number of requests. The json case
// encodes every payload as the live engine does, the in-process case passes values.
func BenchmarkOfflineEngine(b *testing.B) {
	sc, e := builtin(b, "hanoi-stream")
	for _, asJSON := range []bool{false, true} {
		name := "in-process"
		if asJSON {
			name = "json"
		}
		b.Run(name, func(b *testing.B) {
			in := offline.InputOf(sc)
			in.Requests = in.Requests[:min(b.N, len(in.Requests))]
			b.ResetTimer()
			cpu0 := cpuTime()
			res, err := offline.Run(context.Background(), in, e, offline.Options{JSONPayloads: asJSON})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(res.Results))/b.Elapsed().Seconds(), "requests/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(len(res.Results)), "cpu-µs/request")
		})
	}
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A scenario run without the rules tagged [U] screens every request without them, on the engine.
func TestRunWithoutUnconfirmedRules(t *testing.T) {
	sc, e := builtin(t, "hanoi-stream")
	sc = sc.WithLimit(200)
	count := func(s *scenarios.Scenario) int {
		res, err := offline.Run(context.Background(), offline.InputOf(s), e, offline.Options{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range res.Results {
			for _, f := range o.Findings {
				if f.Tag == mla.TagUnconfirmed {
					n++
				}
			}
		}
		return n
	}
	if n := count(sc); n == 0 {
		t.Fatal("no [U] rule fired in the first 200 requests: the test shows nothing")
	}
	if n := count(sc.Without(mla.TagUnconfirmed)); n != 0 {
		t.Errorf("%d findings of [U] rules in a run without them", n)
	}
	src := sc.Without(mla.TagUnconfirmed).Source()
	if len(src.SkipTags) != 1 || src.SkipTags[0] != mla.TagUnconfirmed {
		t.Errorf("the scenario's source, which a cluster's workers plan from, says %v", src.SkipTags)
	}
	back, err := scenarios.FromSource(src, e)
	if err != nil || len(back.Requests) == 0 || len(back.Requests[0].SkipTags) != 1 {
		t.Errorf("planned again from its source: %v", err)
	}
}

// The offline engine's shortcuts change no outcome, field for field: passing values in process instead of
// encoding every payload as JSON the way the live engine does; waiting in legal time only in requests
// that talk to no other workflow instead of setting an engine timer for every wait; and registering no
// handlers for people's messages and publishing no search attributes, since no client can reach the run. Checked on every
// scenario of the library, and on the first 400 requests of each generated stream.
func TestOfflineShortcutsChangeNoOutcome(t *testing.T) {
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, in offline.Input, opts offline.Options) []byte {
		res, err := offline.Run(context.Background(), in, e, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, o := range res.Results {
			if o.EngineFailed() {
				t.Fatalf("%s/%s: engine failure %s", name, o.RequestID, o.EngineError)
			}
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	compared := 0
	for _, name := range scenarios.Names() {
		sc, err := scenarios.Builtin(name, e)
		if err != nil {
			t.Fatal(err)
		}
		in := offline.InputOf(sc.WithLimit(400))
		fast := run(name, in, offline.Options{})
		for what, opts := range map[string]offline.Options{
			"as JSON": {JSONPayloads: true}, "with every timer": {TimedWaits: true}, "with handlers and visibility": {Reachable: true},
			"with every step an activity": {ActivitySteps: true}, "with every step an activity, as JSON": {ActivitySteps: true, JSONPayloads: true},
		} {
			if slow := run(name, in, opts); !bytes.Equal(fast, slow) {
				a, b := string(fast), string(slow)
				at := 0
				for at < min(len(a), len(b)) && a[at] == b[at] {
					at++
				}
				t.Errorf("%s: outcomes differ %s at byte %d:\noffline: %.300s\n%s: %.300s", name, what, at, a[max(at-100, 0):], what, b[max(at-100, 0):])
			}
		}
		compared += len(in.Requests)
	}
	if compared < 1500 {
		t.Errorf("only %d requests compared", compared)
	}
}

// A follow-up sent after its preservation's period ended reaches the preservation, in engine time, just
// as it closes: in the same task as its expiry, whenever the test environment's clock runs the two in
// step. Its word is answered every time, so the follow-up learns at once that the data was not kept,
// and never waits out the 60 days a lost message would cost it.
func TestAFollowUpAsItsPreservationClosesIsAnswered(t *testing.T) {
	sc, e := builtin(t, "eif-ratifications")
	in := offline.InputOf(sc)
	var pair []mla.Planned
	for _, p := range in.Requests {
		if p.Request.ID == "eif-00023" || p.Request.FollowUpOf == "eif-00023" {
			pair = append(pair, p)
		}
	}
	if len(pair) != 2 || pair[0].Request.Kind != mla.KindPreservation {
		t.Fatalf("eif-00023 and its follow-up are not in the scenario: %d requests", len(pair))
	}
	in.Requests = pair
	// Before the preservation let its receiving goroutine take such a word, about one run in 300 lost
	// it here.
	for i := range 1000 {
		res, err := offline.Run(context.Background(), in, e, offline.Options{Parallel: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Results {
			for _, ev := range o.Timeline {
				if strings.Contains(ev.Text, "no answer from preservation") {
					t.Fatalf("run %d: %s: %s", i, o.RequestID, ev.Text)
				}
			}
		}
	}
}
