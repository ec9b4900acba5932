package termtext

import (
	"slices"
	"testing"
)

// TestWidth: a wide or fullwidth character takes two columns, a
// combining mark none, and the marks the tables show one.
func TestWidth(t *testing.T) {
	for s, want := range map[string]int{
		"":              0,
		"abc":           3,
		"错误":            4,
		"ｆｕｌｌ":          8,
		"데이터":           6,
		"e\u0301":       1,
		"✓✗⊘⋯⚠…≥":       7,
		"✅🚀":            4,
		"path/ファイル.txt": 17,
	} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestWrapCountsColumns: Wrap fits lines to columns, not characters: a
// line of Chinese without spaces is cut into lines of n columns, and no
// line it makes is wider than n.
func TestWrapCountsColumns(t *testing.T) {
	got := Wrap("错误消息这是一个非常长的 ok", 10)
	want := []string{"错误消息这", "是一个非常", "长的 ok"}
	if !slices.Equal(got, want) {
		t.Errorf("Wrap = %q, want %q", got, want)
	}
	for _, l := range Wrap("日本語のエラーメッセージがここに続きます and some words", 7) {
		if Width(l) > 7 {
			t.Errorf("line %q is %d columns wide, past 7", l, Width(l))
		}
	}
	// A character wider than n still goes on a line of its own.
	if got := Wrap("错a", 1); !slices.Equal(got, []string{"错", "a"}) {
		t.Errorf("Wrap at 1 = %q", got)
	}
}
