package codec

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

func keys(t *testing.T, lines ...string) *Keys {
	t.Helper()
	k, err := Parse([]byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newLine(t *testing.T) string {
	t.Helper()
	l, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRoundTripHidesTheFacts(t *testing.T) {
	k := keys(t, newLine(t))
	dc := DataConverter(k)
	secret := map[string]string{"person": "Mira Halloran", "email": "mira@example.org"}
	p, err := dc.ToPayload(secret)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte("Halloran")) || bytes.Contains(p.Metadata["encoding"], []byte("json")) {
		t.Fatalf("payload is not encrypted: %q %q", p.Metadata, p.Data)
	}
	if got := string(p.Metadata[MetadataKeyID]); got != k.Current {
		t.Errorf("key ID in metadata %q, want %q", got, k.Current)
	}
	var back map[string]string
	if err := dc.FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if back["person"] != "Mira Halloran" || back["email"] != "mira@example.org" {
		t.Errorf("round trip gave %v", back)
	}
	// Two encryptions of the same value differ (fresh nonce).
	p2, _ := dc.ToPayload(secret)
	if bytes.Equal(p.Data, p2.Data) {
		t.Error("the same value encrypted twice gave the same bytes")
	}
}

func TestRotationAndUnknownKeys(t *testing.T) {
	oldLine, newer := newLine(t), newLine(t)
	old := keys(t, oldLine)
	p, err := DataConverter(old).ToPayload("a fact")
	if err != nil {
		t.Fatal(err)
	}
	// A key file with a new first key still reads what the old key wrote.
	rotated := keys(t, "# rotated in December", newer, "", oldLine)
	var s string
	if err := DataConverter(rotated).FromPayload(p, &s); err != nil || s != "a fact" {
		t.Fatalf("rotated keys read %q, %v", s, err)
	}
	if rotated.Current == old.Current {
		t.Fatal("the first line's key should encrypt")
	}
	// A process without the key says which key it lacks.
	err = DataConverter(keys(t, newer)).FromPayload(p, &s)
	if err == nil || !strings.Contains(err.Error(), old.Current) {
		t.Fatalf("decoding with the wrong key: %v", err)
	}
	// Tampering is detected.
	p.Data[len(p.Data)-1] ^= 1
	if err := DataConverter(old).FromPayload(p, &s); err == nil {
		t.Fatal("a tampered payload decrypted")
	}
}

func TestUnencryptedPayloadsPassThrough(t *testing.T) {
	p, err := converter.GetDefaultDataConverter().ToPayload("written before encryption")
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := DataConverter(keys(t, newLine(t))).FromPayload(p, &s); err != nil || s != "written before encryption" {
		t.Fatalf("got %q, %v", s, err)
	}
}

func TestBadKeysNameTheirLine(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	good := newLine(t)
	for name, tc := range map[string]struct{ file, want string }{
		"short key":   {"# keys\n" + good + "\nk2 " + short, "line 3: the key is 16 bytes; AES-256 needs 32"},
		"not base64":  {"k1 not*base64", "line 1: the key is not base64"},
		"three words": {"k1 a b", `line 1: want "ID BASE64-KEY"`},
		"duplicate":   {good + "\n" + good, "line 2: key ID"},
		"empty":       {"# nothing\n\n", "no key in the file"},
	} {
		_, err := Parse([]byte(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to say %q", name, err, tc.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvKeyFile, "")
	t.Setenv(EnvKey, "")
	if k, err := FromEnv(); k != nil || err != nil {
		t.Fatalf("no settings gave %v, %v", k, err)
	}
	line := newLine(t)
	id, b64, _ := strings.Cut(line, " ")
	t.Setenv(EnvKey, "ops-2026:"+b64)
	if k, err := FromEnv(); err != nil || k.Current != "ops-2026" {
		t.Fatalf("MLASIM_CODEC_KEY with an ID gave %v, %v", k, err)
	}
	t.Setenv(EnvKey, b64)
	if k, err := FromEnv(); err != nil || k.Current != id {
		t.Fatalf("MLASIM_CODEC_KEY without an ID gave %v, %v; want the derived ID %s", k, err, id)
	}
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("k1 short"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvKeyFile, path)
	_, err := FromEnv()
	if err == nil || !strings.Contains(err.Error(), EnvKeyFile+" "+path+": line 1") {
		t.Fatalf("a bad key file gave %v", err)
	}
	t.Setenv(EnvKeyFile, filepath.Join(t.TempDir(), "missing"))
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), EnvKeyFile) {
		t.Fatalf("a missing key file gave %v", err)
	}
}

func TestHandlerDecodesForTheWebUI(t *testing.T) {
	k := keys(t, newLine(t))
	p, err := DataConverter(k).ToPayload("Mira Halloran")
	if err != nil {
		t.Fatal(err)
	}
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(k, "http://127.0.0.1:8233"))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
	req.Header.Set("Origin", "http://127.0.0.1:8233")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://127.0.0.1:8233" {
		t.Errorf("preflight from the UI's origin allowed %q", got)
	}

	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), base64.StdEncoding.EncodeToString([]byte(`"Mira Halloran"`))) {
		t.Fatalf("decode answered %d %s", resp.StatusCode, out)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("another origin was allowed: %q", got)
	}
}
