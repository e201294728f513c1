package starter

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mlasim/mlasim/mla"
)

func at(day int) time.Time { return time.Date(2027, 1, day, 9, 0, 0, 0, time.UTC) }

// Events seen in the wrong order across requests print in legal-time order; an event still held keeps
// every later one waiting; one request's events keep their order.
func TestFollowerPrintsInLegalTimeOrder(t *testing.T) {
	var out bytes.Buffer
	f := &Follower{Out: &out, printed: map[string]int{}}
	f.add("b", []mla.Event{{At: at(5), Text: "b on day 5"}, {At: at(5), Text: "b again on day 5"}})
	f.add("a", []mla.Event{{At: at(3), Text: "a on day 3"}})
	f.flush(time.Now().Add(time.Second)) // all old enough
	f.add("a", []mla.Event{{At: at(3), Text: "a on day 3"}, {At: at(7), Text: "a on day 7"}})
	held := time.Now()
	f.add("c", []mla.Event{{At: at(6), Text: "c on day 6"}})
	f.pending[len(f.pending)-1].seen = held.Add(time.Hour) // c was seen just now: held
	f.flush(held.Add(time.Minute))
	if strings.Contains(out.String(), "day 7") {
		t.Errorf("a's day 7 printed while c's day 6 was still held:\n%s", out.String())
	}
	f.flush(time.Time{})
	var order []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		order = append(order, l[strings.Index(l, " on day")-1:])
	}
	want := []string{"a on day 3", "b on day 5", "n on day 5", "c on day 6", "a on day 7"}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("order %q, want %q", order, want)
	}
}

// Timeline lines fit a terminal of LineWidth columns.
func TestEventLinesFitTheTerminal(t *testing.T) {
	e := mla.Event{At: at(1), Status: mla.StatusTransferring, State: "PT", Actor: mla.ActorRequestedCA,
		Text: strings.Repeat("the requested State screens the request against the strict policy and finds ", 4),
		Citations: []mla.Citation{{RuleID: "uncc.40.nd", Article: "UNCC Art 40(22)", Tag: mla.TagSecondary},
			{RuleID: "uncc.40.dual-criminality", Article: "UNCC Art 40(8)", Tag: mla.TagSecondary},
			{RuleID: "budapest.27.4.a", Article: "Budapest Art 27(4)(a)", Tag: mla.TagPrimary}}}
	text := FormatEvent("ransomware-preservation", e)
	for _, l := range strings.Split(text, "\n") {
		if utf8.RuneCountInString(l) > LineWidth {
			t.Errorf("line of %d columns: %q", utf8.RuneCountInString(l), l)
		}
	}
	if !strings.Contains(text, "uncc.40.nd UNCC Art 40(22) [S]") || strings.Count(text, "\n") < 2 {
		t.Errorf("event:\n%s", text)
	}
}
