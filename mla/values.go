package mla

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The value types of the domain parse and print themselves with encoding.TextMarshaler and
// encoding.TextUnmarshaler, so one type reads a scenario file (YAML), travels in a workflow input (JSON)
// and works as a command-line flag. Parsing checks the value against the known ones and the ranges the
// engines can represent; an empty text is the zero value ("not set"), which Validate judges in context.

// parseEnum returns the known value named s, or an error listing the known values.
func parseEnum[T ~string](what, s string, known []T) (T, error) {
	if s == "" {
		return "", nil
	}
	for _, k := range known {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown %s %q (known: %s)", what, s, joinEnum(known))
}

func joinEnum[T ~string](known []T) string {
	names := make([]string, len(known))
	for i, k := range known {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func unmarshalEnum[T ~string](dst *T, what string, text []byte, known []T) error {
	v, err := parseEnum(what, string(text), known)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// UnmarshalText parses a request kind.
func (k *RequestKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(k, "request kind", b, Kinds)
}

// UnmarshalText parses a channel.
func (c *Channel) UnmarshalText(b []byte) error { return unmarshalEnum(c, "channel", b, Channels) }

// UnmarshalText parses a legal basis.
func (b *Basis) UnmarshalText(t []byte) error { return unmarshalEnum(b, "legal basis", t, Bases) }

// UnmarshalText parses a confidence tag (P, S or U).
func (t *Tag) UnmarshalText(b []byte) error { return unmarshalEnum(t, "confidence tag", b, Tags) }

// UnmarshalText parses a status.
func (s *Status) UnmarshalText(b []byte) error { return unmarshalEnum(s, "status", b, Statuses) }

// UnmarshalText parses an actor.
func (a *Actor) UnmarshalText(b []byte) error { return unmarshalEnum(a, "role", b, Actors) }

// UnmarshalText parses an actor mode.
func (m *Mode) UnmarshalText(b []byte) error { return unmarshalEnum(m, "mode", b, Modes) }

// UnmarshalText parses a decision kind.
func (d *DecisionKind) UnmarshalText(b []byte) error {
	return unmarshalEnum(d, "decision", b, Decisions)
}

// UnmarshalText parses a condition.
func (c *Condition) UnmarshalText(b []byte) error {
	return unmarshalEnum(c, "condition", b, Conditions)
}

// UnmarshalText parses a record.
func (r *Record) UnmarshalText(b []byte) error { return unmarshalEnum(r, "record", b, Records) }

// UnmarshalText parses a person's role.
func (r *Role) UnmarshalText(b []byte) error { return unmarshalEnum(r, "person role", b, Roles) }

// UnmarshalText parses a UNCC status.
func (s *UNCCStatus) UnmarshalText(b []byte) error {
	return unmarshalEnum(s, "UNCC status", b, UNCCStatuses)
}

// UnmarshalText parses yes, no or unknown.
func (t *Tri) UnmarshalText(b []byte) error { return unmarshalEnum(t, "value", b, Tris) }

// Duration is a legal duration, written in legal units: "60d", "2w", "8h", "30m", "1d12h", "0.5s". It is
// a time.Duration underneath, limited to MaxDuration so that a start date plus any duration stays a date
// every encoder can write.
type Duration time.Duration

// MaxDuration is the longest legal duration mlasim accepts: a hundred years of 365 days.
const MaxDuration = Duration(100 * 365 * Day)

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration exactly, in the units it is read in: "62d", "7h30m", "3d4h", "1.5s".
func (d Duration) String() string { return FormatLegalDuration(time.Duration(d)) }

// MarshalText writes the duration as String does; ParseDuration reads it back exactly.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a legal duration (see ParseDuration).
func (d *Duration) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalJSON reads a legal duration, or a number of nanoseconds as written by workflows started
// before durations were written in legal units.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = Duration(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	return d.UnmarshalText([]byte(s))
}

// ParseDuration reads durations in legal units: w (weeks), d (days), h, m, s, each with an optional
// decimal part ("1.5d"), summed ("1d12h"). A bare number, a negative value, an unknown unit or more than
// MaxDuration is an error, so a scenario never leaves its unit to guesswork and never overflows.
func ParseDuration(s string) (Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total int64
	rest := in
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("duration %q: want a number followed by a unit (w, d, h, m, s), e.g. 60d or 8h", s)
		}
		var unit int64
		switch rest[i] {
		case 'w':
			unit = int64(7 * Day)
		case 'd':
			unit = int64(Day)
		case 'h':
			unit = int64(time.Hour)
		case 'm':
			unit = int64(time.Minute)
		case 's':
			unit = int64(time.Second)
		default:
			return 0, fmt.Errorf("duration %q: unknown unit %q (use w, d, h, m or s)", s, rest[i])
		}
		n, err := scaled(rest[:i], unit)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %v", s, err)
		}
		if n > int64(MaxDuration)-total {
			return 0, fmt.Errorf("duration %q is longer than the limit of %s", s, MaxDuration)
		}
		total += n
		rest = rest[i+1:]
	}
	return Duration(total), nil
}

