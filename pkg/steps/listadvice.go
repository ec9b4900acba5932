package steps

import (
	"cmp"
	"fmt"
	"strings"
)

// ListAdvice is what to write instead of src, the expression of name
// (foreach, or "matrix axis NAME") that gives gives, a type name, where a
// list is needed. Over a map, a fan-out goes over its keys, in order, and
// reads each value by its key; toPairs gives [key, value] pairs, but in no
// set order. (The # that sortBy would need begins a YAML comment
// unquoted, so the advice does without.)
func ListAdvice(name, src, gives string) string {
	if gives != "a map" && gives != "map" {
		return "write a list expression, like inputs.hosts, [1, 2, 3], 1..5 or steps.<id>.output.processes"
	}
	if name == "matrix.include" || name == "matrix.exclude" {
		return fmt.Sprintf("%s is a list of mappings, like [{os: linux, ver: 2}]; put one mapping in a list of one, [%s]", name, cmp.Or(src, "..."))
	}
	key := "item"
	if axis, ok := strings.CutPrefix(name, "matrix axis "); ok {
		key = "item." + axis
	}
	if src == "" {
		return fmt.Sprintf("give the map's keys, sort(keys(...)), and read each value by its key, %s, or its [key, value] pairs, toPairs(...), which come in no set order", key)
	}
	return fmt.Sprintf("give the map's keys, sort(keys(%s)), and read each value as %s[%s], or its [key, value] pairs, toPairs(%s), which come in no set order", src, src, key, src)
}
