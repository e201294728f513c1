package mla

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
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
}

// Wall is the engine time a legal duration takes: at least a nanosecond for a positive duration, so
// scaled timers keep their order.
func (c Clock) Wall(legal time.Duration) time.Duration {
	if legal <= 0 {
		return 0
	}
	return max(time.Duration(float64(legal)/c.Scale), time.Nanosecond)
}

// ParseLegalDuration reads durations in legal units: "60d", "2w", "8h", "30m", "1d12h". A bare number is
// an error, so a scenario never leaves its unit to guesswork.
func ParseLegalDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("duration %q: want a number followed by a unit (w, d, h, m, s), e.g. 60d or 8h", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %v", s, err)
		}
		var unit time.Duration
		switch rest[i] {
		case 'w':
			unit = 7 * Day
		case 'd':
			unit = Day
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return 0, fmt.Errorf("duration %q: unknown unit %q (use w, d, h, m or s)", s, rest[i])
		}
		total += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	return total, nil
}

// FormatLegalDuration renders a legal duration in days and hours ("62d", "7h30m", "3d4h").
func FormatLegalDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatLegalDuration(-d)
	}
	days := d / Day
	rem := d % Day
	switch {
	case days > 0 && rem >= time.Hour:
		return fmt.Sprintf("%dd%dh", days, rem/time.Hour)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case rem%time.Hour == 0:
		return fmt.Sprintf("%dh", rem/time.Hour)
	default:
		return strings.TrimSuffix(rem.Truncate(time.Minute).String(), "0s")
	}
}

// Chance is a number in [0, 1) drawn from the seed and a key. The same seed and key always give the same
// number on every engine and every replay: this is the only source of variation in the simulator.
func Chance(seed int64, key string) float64 {
	h := fnv.New64a()
	_, _ = h.Write(strconv.AppendInt(nil, seed, 10))
	_, _ = h.Write([]byte("|" + key))
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
