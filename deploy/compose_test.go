// Package deploy holds the deployments of mlasim on a Temporal cluster: cluster.sh (a standalone server on
// PostgreSQL without Docker) and, at the repository's top, docker-compose.yml. This test checks the
// compose file as Docker Compose reads it.
package deploy

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// load reads docker-compose.yml with Compose's own loader, every profile on, in the environment env.
func load(t *testing.T, env ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join("..", "docker-compose.yml")},
		cli.WithEnv(env), cli.WithProfiles([]string{"codec", "client"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker compose would not load docker-compose.yml: %v", err)
	}
	return p
}

// moduleVersion is the version go.mod requires of a module, without its "v".
func moduleVersion(t *testing.T, module string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(module) + ` v(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("go.mod does not require %s", module)
	}
	return string(m[1])
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q", name)
	}
	return s
}

func TestImagesArePinnedToTheVersionsMlasimTests(t *testing.T) {
	p := load(t)
	server := moduleVersion(t, "go.temporal.io/server")
	ui := moduleVersion(t, "github.com/temporalio/ui-server/v2")
	want := map[string]string{
		"temporal":        "temporalio/server:" + server,
		"temporal-schema": "temporalio/admin-tools:" + server,
		"temporal-ui":     "temporalio/ui:" + ui,
	}
	for name, image := range want {
		if got := service(t, p, name).Image; got != image {
			t.Errorf("%s runs %q, want %q (the version in go.mod)", name, got, image)
		}
	}
	pinned := regexp.MustCompile(`:\d+\.\d+(\.\d+)?$`)
	for name, s := range p.Services {
		if s.Image == "mlasim:local" {
			continue
		}
		if strings.Contains(s.Image, "auto-setup") || !pinned.MatchString(s.Image) {
			t.Errorf("%s: image %q is not pinned to a release (or is the deprecated auto-setup)", name, s.Image)
		}
	}
}

func TestPortsListenOnLoopbackUnlessTheUserChooses(t *testing.T) {
	published := 0
	for name, s := range load(t).Services {
		for _, port := range s.Ports {
			published++
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s on %q, want 127.0.0.1 by default", name, port.Published, port.HostIP)
			}
		}
	}
	if published < 3 {
		t.Errorf("%d ports published, want the frontend, the Web UI and the codec endpoint", published)
	}
	for name, s := range load(t, "MLASIM_BIND=0.0.0.0").Services {
		for _, port := range s.Ports {
			if port.HostIP != "0.0.0.0" {
				t.Errorf("with MLASIM_BIND=0.0.0.0, %s publishes %s on %q", name, port.Published, port.HostIP)
			}
		}
	}
}

func TestSetupRunsBeforeWorkers(t *testing.T) {
	p := load(t)
	after := func(name, dep, condition string) {
		t.Helper()
		d, ok := service(t, p, name).DependsOn[dep]
		if !ok || d.Condition != condition {
			t.Errorf("%s should wait for %s to be %s; depends_on is %+v", name, dep, condition, service(t, p, name).DependsOn)
		}
	}
	after("temporal-schema", "postgresql", types.ServiceConditionHealthy)
	after("temporal", "temporal-schema", types.ServiceConditionCompletedSuccessfully)
	after("mlasim-setup", "temporal", types.ServiceConditionHealthy)
	after("worker", "mlasim-setup", types.ServiceConditionCompletedSuccessfully)
	after("temporal-ui", "mlasim-setup", types.ServiceConditionCompletedSuccessfully)

	if cmd := service(t, p, "mlasim-setup").Command; len(cmd) == 0 || cmd[0] != "setup" {
		t.Errorf("mlasim-setup runs %v, want 'mlasim setup' (namespace and search attributes)", cmd)
	}
	if cmd := service(t, p, "worker").Command; len(cmd) == 0 || cmd[0] != "worker" {
		t.Errorf("worker runs %v", cmd)
	}

	schema := service(t, p, "temporal-schema")
	script := ""
	for _, v := range schema.Volumes {
		if strings.HasSuffix(v.Source, "compose-schema.sh") {
			script = v.Source
		}
	}
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatalf("temporal-schema mounts no schema script (%v): %v", schema.Volumes, err)
	}
	for _, want := range []string{"temporal_visibility", "setup-schema", "update-schema", "postgres12"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not %s", script, want)
		}
	}
}

func TestClientsUseTheStandardTemporalSettings(t *testing.T) {
	p := load(t, "MLASIM_CODEC_KEY=k1:c2VjcmV0")
	for _, name := range []string{"mlasim-setup", "worker", "mlasim"} {
		env := service(t, p, name).Environment
		for k, want := range map[string]string{"TEMPORAL_ADDRESS": "temporal:7233", "TEMPORAL_NAMESPACE": "default"} {
			if v := env[k]; v == nil || *v != want {
				t.Errorf("%s: %s is %v, want %q", name, k, v, want)
			}
		}
	}
	for _, name := range []string{"worker", "mlasim", "codec"} {
		if v := service(t, p, name).Environment["MLASIM_CODEC_KEY"]; v == nil || *v != "k1:c2VjcmV0" {
			t.Errorf("%s does not pass MLASIM_CODEC_KEY on: %v", name, v)
		}
	}
}
