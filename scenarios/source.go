package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"testing/fstest"

	"gopkg.in/yaml.v3"

	"github.com/mlasim/mlasim/mla"
	"github.com/mlasim/mlasim/rules"
)

// Source is everything a scenario is loaded from: the file, its own packs, and what a run changes (seed,
// policies, a first part of its requests, the time scale). It is small, whatever the number of requests
// the scenario generates, so a scenario workflow carries it and any worker plans the same requests
// from it.
type Source struct {
	File string `json:"file"`
	Data []byte `json:"data"`
	// Packs are the scenario's own rule packs by the names the file gives them.
	Packs map[string][]byte `json:"packs,omitempty"`
	Seed  int64             `json:"seed"`
	// Policies override requested States' policies (State code or "*" to policy).
	Policies map[string]string `json:"policies,omitempty"`
	// Limit keeps only the first Limit requests (and follow-ups of those); zero keeps all.
	Limit int `json:"limit,omitempty"`
	// Scale overrides the time scale (legal seconds per engine second); zero keeps the file's.
	Scale float64 `json:"scale,omitempty"`
	// SkipTags leaves the rules of these confidence tags out of every screening.
	SkipTags []mla.Tag `json:"skip_tags,omitempty"`
}

// Digest names the source by content.
func (src Source) Digest() string {
	b, _ := json.Marshal(src)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// Source returns what the scenario was loaded from, with what has changed it since.
func (s *Scenario) Source() Source { return s.source }

// FromSource loads a scenario from its source, as the process that first loaded it did.
func FromSource(src Source, engine *rules.Engine) (*Scenario, error) {
	var packFS fs.FS
	if len(src.Packs) > 0 {
		m := fstest.MapFS{}
		for name, b := range src.Packs {
			m[name] = &fstest.MapFile{Data: b}
		}
		packFS = m
	}
	s, err := Parse(src.File, src.Data, packFS, engine)
	if err != nil {
		return nil, err
	}
	if src.Seed != s.Seed {
		if s, err = s.WithSeed(src.Seed); err != nil {
			return nil, err
		}
	}
	s = s.WithPolicies(src.Policies).WithLimit(src.Limit).Without(src.SkipTags...)
	if src.Scale > 0 {
		s = s.WithScale(src.Scale)
	}
	if got, want := s.source.Digest(), src.Digest(); got != want {
		return nil, fmt.Errorf("scenario %s: the source loaded again gives %s, not %s", s.ID, got, want)
	}
	return s, nil
}

// WithLimit returns the scenario with only its first n requests, and the follow-ups among them whose
// preservation is kept (n of zero keeps all).
func (s *Scenario) WithLimit(n int) *Scenario {
	if n <= 0 {
		return s
	}
	out := s.limit(n)
	out.source.Limit = n
	return out
}

func (s *Scenario) limit(n int) *Scenario {
	out := *s
	if n <= 0 || n >= len(s.Requests) {
		return &out
	}
	kept := map[string]bool{}
	out.Requests = nil
	for _, p := range s.Requests[:n] {
		if f := p.Request.FollowUpOf; f != "" && !kept[f] {
			continue
		}
		kept[p.Request.ID] = true
		out.Requests = append(out.Requests, p)
	}
	return &out
}

// Without returns the scenario screened without the rules of the given confidence tags (none: the
// scenario itself), a what-if that shows which conclusions rest on them.
func (s *Scenario) Without(tags ...mla.Tag) *Scenario {
	if len(tags) == 0 {
		return s
	}
	out := s.eachRequest(func(p *mla.Planned) { p.SkipTags = tags })
	out.source.SkipTags = tags
	return out
}

// WithScale returns the scenario run at another time scale (legal seconds per engine second).
func (s *Scenario) WithScale(scale float64) *Scenario {
	out := *s
	out.Clock.Scale = scale
	out.source.Scale = scale
	return &out
}

// Fingerprint names the planned requests: a worker that plans the source again must find the same.
func Fingerprint(reqs []mla.Planned) string {
	h := sha256.New()
	for _, p := range reqs {
		r := p.Request
		fmt.Fprintf(h, "%s|%s|%s|%s|%s|%d|%s|%s\n", r.ID, r.Kind, r.From, r.To, r.At, p.Seed, p.Basis.Basis, p.Requested.Policy)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// truthKeys are the fields of a scenario file that only trainers and analysts may read: a request's
// answer key, its ground-truth label and its briefing, and the scenario's briefing.
var truthKeys = map[string]bool{"expected": true, "abusive": true, "briefing": true}

// WithoutTruth returns the scenario loaded from its own file with the answer key, the ground-truth
// labels and the briefings taken out, so that a run of it carries none of them: what a trainee could read
// in a workflow's input is what the requested State could see. The requests are the same.
func (s *Scenario) WithoutTruth(engine *rules.Engine) (*Scenario, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(s.source.Data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", s.source.File, err)
	}
	if len(doc.Content) == 1 {
		root := doc.Content[0]
		dropKeys(root)
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "requests" {
				for _, r := range root.Content[i+1].Content {
					dropKeys(r)
				}
			}
		}
	}
	data, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	src := s.source
	src.Data = data
	out, err := FromSource(src, engine)
	if err != nil {
		return nil, err
	}
	if Fingerprint(out.Requests) != Fingerprint(s.Requests) {
		return nil, fmt.Errorf("%s: without the answer key the scenario plans other requests", s.source.File)
	}
	return out, nil
}

// dropKeys removes the truth keys from a YAML mapping.
func dropKeys(m *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return
	}
	kept := m.Content[:0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !truthKeys[m.Content[i].Value] {
			kept = append(kept, m.Content[i], m.Content[i+1])
		}
	}
	m.Content = kept
}
