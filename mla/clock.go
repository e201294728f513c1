package mla

import (
	"hash/fnv"
	"strconv"
	"time"
)

// Day is one legal day.
const Day = 24 * time.Hour

// Clock maps legal (simulated) time onto engine time. Scale is legal seconds per wall second: 86400 runs
// one legal day per second. Workflows sleep Wall(d) for a legal duration d and keep their own legal time,
// starting at Start, so every timestamp a user sees is legal time whatever the engine.
type Clock struct {
	Start time.Time `json:"start"`
	Scale float64   `json:"scale"`
	// HoldForPeople: a training session, where a request waiting for a person waits as long as the
	// person takes, and legal time does not run meanwhile.
	HoldForPeople bool `json:"hold_for_people,omitempty"`
	// Unreachable: no client can reach the run (the offline engine), so no one can send a person's
	// decision, answer or withdrawal, nor list or watch requests: a workflow registers no handlers for
	// the messages, and publishes no search attributes or current details.
	Unreachable bool `json:"unreachable,omitempty"`
	// Untimed: a request that talks to no other workflow (one neither a preservation nor its follow-up)
	// waits in legal time only, with no engine timer. Only the offline engine sets it: a lone request's
	// legal timeline does not depend on engine time, and nothing else is there to run meanwhile.
	Untimed bool `json:"untimed,omitempty"`
	// InProcess: the simulator's steps (a transmission's receipt, the screening, a provider's answer to
	// an attempt) run as calls in the workflow, not as activities: the same code. Only the offline engine
	// sets it, where the activities are in the workflow's process, every rule pack is known before the
	// run starts, and no worker can be lost nor a call time out between the workflow and the step: an
	// activity there only adds the engine's cost of one.
	InProcess bool `json:"in_process,omitempty"`
}

// From returns the clock started at another legal time, with the same scale and settings.
func (c Clock) From(start time.Time) Clock {
	c.Start = start
	return c
}

// Wall is the engine time a legal duration takes: at least a nanosecond for a positive duration, so
// scaled timers keep their order.
func (c Clock) Wall(legal time.Duration) time.Duration {
	if legal <= 0 {
		return 0
	}
	return max(time.Duration(float64(legal)/c.Scale), time.Nanosecond)
}

// Chance is a number in [0, 1) drawn from the seed and a key. The same seed and key always give the same
// number on every engine and every replay: this is the only source of variation in the simulator.
func Chance(seed int64, key string) float64 {
	// The seed and key are hashed from a buffer on the stack, which allocates nothing.
	var buf [96]byte
	h := fnv.New64a()
	_, _ = h.Write(append(append(strconv.AppendInt(buf[:0], seed, 10), '|'), key...))
	// Mix the bits (splitmix64 finaliser) so neighbouring keys spread over the whole range.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / float64(1<<53)
}

// Vary returns base changed by up to ±spread (a fraction, 0.25 = ±25%), seeded by seed and key.
func Vary(seed int64, key string, base time.Duration, spread float64) time.Duration {
	if spread <= 0 || base <= 0 {
		return base
	}
	f := 1 + spread*(2*Chance(seed, key)-1)
	return time.Duration(float64(base) * f).Round(time.Minute)
}

// DeriveSeed gives each request its own seed from the scenario seed, so adding a request leaves the
// others' draws unchanged.
func DeriveSeed(seed int64, key string) int64 {
	h := fnv.New64a()
	_, _ = h.Write(strconv.AppendInt(nil, seed, 10))
	_, _ = h.Write([]byte("/" + key))
	return int64(h.Sum64() >> 1)
}
