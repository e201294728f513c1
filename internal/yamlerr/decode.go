package yamlerr

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode decodes a YAML document straight into out (a pointer to the domain types), refusing unknown
// fields, and returns the document node so that later problems can be located by field path. Every
// error names the file, line, column and field: yaml.v3 locates type errors itself, and a value that a
// type's UnmarshalText refuses is found again by walking the document beside the type.
func Decode(file string, data []byte, out any) (*yaml.Node, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, List{FromYAML(file, err, "malformed YAML: ")}
	}
	if len(root.Content) == 0 {
		return nil, List{&Error{File: file, Msg: "empty document"}}
	}
	doc := root.Content[0]
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(out)
	if err == nil {
		return doc, nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var l List
		for _, msg := range te.Errors {
			l = append(l, typeError(file, doc, msg))
		}
		// Values refused by UnmarshalText are not type errors; report those too.
		l = append(l, locateText(file, doc, reflect.TypeOf(out), "")...)
		return nil, l
	}
	if l := locateText(file, doc, reflect.TypeOf(out), ""); len(l) > 0 {
		return nil, l
	}
	return nil, List{&Error{File: file, Line: doc.Line, Column: doc.Column, Msg: err.Error()}}
}

var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)

// typeError locates one of yaml.v3's type errors; an unknown field is reported at its key, with the
// field path and the fields that exist there.
func typeError(file string, doc *yaml.Node, msg string) *Error {
	m := unknownField.FindStringSubmatch(msg)
	if m == nil {
		e := FromYAML(file, errors.New(msg), "")
		e.Msg = strings.ReplaceAll(e.Msg, "!!", "")
		return e
	}
	line, _ := strconv.Atoi(m[1])
	if key, path := findKey(doc, line, m[2], ""); key != nil {
		return At(file, key, path, fmt.Sprintf("unknown field %q", m[2]))
	}
	return &Error{File: file, Line: line, Column: 1, Msg: fmt.Sprintf("unknown field %q", m[2])}
}

// findKey finds the mapping key named name on a line, with its field path.
func findKey(n *yaml.Node, line int, name, path string) (*yaml.Node, string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Line == line && k.Value == name {
				return k, join(path, name)
			}
			if x, p := findKey(n.Content[i+1], line, name, join(path, k.Value)); x != nil {
				return x, p
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if x, p := findKey(c, line, name, path+"["+strconv.Itoa(i)+"]"); x != nil {
				return x, p
			}
		}
	}
	return nil, ""
}

var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// locateText walks node beside type t and returns an error for every scalar that t's UnmarshalText
// refuses, at its line and field path.
func locateText(file string, n *yaml.Node, t reflect.Type, path string) List {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		return locateText(file, n.Alias, t, path)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return nil
		}
		u := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(n.Value)); err != nil {
			return List{At(file, n, path, err.Error())}
		}
		return nil
	}
	var l List
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if ft, ok := fields[n.Content[i].Value]; ok {
				l = append(l, locateText(file, n.Content[i+1], ft, join(path, n.Content[i].Value))...)
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, item := range n.Content {
			l = append(l, locateText(file, item, t.Elem(), path+"["+strconv.Itoa(i)+"]")...)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			at := join(path, key.Value)
			l = append(l, locateText(file, key, t.Key(), at)...)
			l = append(l, locateText(file, n.Content[i+1], t.Elem(), at)...)
		}
	}
	return l
}

// yamlFields maps the YAML keys of a struct type to their field types, following inline fields.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Find returns the node at a field path ("requests[3].offence.max_penalty_years") under doc, or the
// nearest node above it that exists.
func Find(doc *yaml.Node, path string) *yaml.Node {
	n, _ := walk(doc, path)
	return n
}

// Lookup returns the node at a field path under doc, or nil when the document does not write it.
func Lookup(doc *yaml.Node, path string) *yaml.Node {
	if n, ok := walk(doc, path); ok {
		return n
	}
	return nil
}

func walk(doc *yaml.Node, path string) (*yaml.Node, bool) {
	n := doc
	for _, seg := range splitPath(path) {
		var next *yaml.Node
		if idx, err := strconv.Atoi(seg); err == nil && n.Kind == yaml.SequenceNode {
			if idx >= 0 && idx < len(n.Content) {
				next = n.Content[idx]
			}
		} else {
			next = MapValue(n, seg)
		}
		if next == nil {
			return n, false
		}
		n = next
	}
	return n, true
}

// splitPath splits "a.b[2].c" into a, b, 2, c.
func splitPath(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				out = append(out, part[i+1:])
				break
			}
			out = append(out, part[i+1:i+j])
			part = part[i+j+1:]
		}
	}
	return out
}

// AtPath returns an error located at the node of a field path under doc.
func AtPath(file string, doc *yaml.Node, path, msg string) *Error {
	return At(file, Find(doc, path), path, msg)
}
