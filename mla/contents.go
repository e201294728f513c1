package mla

import (
	"slices"
	"sync"
)

// ContentItem is one item a request must contain.
type ContentItem struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Citation Citation `json:"citation"`
}

// mlaContents are the required contents of an MLA request: the UNTOC Art 18(15) template that the UNCC's
// Art 40 reportedly copies (template [P]; UNCC wording [U], so the citation carries [U]).
var mlaContents = []ContentItem{
	{"authority", "identity of the authority making the request", Citation{"uncc.40.contents.a", "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(15)(a))", TagUnconfirmed}},
	{"subject", "subject matter and nature of the investigation, and the authority conducting it", Citation{"uncc.40.contents.b", "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(15)(b))", TagUnconfirmed}},
	{"facts", "summary of the relevant facts", Citation{"uncc.40.contents.c", "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(15)(c))", TagUnconfirmed}},
	{"assistance", "description of the assistance sought and any procedure to follow", Citation{"uncc.40.contents.d", "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(15)(d))", TagUnconfirmed}},
	{"person", "where possible, identity, location and nationality of any person concerned", Citation{"uncc.40.contents.e", "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(15)(e))", TagUnconfirmed}},
	{"purpose", "purpose for which the evidence, information or action is sought", Citation{"uncc.40.contents.f", "UNCC Art 40 (paragraph unconfirmed; as UNTOC Art 18(15)(f))", TagUnconfirmed}},
}

// preservationContents are the required contents of a preservation request, Budapest Art 29(2) [P].
var preservationContents = []ContentItem{
	{"authority", "the authority seeking the preservation", Citation{"budapest.29.2.a", "Budapest Art 29(2)(a)", TagPrimary}},
	{"facts", "the offence and a brief summary of the related facts", Citation{"budapest.29.2.b", "Budapest Art 29(2)(b)", TagPrimary}},
	{"data", "the stored computer data to be preserved and its relationship to the offence", Citation{"budapest.29.2.c", "Budapest Art 29(2)(c)", TagPrimary}},
	{"custodian", "information identifying the custodian or the location of the computer system", Citation{"budapest.29.2.d", "Budapest Art 29(2)(d)", TagPrimary}},
	{"necessity", "the necessity of the preservation", Citation{"budapest.29.2.e", "Budapest Art 29(2)(e)", TagPrimary}},
	{"intent", "that a request for mutual assistance will follow", Citation{"budapest.29.2.f", "Budapest Art 29(2)(f)", TagPrimary}},
}

// RequiredContents lists what a request of the kind must contain. Spontaneous information has no
// required contents (Budapest Art 26 sets none).
func RequiredContents(k RequestKind) []ContentItem {
	switch k {
	case KindPreservation:
		return preservationContents
	case KindSpontaneous:
		return nil
	}
	return mlaContents
}

// IsContentKey reports whether any kind uses the content key, for validating scenario files.
func IsContentKey(key string) bool { return contentKeys()[key] }

// contentKeys is built once: every request a scenario plans is validated.
var contentKeys = sync.OnceValue(func() map[string]bool {
	keys := map[string]bool{}
	for _, c := range slices.Concat(mlaContents, preservationContents) {
		keys[c.Key] = true
	}
	return keys
})

// MissingContents returns the required items of kind k that the request leaves out. The "person" item
// is required only "where possible", so it is never reported missing.
func MissingContents(k RequestKind, omitted []string) []ContentItem {
	out := []ContentItem{}
	for _, item := range RequiredContents(k) {
		if item.Key == "person" {
			continue
		}
		for _, o := range omitted {
			if o == item.Key {
				out = append(out, item)
			}
		}
	}
	return out
}
