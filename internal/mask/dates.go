package mask

import (
	"errors"
	"strings"
)

// date: the day number is moved by σ within blocks of Days+1 days (aligned
// on 0001-01-01), so a date moves by at most Days days and never stays.
// timestamp: the same on seconds, in blocks of Days*86400+1 seconds; the
// fractional seconds and the time zone offset are kept as they are. A
// timestamptz is moved as an instant (its UTC seconds), so equal instants
// written with different offsets stay equal and the mask is one-to-one on
// instants. Dates before 10000-01-01 stay before it (blocks are cut
// there). "infinity", "-infinity" and dates BC are kept, as are, for
// timestamptz, the first and last day PostgreSQL can store.
//
// Values are DateStyle ISO: 2024-03-05, 2024-03-05 12:34:56.123456+05:30;
// a 'T' between date and time and a 'Z' offset (ISO 8601, in JSON) are
// read and kept too.

var (
	dayMin = daysFromCivil(1, 1, 1)
	// PostgreSQL's last date and last timestamp.
	dateMaxDay = daysFromCivil(5874897, 12, 31) - dayMin
	tsMaxSec   = (daysFromCivil(294276, 12, 31)-dayMin+1)*86400 - 1
)

// y10kDay is 10000-01-01: dates before it stay before it (9999-12-31 is
// a common "forever"; and programs that read 4-digit years keep working).
var y10kDay = daysFromCivil(10000, 1, 1) - dayMin

// shiftSplit moves x in [0, max] by σ in its block of size bs, [0, split)
// and [split, max] being separate domains.
func shiftSplit(p *perm, x, split, max int64, bs uint64) int64 {
	if x < split {
		return int64(p.shiftInBlock(uint64(x), uint64(split-1), bs, 0))
	}
	return split + int64(p.shiftInBlock(uint64(x-split), uint64(max-split), bs, 1))
}

var (
	errNotDate      = errors.New("value is not a date (YYYY-MM-DD)")
	errNotTimestamp = errors.New("value is not a timestamp (YYYY-MM-DD HH:MM:SS)")
)

type dateMasker struct {
	p  *perm
	bs uint64
}

func (m *dateMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	if passDate(v) {
		return append(dst, v...), nil
	}
	d, ok := parseDate(v)
	if !ok || d > dateMaxDay {
		return dst, errNotDate
	}
	d = shiftSplit(m.p, d, y10kDay, dateMaxDay, m.bs)
	return appendDate(dst, d), nil
}

type tsMasker struct {
	p  *perm
	bs uint64
	t  tsText
}

func (m *tsMasker) mask(dst, v []byte, _ Row) ([]byte, error) {
	if passDate(v) {
		return append(dst, v...), nil
	}
	t := &m.t
	if !t.parse(v) {
		return dst, errNotTimestamp
	}
	local := t.day*86400 + t.sec
	if local > tsMaxSec {
		return dst, errNotTimestamp
	}
	if t.tz {
		utc := local - t.off
		o, span := utc-86400, tsMaxSec-2*86400
		if o < 0 || o > span {
			return append(dst, v...), nil
		}
		local = shiftSplit(m.p, o, y10kDay*86400-86400, span, m.bs) + 86400 + t.off
	} else {
		local = shiftSplit(m.p, local, y10kDay*86400, tsMaxSec, m.bs)
	}
	dst = appendDate(dst, local/86400)
	dst = append(dst, v[t.dateEnd])
	s := local % 86400
	dst = append2(dst, s/3600)
	dst = append(dst, ':')
	dst = append2(dst, s/60%60)
	dst = append(dst, ':')
	dst = append2(dst, s%60)
	return append(dst, v[t.timeEnd:]...), nil
}

// passDate reports the values date and timestamp masks keep.
func passDate(v []byte) bool {
	s := string(v) // no allocation: compared, not kept
	return s == "infinity" || s == "-infinity" || strings.HasSuffix(s, " BC")
}

