package auth

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rate
	}{
		{"50/s", Rate{PerSecond: 50, Burst: 50, Text: "50/s"}},
		{"6/m", Rate{PerSecond: 0.1, Burst: 6, Text: "6/m"}},
		{"3600/h", Rate{PerSecond: 1, Burst: 3600, Text: "3600/h"}},
	} {
		got, err := ParseRate(tc.in)
		if err != nil {
			t.Errorf("ParseRate(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParseRate(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, bad := range []string{"", "50", "0/s", "-1/s", "1.5/s", "5/d", "50 / s", "2000000/s"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted it", bad)
		}
	}
}

func TestPolicyRateBlock(t *testing.T) {
	reg := testRegistry(t)
	p, err := ParsePolicy("p.yaml", []byte("version: 1\nrate:\n  per_key: 50/s\n  ops: {shell.exec: 5/s, process.*: 100/m}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate.PerKey == nil || p.Rate.PerKey.Text != "50/s" {
		t.Errorf("per_key = %+v", p.Rate.PerKey)
	}
	var got []string
	for _, r := range p.Rate.For("process.kill") {
		got = append(got, r.Pattern+"="+r.Rate.Text)
	}
	if diff := cmp.Diff([]string{"process.*=100/m"}, got); diff != "" {
		t.Errorf("rates of process.kill (-want +got):\n%s", diff)
	}
	if len(p.Rate.For("control.noop")) != 0 {
		t.Errorf("control.noop has a rate")
	}

	_, err = ParsePolicy("p.yaml", []byte("version: 1\nrate:\n  per_kee: 5/s\n  ops:\n    shell.exex: 5/s\n    control.noop: fast\n"), reg)
	if err == nil {
		t.Fatal("a bad rate block loaded")
	}
	for _, want := range []string{
		`p.yaml:3:3: unknown key "per_kee" in rate`,
		`p.yaml:5:5: rate.ops: `,
		`p.yaml:6:19: rate.ops.control.noop: rate "fast": write it as`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
