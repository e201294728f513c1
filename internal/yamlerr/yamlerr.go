// Package yamlerr locates the errors gopkg.in/yaml.v3 reports, for messages that name a file and line.
package yamlerr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Locate splits a yaml.v3 error into a 1-based line (0 when unknown) and the message without prefix.
//
// yaml.v3 reports a parser error ("did not find expected ...") at the 0-based line where the enclosing
// collection starts, while scanner and type errors are 1-based; Locate corrects the former.
func Locate(err error) (int, string) {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if !strings.HasPrefix(msg, "line ") {
		return 0, msg
	}
	rest := strings.TrimPrefix(msg, "line ")
	i := strings.Index(rest, ":")
	if i <= 0 {
		return 0, msg
	}
	line, convErr := strconv.Atoi(rest[:i])
	if convErr != nil {
		return 0, msg
	}
	msg = strings.TrimSpace(rest[i+1:])
	if strings.HasPrefix(msg, "did not find expected") {
		line++
	}
	return line, msg
}

// Error is a problem in a YAML file, located by file, line and column, and the field it concerns.
type Error struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return loc + ": " + e.Msg
}

// List is every problem found in a file or set of files, reported together, one per line.
type List []error

func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// At returns an error located at a YAML node (or at the file when the node is nil).
func At(file string, n *yaml.Node, field, msg string) *Error {
	e := &Error{File: file, Field: field, Msg: msg}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// FromYAML locates a yaml.v3 error in file.
func FromYAML(file string, err error, prefix string) *Error {
	line, msg := Locate(err)
	return &Error{File: file, Line: line, Column: 1, Msg: prefix + msg}
}

// MapValue returns the value node of key in a mapping node, or nil.
func MapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
