package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/codec"
	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/offline"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/starter"
)

// The cluster test runs against a standalone Temporal server on PostgreSQL, as deploy/cluster.sh stands
// it up; .ci/run does that and sets these.
const (
	envCluster = "MLASIM_CLUSTER"    // host:port of the cluster's frontend
	envBinary  = "MLASIM_BIN"        // the mlasim binary the workers run (built here when unset)
	envDB      = "MLASIM_CLUSTER_DB" // PostgreSQL URL of the cluster's databases, for pg_dump
)

// TestClusterMatchesOffline runs two `mlasim worker` processes on the cluster with payload encryption on,
// runs the demo and a 2,000-request scenario, kills one worker with SIGKILL while the large run is under
// way, and checks that every request's outcome equals the offline engine's, and that the cluster's
// database holds none of a case's personal data.
func TestClusterMatchesOffline(t *testing.T) {
	addr := os.Getenv(envCluster)
	if addr == "" {
		t.Skipf("no cluster: set %s to a Temporal frontend set up by deploy/cluster.sh (.ci/run does)", envCluster)
	}
	bin := mlasimBinary(t)
	keyFile := filepath.Join(t.TempDir(), "keys")
	line, keys := newKey(t)
	if err := os.WriteFile(keyFile, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TEMPORAL_ADDRESS="+addr, "TEMPORAL_NAMESPACE=default", codec.EnvKeyFile+"="+keyFile, codec.EnvKey+"=")
	workers := []*exec.Cmd{startWorker(t, bin, env, "worker-1"), startWorker(t, bin, env, "worker-2")}

	opts := client.Options{HostPort: addr, Namespace: "default"}
	codec.Apply(&opts, keys)
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	engine := builtinRules(t)

	named, err := scenarios.Load(scenarioNaming(t), engine)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := scenarios.Builtin("demo", engine)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []*scenarios.Scenario{demo, named} {
		runAndCompare(t, c, sc, sc.WithScale(sc.Clock.Scale*4), nil)
	}

	stream, err := scenarios.Builtin("hanoi-stream", engine)
	if err != nil {
		t.Fatal(err)
	}
	large := stream.WithLimit(2000)
	killed := false
	runAndCompare(t, c, large, large.WithScale(large.Clock.Scale*8), func(done, total int) {
		if !killed && done >= total/4 {
			killed = true
			t.Logf("killing worker-1 (pid %d) with SIGKILL at %d of %d requests", workers[0].Process.Pid, done, total)
			if err := workers[0].Process.Kill(); err != nil {
				t.Errorf("killing a worker: %v", err)
			}
		}
	})
	if !killed {
		t.Error("the large run ended before a worker was killed")
	}

	if url := os.Getenv(envDB); url != "" {
		for _, db := range []string{"temporal", "temporal_visibility"} {
			dump := pgDump(t, url+"/"+db)
			for _, needle := range []string{person, email, "Marquardt"} {
				if bytes.Contains(dump, []byte(needle)) || bytes.Contains(dump, []byte(hex.EncodeToString([]byte(needle)))) {
					t.Errorf("database %s holds %q", db, needle)
				}
			}
			if db == "temporal" && !bytes.Contains(dump, []byte(hex.EncodeToString([]byte(keys.Current)))) {
				t.Errorf("database %s does not hold the key ID %s of the encrypted payloads: the dump proves nothing", db, keys.Current)
			}
		}
	} else {
		t.Logf("%s not set: the database was not searched for personal data", envDB)
	}
}

func startWorker(t *testing.T, bin string, env []string, name string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "worker", "--log-level", "error")
	cmd.Env = env
	logFile, err := os.Create(filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("%s log:\n%s", name, b)
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case ready <- sc.Text():
			default:
			}
		}
	}()
	select {
	case l := <-ready:
		if !strings.Contains(l, "mlasim worker on namespace default") {
			t.Fatalf("%s said %q", name, l)
		}
	case <-time.After(time.Minute):
		t.Fatalf("%s did not start within a minute", name)
	}
	return cmd
}

