package workflows_test

import (
	"strings"
	"testing"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/workflows"
)

// Past the deadline the requesting State gave, the requested State says the request is late, at the
// deadline's legal time and once; a requesting State that no longer needs the assistance then withdraws
// it; a request that meets its deadline gets no notice.
func TestTheRequestedStateSaysARequestIsLate(t *testing.T) {
	for _, c := range []struct {
		name     string
		deadline float64 // legal days
		withdraw bool
		want     mla.Status
		notices  int
	}{
		{"late", 20, false, mla.StatusCompleted, 1},
		{"late, no longer needed", 20, true, mla.StatusWithdrawn, 1},
		{"in time", 120, false, mla.StatusCompleted, 0},
		{"late before screening", 5, true, mla.StatusWithdrawn, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(t)
			in := input(t, "standard", func(r *mla.Request) {
				r.Deadline = mla.Duration(c.deadline * float64(mla.Day))
				r.WithdrawsIfLate = c.withdraw
			})
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			res := result(t, env)
			if res.Status != c.want {
				t.Fatalf("status %s, want %s: %v", res.Status, c.want, res.Timeline)
			}
			var notices []mla.Event
			for _, e := range res.Timeline {
				if e.Stage == "delay" {
					notices = append(notices, e)
				}
			}
			if len(notices) != c.notices {
				t.Fatalf("%d notices, want %d: %v", len(notices), c.notices, res.Timeline)
			}
			if c.notices == 0 {
				return
			}
			n := notices[0]
			due := res.Sent.Add(in.Request.Deadline.D())
			if c.deadline < 10 { // the deadline passed in transmission: said once the screening finds the duty
				for _, e := range res.Timeline {
					if e.Stage == "screening" {
						due = e.At
					}
				}
			}
			if !n.At.Equal(due) || !strings.Contains(n.Text, "ZZ informs AA that the request is not executed within the deadline of "+in.Request.Deadline.String()+" it gave") ||
				len(n.Citations) == 0 || n.Citations[0].RuleID != "uncc.40.progress" {
				t.Errorf("notice %+v, due at %s", n, due)
			}
			if c.withdraw && !hasEvent(res, "withdrawal", "told that its deadline will not be met, it no longer needs the assistance") {
				t.Errorf("timeline %v", res.Timeline)
			}
		})
	}
}

// Under the UNCC an oral request made without urgency, in a language the requested State does not
// accept, lacks its written form and a translation: the requested State asks for both, and a requesting
// State that supplies them has the request executed; one that does not sees it refused for
// non-conformity.
func TestFormAndLanguageAreAskedFor(t *testing.T) {
	for _, answers := range []bool{true, false} {
		t.Run(map[bool]string{true: "supplied", false: "not supplied"}[answers], func(t *testing.T) {
			env := newEnv(t)
			in := input(t, "standard", func(r *mla.Request) {
				r.Form, r.Language = mla.FormOral, "ru"
				r.AnswersInformation = new(answers)
			})
			in.Requested.Languages = []string{"fr", "en"}
			env.ExecuteWorkflow(workflows.RequestWorkflow, in)
			res := result(t, env)
			if !hasEvent(res, "drafting", "the request leaves out required contents: the request in writing") ||
				!hasEvent(res, "additional information", "a translation into a language ZZ accepts (fr, en)") {
				t.Errorf("timeline %v", res.Timeline)
			}
			want := mla.StatusCompleted
			if !answers {
				want = mla.StatusRefused
			}
			if res.Status != want || !answers && res.Decision.Grounds[0] != "non-conformity" {
				t.Errorf("status %s decision %+v, want %s", res.Status, res.Decision, want)
			}
		})
	}
}
