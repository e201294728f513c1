package offline

import (
	"strings"
	"testing"

	"github.com/mlasim/mlasim/activities"
	"github.com/mlasim/mlasim/mla"
)

// The in-process converter must behave as a server between sender and receiver: what the sender changes
// after sending is not seen, each reader gets a value of its own, and a value decodes into a value or a
// pointer alike.
func TestInProcessPayloadsShareNothing(t *testing.T) {
	c := &inProcess{}
	sent := activities.ScreenInput{Policy: "standard", SkipTags: []mla.Tag{mla.TagUnconfirmed}}
	p, err := c.ToPayload(sent)
	if err != nil {
		t.Fatal(err)
	}
	sent.SkipTags[0] = mla.TagPrimary // the sender goes on with its own value

	var first activities.ScreenInput
	if err := c.FromPayload(p, &first); err != nil {
		t.Fatal(err)
	}
	if first.Policy != "standard" || len(first.SkipTags) != 1 || first.SkipTags[0] != mla.TagUnconfirmed {
		t.Fatalf("first reader got %+v, want the value as it was sent", first)
	}
	first.SkipTags[0] = mla.TagSecondary // the first reader changes what it took

	var again *activities.ScreenInput // a retry decodes the input again, here into a pointer
	if err := c.FromPayload(p, &again); err != nil {
		t.Fatal(err)
	}
	if again == nil || again.SkipTags[0] != mla.TagSecondary {
		t.Fatalf("second reader got %+v, want a copy of what the first reader holds", again)
	}
	again.SkipTags[0] = mla.TagPrimary
	if first.SkipTags[0] != mla.TagSecondary {
		t.Fatal("the second reader's value shares memory with the first reader's")
	}

	var untyped any // a value decoded into an interface is the value sent, not a pointer to it
	if err := c.FromPayload(p, &untyped); err != nil {
		t.Fatal(err)
	}
	if _, ok := untyped.(activities.ScreenInput); !ok {
		t.Fatalf("decoded into an interface: %T, want activities.ScreenInput", untyped)
	}

	if s := c.ToString(p); !strings.Contains(s, "Policy:standard") || strings.HasPrefix(s, "&") || strings.HasPrefix(s, "0x") {
		t.Fatalf("ToString = %q, want the value sent", s)
	}

	var wrong activities.OrderInput
	if err := c.FromPayload(p, &wrong); err == nil || !strings.Contains(err.Error(), "ScreenInput") {
		t.Fatalf("decoding a ScreenInput into an OrderInput: err = %v, want one naming both types", err)
	}
}

// A value that is not a struct (a string, a slice) is copied and decoded too.
func TestInProcessPayloadsOfOtherKinds(t *testing.T) {
	c := &inProcess{}
	ids := []string{"a", "b"}
	p, err := c.ToPayload(ids)
	if err != nil {
		t.Fatal(err)
	}
	ids[0] = "changed"
	var got []string
	if err := c.FromPayload(p, &got); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,b" {
		t.Fatalf("got %v, want [a b]", got)
	}
	p, err = c.ToPayload("word")
	if err != nil {
		t.Fatal(err)
	}
	var w string
	if err := c.FromPayload(p, &w); err != nil || w != "word" {
		t.Fatalf("got %q, %v", w, err)
	}
}
