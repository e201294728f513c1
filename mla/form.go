package mla

import (
	"slices"
	"strings"
)

// Form is how a request is made.
type Form string

// Forms of a request.
const (
	// FormWritten: in writing, or by any means producing a written record (the default).
	FormWritten Form = "written"
	// FormExpedited: by expedited means such as fax or e-mail, with appropriate security and
	// authentication, in urgent circumstances (Budapest Art 25(3) [P]).
	FormExpedited Form = "expedited"
	// FormOral: orally, in urgent circumstances, to be confirmed in writing forthwith (UNTOC Art 18(14)
	// template; UNCC [U]).
	FormOral Form = "oral"
)

// Forms lists the forms of a request.
var Forms = []Form{FormWritten, FormExpedited, FormOral}

// UnmarshalText reads a form, rejecting unknown ones.
func (f *Form) UnmarshalText(t []byte) error { return unmarshalEnum(f, "form of request", t, Forms) }

var formCitation = Citation{RuleID: "uncc.40.form", Article: "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(14))", Tag: TagUnconfirmed}

// Urgent reports whether the request shows urgent circumstances: an emergency, data at risk of loss, or
// a deadline.
func (c Case) Urgent() bool {
	return c.Emergency || c.Kind == KindEmergency || c.DeletionRisk || c.Deadline > 0
}

// Missing returns what the request lacks for the requested State to act on it under the basis: the
// required contents it leaves out and, under the UNCC, a written form for an oral request made without
// urgency and a translation when it is not in a language the requested State accepts (the form and
// language of the UNTOC Art 18(14) template, which the UNCC reportedly copies [U]). Only the kinds whose
// contents the UNCC's rules check need them; the Budapest Convention sets no such requirement for mutual
// assistance.
func (r Request) Missing(requested State, basis Basis) []ContentItem {
	out := MissingContents(r.Kind, r.Omitted)
	if basis != BasisUNCC || !slices.Contains([]RequestKind{KindMLA, KindStoredData, KindRealTime, KindInterception, KindEmergency}, r.Kind) {
		return out
	}
	if r.Form == FormOral && !r.Urgent() {
		out = append(out, ContentItem{Key: "written-form", Label: "the request in writing (an oral request is for urgent circumstances only)", Citation: formCitation})
	}
	if !r.LanguageAccepted(requested) {
		out = append(out, ContentItem{Key: "translation", Label: "a translation into a language " + requested.Code + " accepts (" + strings.Join(requested.Languages, ", ") + ")", Citation: formCitation})
	}
	return out
}

// LanguageAccepted reports whether the request is in a language the requested State accepts (any, when
// the request or the State names none).
func (r Request) LanguageAccepted(requested State) bool {
	return r.Language == "" || len(requested.Languages) == 0 || slices.Contains(requested.Languages, r.Language)
}

// Supplied returns the request once the requesting State has supplied what it lacked: its contents, a
// written form, a translation into a language the requested State accepts.
func (r Request) Supplied(requested State) Request {
	r.Omitted = nil
	if r.Form == FormOral && !r.Urgent() {
		r.Form = FormWritten
	}
	if !r.LanguageAccepted(requested) {
		r.Language = requested.Languages[0]
	}
	return r
}

// validateForm checks a form against the circumstances: expedited means are for urgent circumstances.
func (c Case) validateForm() Problems {
	var ps Problems
	if c.Form == FormExpedited && !c.Urgent() {
		ps.add("form", "expedited means are for urgent circumstances (Budapest Art 25(3)): say so with emergency, deletion_risk or a deadline")
	}
	return ps
}
