package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"

	"github.com/mlasim/mlasim/worker"
	"github.com/mlasim/mlasim/workflows"
)

// mlasim setup on a namespace the cluster lacks registers it and the search attributes; run again, it
// finds them and changes nothing.
func TestSetupPreparesANewNamespace(t *testing.T) {
	s := start(t, "", 0)
	defer s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := worker.Prepare(ctx, s.Client, "training-room", 24*time.Hour, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "registered namespace training-room") || !strings.Contains(out.String(), "search attributes registered") {
		t.Errorf("setup said:\n%s", out.String())
	}
	have, err := s.Client.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "training-room"})
	if err != nil {
		t.Fatal(err)
	}
	for name := range workflows.SearchAttributes {
		if _, ok := have.CustomAttributes[name]; !ok {
			t.Errorf("search attribute %s is missing on the new namespace", name)
		}
	}
	out.Reset()
	if err := worker.Prepare(ctx, s.Client, "training-room", 24*time.Hour, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "namespace training-room exists") {
		t.Errorf("setup run again said:\n%s", out.String())
	}
}
