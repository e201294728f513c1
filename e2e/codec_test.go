package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mlasim/mlasim/codec"
	"github.com/mlasim/mlasim/devserver"
	"github.com/mlasim/mlasim/scenarios"
	"github.com/mlasim/mlasim/stack"
	"github.com/mlasim/mlasim/starter"
)

// person is a name and address written into a scenario's titles, to be looked for in the database.
const person = "Ilse Marquardt-Oyelaran"
const email = "ilse.oyelaran@example.net"

// scenarioNaming writes the emergency scenario with a person named in its requests' titles.
func scenarioNaming(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "scenarios", "library", "emergency.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(b), "title: Subscriber and location data of the kidnapper's account",
		"title: Subscriber data of the account that holds "+person+" ("+email+")", 1)
	src = strings.Replace(src, "title: Identify the author of a live suicide threat",
		"title: Identify who threatens "+person, 1)
	if src == string(b) {
		t.Fatal("the emergency scenario's titles changed: update this test")
	}
	path := filepath.Join(t.TempDir(), "named.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newKey makes a fresh key: its key-file line and the keys a process reads from it.
func newKey(t *testing.T) (string, *codec.Keys) {
	t.Helper()
	line, err := codec.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := codec.Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return line, keys
}

// runStored runs the scenario on an embedded server that keeps its state in a file, and returns what the
// database files hold once the server has stopped, and the titles the client read back.
func runStored(t *testing.T, path string, keys *codec.Keys) (stored []byte, titles []string) {
	t.Helper()
	engine := builtinRules(t)
	sc, err := scenarios.Load(path, engine)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := stack.Start(context.Background(), stack.Options{StateDir: dir, AnyPort: true, Headless: true, Rules: engine, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := starter.Start(ctx, s.Client, sc.WithScale(sc.Clock.Scale*4))
	if err != nil {
		s.Stop()
		t.Fatal(err)
	}
	res, err := run.Results(ctx, nil)
	s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := starter.AllFinal(res); err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Results {
		titles = append(titles, r.Title)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "temporal.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, b...)
	}
	if len(stored) == 0 {
		t.Fatalf("no database file in %s", dir)
	}
	return stored, titles
}

// With a key, the database of the embedded server holds no trace of the person a case names, while every
// mlasim client still reads the case in clear. Without one, the same run leaves the name in the file: the
// check can fail.
func TestCaseFactsEncryptedAtRest(t *testing.T) {
	path := scenarioNaming(t)
	_, keys := newKey(t)
	stored, titles := runStored(t, path, keys)
	for _, needle := range []string{person, email, "Marquardt", "oyelaran@"} {
		if i := bytes.Index(stored, []byte(needle)); i >= 0 {
			t.Errorf("with encryption, the database holds %q: ...%q...", needle, stored[max(0, i-80):min(len(stored), i+80)])
		}
	}
	if !strings.Contains(strings.Join(titles, "\n"), person) {
		t.Errorf("the client did not read the titles back in clear: %q", titles)
	}
	if !bytes.Contains(stored, []byte(keys.Current)) {
		t.Errorf("the payloads do not name their key %s", keys.Current)
	}

	plain, _ := runStored(t, path, nil)
	if !bytes.Contains(plain, []byte(person)) {
		t.Errorf("without encryption the database should hold %q: the check above proves nothing", person)
	}
}

// The Web UI of an encrypting stack is told where its codec endpoint is, and the endpoint decrypts what
// the server stores: a person at the UI reads the case, the database does not.
func TestWebUIDecryptsThroughTheCodecEndpoint(t *testing.T) {
	_, keys := newKey(t)
	ports, err := devserver.FreePorts("127.0.0.1", 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := stack.Start(context.Background(), stack.Options{AnyPort: true, UIPort: ports[0], Rules: builtinRules(t), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if !strings.Contains(s.Describe(), s.Server.CodecAddress()) {
		t.Errorf("Describe does not say where the codec endpoint is:\n%s", s.Describe())
	}
	var settings struct{ Codec struct{ Endpoint string } }
	getJSON(t, s.Server.UIAddress()+"/api/v1/settings", &settings)
	if settings.Codec.Endpoint != s.Server.CodecAddress() || settings.Codec.Endpoint == "" {
		t.Fatalf("the Web UI's codec endpoint is %q, want %q", settings.Codec.Endpoint, s.Server.CodecAddress())
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "nobody-polls-this"}, "AnyWorkflow", person)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := s.Client.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: run.GetID()}})
	if err != nil {
		t.Fatal(err)
	}
	stored := hist.History.Events[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
	if bytes.Contains(stored.Payloads[0].Data, []byte(person)) {
		t.Fatal("the server stores the input in clear")
	}
	body, _ := protojson.Marshal(stored)
	req, _ := http.NewRequest(http.MethodPost, settings.Codec.Endpoint+"/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", s.Server.UIAddress())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var decoded commonpb.Payloads
	b, _ := io.ReadAll(resp.Body)
	if err := protojson.Unmarshal(b, &decoded); err != nil || len(decoded.Payloads) != 1 {
		t.Fatalf("decode answered %d %s (%v)", resp.StatusCode, b, err)
	}
	if got := string(decoded.Payloads[0].Data); got != `"`+person+`"` {
		t.Errorf("decoded %q", got)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != s.Server.UIAddress() {
		t.Errorf("the endpoint allows origin %q, want the Web UI's %q", got, s.Server.UIAddress())
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}
