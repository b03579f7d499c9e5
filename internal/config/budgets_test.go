package config

import "testing"

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"1": 1, "1048576": 1 << 20, "500MB": 500 << 20, "500 mb": 500 << 20, "1.5GB": 3 << 29,
		"2GiB": 2 << 30, "64kB": 64 << 10, "10B": 10, "1TB": 1 << 40, " 3 MiB ": 3 << 20,
	} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "0", "-5MB", "5 parsecs", "1.2.3MB", "0.1"} {
		if n, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) = %d, want an error", in, n)
		}
	}
}
