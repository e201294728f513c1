package activities

import (
	"context"
	"fmt"
	"sync"

	"github.com/mlasim/mlasim/rules"
)

// PackRef names a scenario's own rule packs by content hash, and says where a worker that has not seen
// them can ask for them: the workflow of the scenario run that brought them.
type PackRef struct {
	Hash string `json:"hash"`
	// Workflow is the ID of the scenario workflow whose input carries the packs.
	Workflow string `json:"workflow,omitempty"`
}

// PackStore compiles each set of scenario packs once per worker, with the worker's built-in packs, and
// keeps the engines by hash. A set it has not seen is fetched through Fetch (on a cluster, by querying the
// scenario workflow) and checked against its hash.
type PackStore struct {
	base *rules.Engine
	// Fetch returns the pack files a reference names; nil when the worker cannot ask anyone.
	Fetch func(ctx context.Context, ref PackRef) (map[string][]byte, error)

	mu      sync.Mutex
	engines map[string]*rules.Engine
}

// NewPackStore returns a store that compiles scenario packs together with base.
func NewPackStore(base *rules.Engine) *PackStore {
	return &PackStore{base: base, engines: map[string]*rules.Engine{}}
}

// Add compiles a set of packs (if not already done) and returns its hash.
func (s *PackStore) Add(files map[string][]byte) (string, error) {
	hash := rules.PackSetHash(files)
	s.mu.Lock()
	_, ok := s.engines[hash]
	s.mu.Unlock()
	if ok {
		return hash, nil
	}
	e, err := s.base.With(files)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.engines[hash] = e
	s.mu.Unlock()
	return hash, nil
}

// Engine returns the engine of a pack set, fetching and compiling it the first time.
func (s *PackStore) Engine(ctx context.Context, ref PackRef) (*rules.Engine, error) {
	s.mu.Lock()
	e, ok := s.engines[ref.Hash]
	s.mu.Unlock()
	if ok {
		return e, nil
	}
	if s.Fetch == nil || ref.Workflow == "" {
		return nil, fmt.Errorf("this worker does not know the scenario's rule packs %s and cannot ask for them", ref.Hash)
	}
	files, err := s.Fetch(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("fetching the scenario's rule packs %s from %s: %w", ref.Hash, ref.Workflow, err)
	}
	if got := rules.PackSetHash(files); got != ref.Hash {
		return nil, fmt.Errorf("the rule packs from %s have hash %s, not %s", ref.Workflow, got, ref.Hash)
	}
	if _, err := s.Add(files); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.engines[ref.Hash], nil
}