// scaled multiplies a decimal number by a unit in nanoseconds, exactly, refusing overflow and more
// precision than a nanosecond.
func scaled(num string, unit int64) (int64, error) {
	whole, frac, _ := strings.Cut(num, ".")
	if strings.Contains(frac, ".") || (whole == "" && frac == "") {
		return 0, fmt.Errorf("%q is not a number", num)
	}
	n := new(big.Int)
	if _, ok := n.SetString(whole+frac, 10); !ok && whole+frac != "" {
		return 0, fmt.Errorf("%q is not a number", num)
	}
	n.Mul(n, big.NewInt(unit))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	q, r := new(big.Int).QuoRem(n, den, new(big.Int))
	if r.Sign() != 0 {
		return 0, fmt.Errorf("%s is more precise than a nanosecond", num)
	}
	if !q.IsInt64() || q.Int64() > int64(MaxDuration) {
		return 0, fmt.Errorf("%s is too large", num)
	}
	return q.Int64(), nil
}

// ParseLegalDuration reads a legal duration as a time.Duration (see ParseDuration).
func ParseLegalDuration(s string) (time.Duration, error) {
	d, err := ParseDuration(s)
	return time.Duration(d), err
}

// FormatLegalDuration renders a legal duration exactly in days, hours, minutes and seconds ("62d",
// "7h30m", "3d4h", "1.5s"); ParseDuration reads it back to the nanosecond.
func FormatLegalDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatLegalDuration(-d)
	}
	if d == 0 {
		return "0d"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		sym  string
	}{{Day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if n := d / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.sym)
			d -= n * u.unit
		}
	}
	if d > 0 {
		sec, ns := int64(d/time.Second), int64(d%time.Second)
		b.WriteString(strconv.FormatInt(sec, 10))
		if ns > 0 {
			b.WriteString("." + strings.TrimRight(fmt.Sprintf("%09d", ns), "0"))
		}
		b.WriteString("s")
	}
	return b.String()
}

// Date is a legal date (YYYY-MM-DD, UTC), between MinDate and MaxDate so that a date plus any legal
// duration stays within what every engine and encoder can represent.
type Date struct{ t time.Time }

// The range of dates mlasim accepts.
var (
	MinDate = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxDate = time.Date(2199, 12, 31, 0, 0, 0, 0, time.UTC)
)

// DateOf returns the date of t (its UTC day).
func DateOf(t time.Time) Date {
	u := t.UTC()
	return Date{time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)}
}

// ParseDate reads a date YYYY-MM-DD within the accepted range.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, fmt.Errorf("want a date YYYY-MM-DD, not %q", s)
	}
	if t.Before(MinDate) || t.After(MaxDate) {
		return Date{}, fmt.Errorf("date %s is outside %s..%s", s, MinDate.Format("2006-01-02"), MaxDate.Format("2006-01-02"))
	}
	return Date{t}, nil
}

// Time returns the date as midnight UTC (the zero time when unset).
func (d Date) Time() time.Time { return d.t }

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String renders YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.t.IsZero() {
		return ""
	}
	return d.t.Format("2006-01-02")
}

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD (empty: unset).
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Share is a proportion between 0 and 1, such as a failure rate or the share of abusive requests.
type Share float64

// UnmarshalText reads a share, refusing NaN, infinities and values outside [0, 1].
func (s *Share) UnmarshalText(b []byte) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil {
		return fmt.Errorf("a share is a number between 0 and 1, not %q", b)
	}
	if math.IsNaN(v) || v < 0 || v > 1 {
		return fmt.Errorf("a share is a number between 0 and 1, not %s", b)
	}
	*s = Share(v)
	return nil
}

// UnmarshalJSON reads a share written as a JSON number.
func (s *Share) UnmarshalJSON(b []byte) error { return s.UnmarshalText(b) }

// MarshalText writes the share as a decimal number.
func (s Share) MarshalText() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(s), 'f', -1, 64)), nil
}

// MarshalJSON writes the share as a JSON number.
func (s Share) MarshalJSON() ([]byte, error) { return s.MarshalText() }

// Weight is a non-negative, finite weight in a mix.
type Weight float64

// UnmarshalText reads a weight, refusing NaN, infinities and negative values.
func (w *Weight) UnmarshalText(b []byte) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("a weight is a non-negative number, not %q", b)
	}
	if v > 1e9 {
		return fmt.Errorf("a weight of %s is too large (at most 1e9)", b)
	}
	*w = Weight(v)
	return nil
}

// UnmarshalJSON reads a weight written as a JSON number.
func (w *Weight) UnmarshalJSON(b []byte) error { return w.UnmarshalText(b) }

// MarshalJSON writes the weight as a JSON number.
func (w Weight) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(w), 'f', -1, 64)), nil
}

// known reports whether v is one of the values.
func known[T comparable](v T, values []T) bool { return slices.Contains(values, v) }
