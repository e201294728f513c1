package yamlerr

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestLocate(t *testing.T) {
	cases := []struct {
		doc  string
		line int
	}{
		{"a: 1\nb: [1, 2\n", 2},     // parser error: unclosed flow sequence opened on line 2
		{"a: 1\nb: @x\n", 2},        // scanner error
		{"a: 1\n  b: 2\nc: 3\n", 2}, // mapping values not allowed
		{"a: [1, 2]\nb:\n  - x\n - y\n", 4},
	}
	for _, c := range cases {
		var v any
		err := yaml.Unmarshal([]byte(c.doc), &v)
		if err == nil {
			t.Fatalf("%q parsed", c.doc)
		}
		if line, msg := Locate(err); line != c.line {
			t.Errorf("%q: line %d (%s), want %d", c.doc, line, msg, c.line)
		}
	}
	var s struct{ A int }
	err := yaml.Unmarshal([]byte("x: 1\na: hello\n"), &s)
	if line, _ := Locate(err); line != 2 {
		t.Errorf("type error at line %d, want 2", line)
	}
}
