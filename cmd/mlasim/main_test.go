package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlasim/mlasim/devserver"
	"github.com/mlasim/mlasim/rules"
	"github.com/mlasim/mlasim/sim"
)

// TestMain lets the test binary stand in for mlasim when it starts itself as an offline shard.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sim.ShardCommand || os.Getenv("MLASIM_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestBadScenarioExitsTwoBeforeStarting(t *testing.T) {
	for _, cmd := range []string{"run", "demo"} {
		args := []string{cmd, "testdata/unknown-state.yaml"}
		if cmd == "demo" {
			args = []string{cmd, "--headless", "--scenario", "testdata/unknown-state.yaml"}
		}
		_, err := execute(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Fatalf("%s: err = %v, want exit code 2", cmd, err)
		}
		if !strings.Contains(err.Error(), `testdata/unknown-state.yaml:9:9: requests[0].to: unknown State "QQ"`) {
			t.Errorf("%s: message %q does not locate the error", cmd, err)
		}
	}
}

func TestDemoHeadlessRunsToTheEnd(t *testing.T) {
	ports, err := devserver.FreePorts("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, "demo", "--headless", "--state-dir", t.TempDir(), "--port", strconv.Itoa(ports[0]), "--scenario", "testdata/small.yaml")
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{"State            ", "temporal.db", "refused", "budapest.27.4.a Budapest Art 27(4)(a) [P]", "2 requests: Completed 1, Refused 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "as expected") != 2 {
		t.Errorf("answer key not met:\n%s", out)
	}
}

// Every command says what it does in its own words, and --help shows them.
func TestHelpExplainsEveryCommand(t *testing.T) {
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			seen++
			if len(sub.Long) < 120 || sub.Short == "" {
				t.Errorf("%s: the help says too little (%d characters)", sub.CommandPath(), len(sub.Long))
			}
			args := append(strings.Fields(strings.TrimPrefix(sub.CommandPath(), "mlasim ")), "--help")
			out, err := execute(t, args...)
			first := strings.SplitN(sub.Long, "\n", 2)[0]
			if err != nil || !strings.Contains(out, first) || !strings.Contains(out, "Usage:") {
				t.Errorf("%s --help does not show its description: %v\n%s", sub.CommandPath(), err, out)
			}
			walk(sub)
		}
	}
	walk(newRoot())
	if seen < 14 {
		t.Errorf("only %d commands", seen)
	}
}

// builtinRules is the number of rules the built-in packs compile to.
func builtinRules(t *testing.T) int {
	t.Helper()
	e, err := rules.LoadBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	return e.RuleCount()
}

func TestRulesLint(t *testing.T) {
	out, err := execute(t, "rules", "lint")
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d rules compiled", builtinRules(t))) || !strings.Contains(out, "overlap: rules/packs/budapest.yaml:") {
		t.Fatalf("lint: %v\n%s", err, out)
	}
	_, err = execute(t, "rules", "lint", "testdata/bad-pack.yaml")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "testdata/bad-pack.yaml:9:11: rule policy.bad.1.when: CEL:") {
		t.Fatalf("bad pack: %v", err)
	}
}

func TestWorkerRefusesABadPack(t *testing.T) {
	_, err := execute(t, "worker", "--packs", "testdata/bad-pack.yaml")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "testdata/bad-pack.yaml:9:11") {
		t.Fatalf("err = %v", err)
	}
}

