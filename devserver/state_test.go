package devserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateFolderIsPrivateAndALostDatabaseIsReported(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	created := 0
	create := func() error {
		created++
		return os.WriteFile(filepath.Join(dir, "temporal.db"), []byte("db"), 0o644)
	}
	if err := PrepareState(dir, create); err != nil {
		t.Fatal(err)
	}
	if created != 1 {
		t.Fatalf("schema created %d times, want 1", created)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "temporal.db"): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	// A restart on the same folder keeps the database.
	if err := PrepareState(dir, create); err != nil || created != 1 {
		t.Fatalf("restart: err %v, schema created %d times", err, created)
	}
	// The database is gone: the restart says so and creates nothing.
	if err := os.Remove(filepath.Join(dir, "temporal.db")); err != nil {
		t.Fatal(err)
	}
	err := PrepareState(dir, create)
	if err == nil || !strings.Contains(err.Error(), "is gone") || !strings.Contains(err.Error(), stateMarker) {
		t.Fatalf("lost database: got %v, want an error saying the state file is gone and how to start anew", err)
	}
	if created != 1 {
		t.Fatalf("an empty database was created in place of the lost one")
	}
}
