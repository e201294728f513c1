package workflows

import (
	"strings"
	"testing"
)

// Two messages that reach a workflow in the same task both pass their validators before either handler
// runs; the inbox lets the first in and refuses the second, and a taken message is gone.
func TestInboxTakesOneMessageOnce(t *testing.T) {
	b := inbox[DecisionUpdate]{name: UpdateDecide}
	if err := b.refuse("r1"); err == nil || !strings.Contains(err.Error(), "not waiting") {
		t.Fatalf("closed inbox: %v", err)
	}
	b.opened()
	first, second := b.refuse("r1"), b.refuse("r1")
	if first != nil || second != nil {
		t.Fatal("both validators must pass while the inbox is empty")
	}
	if err := b.put("r1", DecisionUpdate{By: "A"}); err != nil {
		t.Fatal(err)
	}
	if err := b.put("r1", DecisionUpdate{By: "B"}); err == nil || !strings.Contains(err.Error(), "already has an answer") {
		t.Fatalf("second message: %v", err)
	}
	if got := b.take(); got.By != "A" || b.filled() {
		t.Fatalf("took %+v, filled %v", got, b.filled())
	}
	b.closed()
	if err := b.put("r1", DecisionUpdate{By: "C"}); err == nil {
		t.Fatal("a message after the step was accepted")
	}
}