func TestRulesTest(t *testing.T) {
	out, err := execute(t, "rules", "test")
	cases, cerr := rules.BuiltinCases()
	if cerr != nil {
		t.Fatal(cerr)
	}
	n := builtinRules(t)
	if err != nil || !strings.Contains(out, fmt.Sprintf("%d passed, 0 failed; %d of %d rules fired", len(cases), n, n)) {
		t.Fatalf("built-in suites: %v\n%s", err, out)
	}
	out, err = execute(t, "rules", "test", "-v", "testdata/packs")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("a failing suite must exit 1: %v\n%s", err, out)
	}
	for _, want := range []string{"ok   testdata/packs/tests/lenient.yaml:3", "FAIL testdata/packs/tests/lenient.yaml:7 this expectation is wrong on purpose", "decision: got postpone, want grant", "rules that fired:", "1 passed, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRulesExplainCoverageDiff(t *testing.T) {
	out, err := execute(t, "rules", "explain", "../../rules/packs/tests/uncc.yaml", "--case", "journalist targeted")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"decision: refuse on non-discrimination", "FIRED          uncc.40.nd", "request.targeting.substantial = true", "evidence: weight 3 meets the threshold 2: charges-mirror-protected-conduct +2", "NOT APPLICABLE all rules of pack budapest"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	out, err = execute(t, "rules", "coverage", "--scenario", "demo")
	if err != nil || !strings.Contains(out, "coverage over scenario demo") || !strings.Contains(out, "never fired:") {
		t.Errorf("coverage: %v\n%s", err, out)
	}
	out, err = execute(t, "rules", "diff", "standard", "testdata/packs/lenient.yaml")
	if err != nil || !strings.Contains(out, "cases differ between standard and lenient") || !strings.Contains(out, "decided by, under standard only:") {
		t.Errorf("diff: %v\n%s", err, out)
	}
}

func TestRunOffline(t *testing.T) {
	out, err := execute(t, "run", "--engine", "offline", "testdata/small.yaml")
	if err != nil || strings.Count(out, "as expected") != 2 {
		t.Fatalf("offline run: %v\n%s", err, out)
	}
}

func TestRunReplicationsWriteResults(t *testing.T) {
	dir := t.TempDir()
	out, err := execute(t, "run", "--engine", "offline", "--replications", "3", "--seed", "5", "--out", dir, "testdata/small.yaml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Count(out, "replication ") != 3 || !strings.Contains(out, "3 replications; a value is the mean") || !strings.Contains(out, "| answer key | 6 of 6 scripted requests as expected |") {
		t.Errorf("output:\n%s", out)
	}
	csvData, err := os.ReadFile(filepath.Join(dir, "requests.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(csvData), "\n"); lines != 7 {
		t.Errorf("requests.csv has %d lines, want a header and 6 rows", lines)
	}
	for _, f := range []string{"requests.jsonl", "summary.md", "metrics.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	_, err = execute(t, "run", "--engine", "offline", "--replications", "0", "testdata/small.yaml")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("--replications 0: %v", err)
	}
}

func TestBenchPrintsFigures(t *testing.T) {
	out, err := execute(t, "bench", "--requests", "40", "--server-requests", "0")
	if err != nil || !strings.Contains(out, "offline engine:  40 requests in") || !strings.Contains(out, "requests/s, CPU") ||
		!strings.Contains(out, "offline no-op:   40 baseline workflows") || !strings.Contains(out, "the baseline's CPU per request") ||
		!strings.Contains(out, "offline, steps as activities: 40 requests in") {
		t.Fatalf("bench: %v\n%s", err, out)
	}
}

func TestCompareWritesReports(t *testing.T) {
	dir := t.TempDir()
	out, err := execute(t, "compare", "testdata/small.yaml", "--set-policy", "*=permissive", "--out", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "## Requests whose outcome changed (1)") || !strings.Contains(out, "budapest.27.4.a") {
		t.Errorf("output:\n%s", out)
	}
	for _, f := range []string{"compare.html", "compare.md", "compare.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	_, err = execute(t, "compare", "testdata/small.yaml", "--set-policy", "*=lenient")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("unknown policy: %v", err)
	}
}

func TestScenariosListAndSchema(t *testing.T) {
	out, err := execute(t, "scenarios")
	if err != nil || strings.Count(out, "requests") < 10 {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = execute(t, "scenarios", "--schema")
	if err != nil || !strings.Contains(out, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
		t.Fatalf("%v\n%.300s", err, out)
	}
}

func TestShardedOfflineRunGivesTheSameResults(t *testing.T) {
	sc, engine, err := loadScenario("hanoi-stream")
	if err != nil {
		t.Fatal(err)
	}
	sc.Requests = sc.Requests[:240]
	saved := shardSize
	shardSize = 70
	defer func() { shardSize = saved }()
	sharded, err := offlineEngine(engine).Run(context.Background(), sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := sim.Offline{Rules: engine}.Run(context.Background(), sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sharded.Results) != len(whole.Results) {
		t.Fatalf("%d sharded results, %d in process", len(sharded.Results), len(whole.Results))
	}
	for i := range whole.Results {
		a, b := sharded.Results[i], whole.Results[i]
		if a.RequestID != b.RequestID || a.Status != b.Status || !a.Closed.Equal(b.Closed) {
			t.Fatalf("request %d: sharded %s %s %s, in process %s %s %s", i, a.RequestID, a.Status, a.Closed, b.RequestID, b.Status, b.Closed)
		}
	}
}

// Ctrl-C or SIGTERM stops a command within seconds, whatever it is doing: here a large offline run, of
// twenty replications of hanoi-stream (about 40 s of work here), signalled three seconds in.
func TestSIGTERMStopsARunWithinSeconds(t *testing.T) {
	cmd := exec.Command(os.Args[0], "run", "--engine", "offline", "--replications", "20", "hanoi-stream")
	cmd.Env = append(os.Environ(), "MLASIM_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Fatalf("exit %v after SIGTERM, want a non-zero code", err)
		}
		if !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("stderr does not say it was interrupted:\n%s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("still running 30 s after SIGTERM")
	}
}

func TestUnreachableClusterIsNamedAndExitsTwo(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	for _, args := range [][]string{{"run", "demo"}, {"decide", "some-request", "--kind", "grant"}, {"worker"}} {
		out, err := execute(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Fatalf("%s: err = %v, want exit code 2", args[0], err)
		}
		if !strings.Contains(out, "Temporal cluster 127.0.0.1:1, namespace default") {
			t.Errorf("%s: does not say where it runs: %q", args[0], out)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") || !strings.Contains(err.Error(), "TEMPORAL_ADDRESS") {
			t.Errorf("%s: error %q names neither the address nor what to do", args[0], err)
		}
	}
}

// A window out of range, or one given to the offline engine, is refused with exit 2 before anything
// runs: the unreachable address shows no cluster was dialled.
func TestRunRefusesABadWindow(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "demo", "--window", "501"}, "--window must be between 1 and 500 cases (0: the default of 200), not 501"},
		{[]string{"run", "demo", "--window", "-1"}, "not -1"},
		{[]string{"run", "demo", "--engine", "offline", "--window", "50"}, "the offline engine runs its cases without one"},
	} {
		out, err := execute(t, tc.args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want exit 2 with %q", tc.args, err, tc.want)
		}
		if strings.Contains(out, "127.0.0.1:1") {
			t.Errorf("%q: dialled the cluster before refusing: %q", tc.args, out)
		}
	}
}

