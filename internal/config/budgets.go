package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// byteUnits are the units ParseBytes reads: powers of 1024, named as
// PostgreSQL names them (and as pgtwin's reports print them); the IEC
// names (KiB, MiB, …) mean the same.
var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1 << 10, "kib": 1 << 10, "k": 1 << 10,
	"mb": 1 << 20, "mib": 1 << 20, "m": 1 << 20,
	"gb": 1 << 30, "gib": 1 << 30, "g": 1 << 30,
	"tb": 1 << 40, "tib": 1 << 40, "t": 1 << 40,
}

// ParseBytes reads a size: a whole number of bytes, or a number with a unit
// (B, kB, MB, GB, TB, powers of 1024, in any case; KiB, MiB, … too), such
// as "500MB", "1.5 GB" or "1048576". It must be more than 0.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult, ok := byteUnits[strings.ToLower(unit)]
	f, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || num == "" {
		return 0, fmt.Errorf("%q is not a size; write a number of bytes or a size such as 500MB or 2GB", s)
	}
	n := f * float64(mult)
	if n < 1 || n > math.MaxInt64/2 {
		return 0, fmt.Errorf("%q is out of range; a size is at least 1 byte", s)
	}
	return int64(n), nil
}

// ParseDuration reads a duration such as "90s", "15m" or "1h30m". It must
// be more than 0.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write one such as 90s, 15m or 1h30m", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not more than 0", s)
	}
	return d, nil
}
