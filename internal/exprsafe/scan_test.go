package exprsafe

import (
	"reflect"
	"testing"
)

func TestScan(t *testing.T) {
	texts, spans, problem, _ := Scan("a ${{ x }} b $${{ c ${{\r\n{\"k\": {\"v\": 1}} }}")
	if problem != "" {
		t.Fatalf("problem %q", problem)
	}
	if want := []string{"a ", " b ${{ c ", ""}; !reflect.DeepEqual(texts, want) {
		t.Errorf("texts = %q, want %q", texts, want)
	}
	want := []Span{{Src: "x", Start: 2, End: 10, SrcOff: 6}, {Src: `{"k": {"v": 1}}`, Start: 20, End: 43, SrcOff: 25}}
	if !reflect.DeepEqual(spans, want) {
		t.Errorf("spans = %+v, want %+v", spans, want)
	}
	if _, _, problem, at := Scan("ok ${{ open"); problem != NotClosed || at != 3 {
		t.Errorf("unclosed: %q at %d, want %q at 3", problem, at, NotClosed)
	}
}
