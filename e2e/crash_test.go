package e2e

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/mlasim/mlasim/devserver"
	"github.com/mlasim/mlasim/scenarios"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// mlasimBinary is the mlasim binary to run as a separate process: MLASIM_BIN, or one built once for
// this test binary.
func mlasimBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv(envBinary); bin != "" {
		return bin
	}
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mlasim-e2e-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "mlasim")
		if out, err := exec.Command("go", "build", "-o", binaryPath, "../cmd/mlasim").CombinedOutput(); err != nil {
			binaryErr = fmt.Errorf("%w\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatalf("building mlasim: %v", binaryErr)
	}
	return binaryPath
}

// devProcess is `mlasim dev` run as its own process, so the test can kill it with SIGKILL.
type devProcess struct {
	t    *testing.T
	bin  string
	args []string
	cmd  *exec.Cmd
	log  *os.File
}

func (d *devProcess) start() {
	d.t.Helper()
	d.cmd = exec.Command(d.bin, d.args...)
	d.cmd.Stderr = d.log
	out, err := d.cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "Running;") {
				ready <- true
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case <-ready:
	case <-time.After(time.Minute):
		d.t.Fatal("mlasim dev did not start within a minute")
	}
}

func (d *devProcess) kill() {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
}

// Kill -9 of the embedded server (and its worker) at random points of a run loses nothing: each restart
// resumes from the SQLite file, and every request ends with the outcome the offline engine gives.
func TestKillNineOfTheEmbeddedServerLosesNothing(t *testing.T) {
	bin := mlasimBinary(t)
	ports, err := devserver.FreePorts("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	log, err := os.Create(filepath.Join(t.TempDir(), "dev.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	dev := &devProcess{t: t, bin: bin, log: log,
		args: []string{"dev", "--headless", "--state-dir", t.TempDir(), "--port", strconv.Itoa(ports[0])}}
	dev.start()
	defer func() { dev.kill() }()

	c, err := client.Dial(client.Options{HostPort: addr, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := scenarios.Builtin("demo", builtinRules(t))
	if err != nil {
		t.Fatal(err)
	}

	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	const kills = 5
	done := make(chan struct{})
	var crashes sync.WaitGroup
	crashes.Add(1)
	go func() {
		defer crashes.Done()
		for i := 0; i < kills; i++ {
			select {
			case <-done:
				return
			case <-time.After(time.Duration(500+rng.IntN(2500)) * time.Millisecond):
			}
			dev.kill()
			dev.start()
			t.Logf("kill -9 and restart %d of %d", i+1, kills)
		}
	}()
	runAndCompare(t, c, sc, sc.WithScale(sc.Clock.Scale*2), nil)
	close(done)
	crashes.Wait()
	if t.Failed() {
		b, _ := os.ReadFile(log.Name())
		t.Logf("seed %d; mlasim dev log:\n%s", seed, b)
	}
}
