package pii

import (
	"net/netip"
	"regexp"
	"strings"
)

// Detectors of values. Each takes one value (PostgreSQL's text output)
// and says whether it looks like that kind of personal datum.

var emailRE = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$`)

// IsEmail reports whether v looks like an email address.
func IsEmail(v string) bool {
	return len(v) <= 320 && emailRE.MatchString(strings.TrimSpace(v))
}

var (
	// +49 30 1234567, +1 (555) 123-4567, +44 20 7946 0958, 0049 30 1234567
	intlPhoneRE = regexp.MustCompile(`^(?:\+|00)[1-9][0-9 ().-]{6,20}$`)
	// (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567
	nanpPhoneRE = regexp.MustCompile(`^(?:1[ .-]?)?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[0-9]{3}[ .-][0-9]{4}$`)
	// 030 1234567, 06 12 34 56 78, 020 7946 0958, 0151-12345678, 030/1234567
	nationalPhoneRE = regexp.MustCompile(`^\(?0[1-9][0-9]{0,4}\)?(?:[ /.-][0-9]{2,8}){1,4}$`)
	dateLikeRE      = regexp.MustCompile(`^[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}$`)
)

// IsPhone reports whether v looks like a phone number: E.164 or an
// international number (+ or 00, 8 to 15 digits), or a national one written
// with separators (a bare run of digits is an order number as often as a
// phone number, so it does not count). Dates do not count.
func IsPhone(v string) bool {
	v = strings.TrimSpace(v)
	n := countDigits(v)
	if n < 7 || n > 15 || dateLikeRE.MatchString(v) {
		return false
	}
	switch {
	case intlPhoneRE.MatchString(v):
		return n >= 8
	case nanpPhoneRE.MatchString(v):
		return true
	case nationalPhoneRE.MatchString(v):
		return n >= 9
	}
	return false
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

var cardRE = regexp.MustCompile(`^[0-9]{13,19}$|^[0-9]{4}(?:[ -][0-9]{3,6}){2,4}$`)

// IsCard reports whether v looks like a payment card number: 13 to 19
// digits, bare or in groups, that pass the Luhn check and are not all one
// digit.
func IsCard(v string) bool {
	v = strings.TrimSpace(v)
	if !cardRE.MatchString(v) {
		return false
	}
	d := strings.NewReplacer(" ", "", "-", "").Replace(v)
	if len(d) < 13 || len(d) > 19 || strings.Count(d, d[:1]) == len(d) {
		return false
	}
	return Luhn(d)
}

// Luhn reports whether the string of digits d passes the Luhn check.
func Luhn(d string) bool {
	if d == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		c := d[i]
		if c < '0' || c > '9' {
			return false
		}
		n := int(c - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

var ibanRE = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)

// IsIBAN reports whether v is an IBAN (spaces allowed) with a valid
// mod-97 check.
func IsIBAN(v string) bool {
	s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(v), " ", ""))
	if !ibanRE.MatchString(s) {
		return false
	}
	// Move the country and check digits to the end; letters count 10..35.
	s = s[4:] + s[:4]
	rem := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			n := int(c-'A') + 10
			rem = (rem*100 + n) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	return rem == 1
}

// IsIP reports whether v is an IPv4 (dotted quad) or IPv6 address, with or
// without a /prefix.
func IsIP(v string) bool {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "/") {
		_, err := netip.ParsePrefix(v)
		return err == nil
	}
	_, err := netip.ParseAddr(v)
	return err == nil
}

// detector is one kind of value the sampler recognises.
type detector struct {
	name  string // plural, for the reason: "emails"
	sem   sem
	match func(string) bool
}

// detectors in order: a value counts for the first that matches.
var detectors = []detector{
	{"emails", semEmail, IsEmail},
	{"IP addresses", semIP, IsIP},
	{"IBANs", semIBAN, IsIBAN},
	{"payment card numbers", semCard, IsCard},
	{"phone numbers", semPhone, IsPhone},
}