// parseDate parses YYYY-MM-DD (4 or more year digits) into days since
// 0001-01-01.
func parseDate(v []byte) (int64, bool) {
	d, n := parseDatePrefix(v)
	return d, n > 0 && n == len(v)
}

// parseDatePrefix parses the date at the start of v and returns its day
// and length (0 when there is none).
func parseDatePrefix(v []byte) (int64, int) {
	i := 0
	var y int64
	for i < len(v) && v[i] >= '0' && v[i] <= '9' && i < 8 {
		y = y*10 + int64(v[i]-'0')
		i++
	}
	if i < 4 || i+6 > len(v) || v[i] != '-' || v[i+3] != '-' {
		return 0, 0
	}
	mo, ok1 := num2(v[i+1:])
	d, ok2 := num2(v[i+4:])
	if !ok1 || !ok2 || y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return 0, 0
	}
	day := daysFromCivil(y, mo, d)
	if cy, cm, cd := civilFromDays(day); cy != y || cm != mo || cd != d {
		return 0, 0 // February 30th
	}
	return day - dayMin, i + 6
}

func num2(v []byte) (int64, bool) {
	if len(v) < 2 || v[0] < '0' || v[0] > '9' || v[1] < '0' || v[1] > '9' {
		return 0, false
	}
	return int64(v[0]-'0')*10 + int64(v[1]-'0'), true
}

// tsText locates the parts of a timestamp's text.
type tsText struct {
	day, sec int64 // days since 0001-01-01, seconds in the day
	dateEnd  int   // the separator (' ' or 'T')
	timeEnd  int   // after HH:MM:SS: the fraction and offset, kept
	tz       bool
	off      int64 // offset east of UTC, in seconds
}

func (t *tsText) parse(v []byte) bool {
	day, i := parseDatePrefix(v)
	if i == 0 || i+9 > len(v) || v[i] != ' ' && v[i] != 'T' || v[i+3] != ':' || v[i+6] != ':' {
		return false
	}
	t.day, t.dateEnd = day, i
	h, ok1 := num2(v[i+1:])
	mi, ok2 := num2(v[i+4:])
	s, ok3 := num2(v[i+7:])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 59 {
		return false
	}
	t.sec = h*3600 + mi*60 + s
	i += 9
	t.timeEnd = i
	if i < len(v) && v[i] == '.' {
		i++
		j := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	t.tz, t.off = false, 0
	if i == len(v) {
		return true
	}
	t.tz = true
	switch v[i] {
	case 'Z':
		return i+1 == len(v)
	case '+', '-':
	default:
		return false
	}
	sign := int64(1)
	if v[i] == '-' {
		sign = -1
	}
	i++
	oh, ok := num2(v[i:])
	if !ok {
		return false
	}
	i += 2
	t.off = oh * 3600
	for unit := int64(60); unit > 0 && i < len(v); unit /= 60 { // :MM and :SS, or MM
		if v[i] == ':' {
			i++
		}
		x, ok := num2(v[i:])
		if !ok || x > 59 {
			return false
		}
		i += 2
		t.off += x * unit
	}
	t.off *= sign
	return i == len(v) && oh < 16
}

func appendDate(dst []byte, day int64) []byte {
	y, m, d := civilFromDays(day + dayMin)
	for p := int64(1000); p > 1 && y < p; p /= 10 {
		dst = append(dst, '0')
	}
	dst = appendInt(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	return append2(dst, d)
}

func appendInt(dst []byte, x int64) []byte {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + x%10)
		x /= 10
		if x == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

func append2(dst []byte, x int64) []byte {
	return append(dst, byte('0'+x/10), byte('0'+x%10))
}

// daysFromCivil and civilFromDays convert between proleptic Gregorian
// dates and days since 1970-01-01 (H. Hinnant's algorithms).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	doy := (153*((m+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
