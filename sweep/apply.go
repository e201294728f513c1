package sweep

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// segment is one step of a parameter path: a key, and the code or id of a list item under it.
type segment struct {
	key, item string
}

var segmentPattern = regexp.MustCompile(`^([A-Za-z0-9_-]+)(?:\[([A-Za-z0-9._-]+)\])?$`)

func parsePath(path string) ([]segment, error) {
	var out []segment
	for _, s := range strings.Split(path, ".") {
		m := segmentPattern.FindStringSubmatch(s)
		if m == nil {
			return nil, fmt.Errorf("%s: %q is not a key or key[code]", path, s)
		}
		out = append(out, segment{key: m[1], item: m[2]})
	}
	return out, nil
}

// Apply returns the scenario file with the point's value set at each parameter's path. A path that
// names nothing in the file is an error, except a last key a mapping lacks (it is added) and a State
// the world does not list yet (world.states[CODE] adds it, and the world section if need be).
func Apply(data []byte, params []Param, pt Point) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the scenario file is not a mapping")
	}
	for i, p := range params {
		if p.Path == Unconfirmed {
			continue
		}
		segs, err := parsePath(p.Path)
		if err != nil {
			return nil, err
		}
		if err := set(doc.Content[0], segs, p.Path, pt.Values[i]); err != nil {
			return nil, err
		}
	}
	return yaml.Marshal(&doc)
}

// set walks a mapping along the path's segments and sets the last one to value.
func set(node *yaml.Node, segs []segment, path, value string) error {
	walked := ""
	for i, s := range segs {
		last := i == len(segs)-1
		walked = strings.TrimPrefix(walked+"."+s.key, ".")
		v := lookup(node, s.key)
		if v == nil && !last && (walked == "world" || walked == "world.states") {
			v = addWorld(node, s.key, walked)
		}
		switch {
		case v == nil && last && s.item == "":
			node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s.key}, scalar(value))
			return nil
		case v == nil:
			return fmt.Errorf("%s names nothing in the scenario: it has no %s", path, walked)
		case s.item == "" && last:
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s names a %s, not a value", path, kindName(v))
			}
			*v = *scalar(value)
			return nil
		case s.item == "":
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("%s: %s is a %s, not a mapping", path, walked, kindName(v))
			}
			node = v
			continue
		}
		item, err := listItem(v, s, path, walked, last)
		if err != nil {
			return err
		}
		walked += "[" + s.item + "]"
		node = item
	}
	return nil
}

// addWorld gives a scenario without a world section, or without States in it, one to add a State to.
func addWorld(node *yaml.Node, key, walked string) *yaml.Node {
	v := &yaml.Node{Kind: yaml.MappingNode}
	if walked == "world.states" {
		v.Kind = yaml.SequenceNode
	}
	node.Content = append(node.Content, scalar(key), v)
	return v
}

// listItem finds the item of a list a segment names (adding a State to world.states).
func listItem(list *yaml.Node, s segment, path, walked string, last bool) (*yaml.Node, error) {
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: %s is a %s, not a list", path, walked, kindName(list))
	}
	item := findItem(list, s.item)
	if item == nil && walked == "world.states" {
		item = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("code"), scalar(s.item)}}
		list.Content = append(list.Content, item)
	}
	if item == nil {
		return nil, fmt.Errorf("%s names nothing in the scenario: %s has no item with code or id %q", path, walked, s.item)
	}
	if last {
		return nil, fmt.Errorf("%s names a list item, not a value: add the field, e.g. %s.policy", path, path)
	}
	return item, nil
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// findItem finds the mapping of a list whose code or id is key.
func findItem(seq *yaml.Node, key string) *yaml.Node {
	for _, it := range seq.Content {
		for _, k := range []string{"code", "id"} {
			if v := lookup(it, k); v != nil && v.Value == key {
				return it
			}
		}
	}
	return nil
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}
