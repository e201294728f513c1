package scenarios

import (
	"strings"
	"testing"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
)

// FuzzParse feeds the loader arbitrary scenario files: it must never panic, every error must name the
// file, and a scenario it accepts must hold only requests the domain finds valid, with legal times the
// engines can represent.
func FuzzParse(f *testing.F) {
	for _, n := range Names() {
		b, err := library.ReadFile("library/" + n + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		if n != "hanoi-stream" && n != "eif-ratifications" && !strings.HasPrefix(n, "speech-") {
			f.Add(b)
		}
	}
	f.Add([]byte(good))
	engine, err := rules.LoadBuiltin()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		sc, err := Parse("fuzz.yaml", data, nil, engine)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error not located in the file: %v", err)
			}
			return
		}
		reqs := make([]mla.Request, len(sc.Requests))
		for i, p := range sc.Requests {
			reqs[i] = p.Request
			if p.Request.Backlog < 0 || sc.Clock.Start.Add(p.Request.At.D()).Year() > mla.MaxDate.Year()+100 {
				t.Fatalf("request %s: backlog %s, sent %s", p.Request.ID, p.Request.Backlog, sc.Clock.Start.Add(p.Request.At.D()))
			}
		}
		if ps := mla.ValidateRequests(reqs, sc.States); len(ps) > 0 {
			t.Fatalf("accepted a scenario with invalid requests: %v", ps)
		}
	})
}