// runAndCompare runs live on the cluster and sc offline, and checks that every request has the same
// outcome, timeline included, on both engines. progress sees the live run's progress.
func runAndCompare(t *testing.T, c client.Client, sc, live *scenarios.Scenario, progress func(done, total int)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Minute)
	defer cancel()
	began := time.Now()
	run, err := starter.Start(ctx, c, live)
	if err != nil {
		t.Fatal(err)
	}
	res, err := run.Results(ctx, progress)
	if err != nil {
		p, perr := run.Progress(context.Background())
		t.Fatalf("%s after %s: %v (the run had %d of %d requests done, %d running; %v)", sc.ID, time.Since(began).Round(time.Second), err, p.Done, p.Total, p.Running, perr)
	}
	t.Logf("%s: %d requests live in %s", sc.ID, len(res.Results), time.Since(began).Round(time.Second))
	if err := starter.AllFinal(res); err != nil {
		t.Fatal(err)
	}
	off, err := offline.Run(ctx, offline.InputOf(sc), builtinRules(t), offline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(off.Results) != len(res.Results) {
		t.Fatalf("%s: %d requests offline, %d on the cluster", sc.ID, len(off.Results), len(res.Results))
	}
	differ := 0
	for i, r := range res.Results {
		if a, b := comparable(t, r), comparable(t, off.Results[i]); a != b {
			if differ++; differ <= 3 {
				t.Errorf("%s %s differs:\ncluster %s\noffline %s", sc.ID, r.RequestID, a, b)
			}
		}
	}
	if differ > 0 {
		t.Errorf("%s: %d of %d requests differ between the cluster and the offline engine", sc.ID, differ, len(res.Results))
	}
}

// comparable is an outcome as JSON without its workflow IDs, which differ between runs by design.
func comparable(t *testing.T, o mla.Outcome) string {
	t.Helper()
	for p := &o; p != nil; p = p.Onward {
		p.WorkflowID = ""
		if p.Onward != nil {
			cp := *p.Onward
			p.Onward = &cp
		}
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func pgDump(t *testing.T, url string) []byte {
	t.Helper()
	out, err := exec.Command("pg_dump", "--data-only", url).Output()
	if err != nil {
		t.Fatalf("pg_dump %s: %v", url, err)
	}
	if len(out) < 1000 {
		t.Fatalf("pg_dump %s gave %d bytes", url, len(out))
	}
	return out
}

// TestTrainingOnCluster runs `mlasim train --cluster` against the cluster with an `mlasim worker` of its
// own, and plays the seats-journalist session in a browser through the links the command prints, as the
// embedded-server test does, until the console says the session ended.
func TestTrainingOnCluster(t *testing.T) {
	addr := os.Getenv(envCluster)
	if addr == "" {
		t.Skipf("no cluster: set %s to a Temporal frontend set up by deploy/cluster.sh (.ci/run does)", envCluster)
	}
	bin := mlasimBinary(t)
	env := append(os.Environ(), "TEMPORAL_ADDRESS="+addr, "TEMPORAL_NAMESPACE=default", codec.EnvKeyFile+"=", codec.EnvKey+"=")
	startWorker(t, bin, env, "worker-train")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	browser := browserContext(t, ctx)

	cmd := exec.CommandContext(ctx, bin, "train", "--cluster", "--addr", "127.0.0.1:0", "seats-journalist")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("mlasim train's stderr:\n%s", stderr.String())
		}
	}()
	console, seats := "", map[string]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "Give each trainee") {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "console":
			console = f[1]
		case len(f) >= 4 && f[0] == "seat":
			// seat <role of several words> <State> <URL>
			seats[strings.Join(f[1:len(f)-2], " ")+" "+f[len(f)-2]] = f[len(f)-1]
		}
	}
	if console == "" || len(seats) == 0 {
		t.Fatalf("mlasim train printed no console or seats (console %q, seats %v)", console, seats)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	seat := func(role mla.Actor, state string) string {
		u, ok := seats[string(role)+" "+state]
		if !ok {
			t.Fatalf("mlasim train printed no seat %s %s; it printed %v", role, state, seats)
		}
		return u
	}
	trainer := playSeatsJournalist(t, browser, console, seat)
	home, err := url.Parse(console)
	if err != nil {
		t.Fatal(err)
	}
	home.Path, home.RawQuery = "/console", ""
	run(t, trainer, "the console says the session ended", chromedp.Navigate(home.String()),
		chromedp.WaitVisible(`//strong[@id="session-state" and text()="session ended"]`))
}