// sweep writes the tidy table, the Parquet file and the report, resumes from the points it did, and
// refuses a parameter that names nothing with exit 2, before anything runs.
func TestSweepWritesAndResumes(t *testing.T) {
	dir := t.TempDir()
	args := []string{"sweep", "testdata/small.yaml", "--vary", "world.states[US].policy=permissive,strict-safeguards", "--replications", "2", "--out", dir}
	out, err := execute(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "2 of 2 grid points") {
		t.Errorf("output:\n%s", out)
	}
	for _, f := range []string{"sweep.csv", "sweep.parquet", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	points, _ := filepath.Glob(filepath.Join(dir, "points", "*.json"))
	if len(points) != 2 {
		t.Errorf("%d points kept", len(points))
	}
	if again, err := execute(t, args...); err != nil || strings.Count(again, "done in an earlier run") != 2 {
		t.Errorf("a second run: %v\n%s", err, again)
	}
	_, err = execute(t, "sweep", "testdata/small.yaml", "--vary", "world.countries[US].policy=permissive", "--out", t.TempDir())
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "names nothing in the scenario: it has no world.countries") {
		t.Errorf("a path that names nothing: %v", err)
	}
}

// The offline engine's process collects garbage as a batch job, unless the user set GOGC or GOMEMLIMIT.
func TestOfflineEngineTunesTheCollectorUnlessTheUserDid(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	batchGC()
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("GOGC %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != batchMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, batchMemoryLimit)
	}
	t.Setenv("GOGC", "150")
	batchGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set by the user: GOGC %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOGC set by the user: memory limit %d, want none", got)
	}
}
