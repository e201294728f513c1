package mla

import (
	"slices"
	"testing"
)

func keys(items []ContentItem) []string {
	out := []string{}
	for _, i := range items {
		out = append(out, i.Key)
	}
	return out
}

// An oral request without urgency lacks its written form, and a request in a language the requested State
// does not accept lacks a translation; once supplied, it lacks nothing.
func TestFormAndLanguageOfARequest(t *testing.T) {
	de := State{Code: "DE", Languages: []string{"de", "en"}}
	for _, c := range []struct {
		name string
		r    Request
		want []string
	}{
		{"written, any language", Request{Case: Case{Kind: KindStoredData}}, []string{}},
		{"oral without urgency", Request{Case: Case{Kind: KindStoredData, Form: FormOral}}, []string{"written-form"}},
		{"oral in an emergency", Request{Case: Case{Kind: KindStoredData, Form: FormOral, Emergency: true}}, []string{}},
		{"oral with a deadline", Request{Case: Case{Kind: KindMLA, Form: FormOral, Deadline: Duration(5 * Day)}}, []string{}},
		{"a language it accepts", Request{Case: Case{Kind: KindMLA, Language: "en"}}, []string{}},
		{"a language it does not accept", Request{Case: Case{Kind: KindMLA, Language: "ru", Omitted: []string{"facts"}}}, []string{"facts", "translation"}},
		{"a preservation follows Art 29 alone", Request{Case: Case{Kind: KindPreservation, Form: FormOral, Language: "ru"}}, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := keys(c.r.Missing(de, BasisUNCC))
			if !slices.Equal(got, c.want) {
				t.Fatalf("missing %v, want %v", got, c.want)
			}
			if left := keys(c.r.Supplied(de).Missing(de, BasisUNCC)); len(left) != 0 {
				t.Errorf("after supplying, still missing %v", left)
			}
		})
	}
	if got := keys((Request{Case: Case{Kind: KindMLA, Form: FormOral, Language: "ru"}}).Missing(de, BasisBudapest)); len(got) != 0 {
		t.Errorf("under Budapest, missing %v", got)
	}
	if ps := (Case{Kind: KindMLA, Form: FormExpedited}).validateForm(); len(ps) != 1 {
		t.Errorf("expedited means without urgency: %v", ps)
	}
	if ps := (Case{Kind: KindMLA, Form: FormExpedited, DeletionRisk: true}).validateForm(); len(ps) != 0 {
		t.Errorf("expedited means with data at risk: %v", ps)
	}
}
