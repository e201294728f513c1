package main

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/mlasim/mlasim/devserver"
)

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

func TestHelpExplainsEveryCommand(t *testing.T) {
	for _, cmd := range []string{"demo", "dev", "worker", "run", "decide", "scenarios"} {
		out, err := execute(t, cmd, "--help")
		if err != nil || !strings.Contains(out, "Usage:") || len(out) < 200 {
			t.Errorf("%s --help: %v\n%s", cmd, err, out)
		}
	}
}
