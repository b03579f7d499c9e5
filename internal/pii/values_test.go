package pii

import (
	"slices"
	"testing"
)

func check(t *testing.T, name string, f func(string) bool, yes, no []string) {
	t.Helper()
	for _, v := range yes {
		if !f(v) {
			t.Errorf("%s(%q) = false, want true", name, v)
		}
	}
	for _, v := range no {
		if f(v) {
			t.Errorf("%s(%q) = true, want false", name, v)
		}
	}
}

func TestIsEmail(t *testing.T) {
	check(t, "IsEmail", IsEmail,
		[]string{"ann@example.com", "first.last+tag@mail.example.co.uk", "o'neil@example.org", "X_Y@sub-domain.example.io"},
		[]string{"", "ann", "ann@", "@example.com", "ann@example", "ann@@example.com", "ann example@x.com", "ann@-x.com", "ann@x.c", "https://example.com/@ann"})
}

func TestIsPhone(t *testing.T) {
	check(t, "IsPhone", IsPhone,
		[]string{"+14155552671", "+49 30 1234567", "+44 20 7946 0958", "+1 (555) 123-4567", "0049 30 1234567",
			"(555) 123-4567", "555-123-4567", "555.123.4567", "1-555-123-4567",
			"030 1234567", "06 12 34 56 78", "020 7946 0958", "0151-12345678", "030/1234567"},
		[]string{"", "12345678", "4155552671", "2024-01-15", "15.01.2024", "01.02.2024", "10.0.0.1", "192.168.100.200",
			"+12", "ABC-123-4567", "123-45-6789", "4111 1111 1111 1111", "+1 555 CALL NOW", "1.234.567", "550e8400-e29b-41d4-a716-446655440000"})
}

func TestLuhnAndCards(t *testing.T) {
	check(t, "Luhn", Luhn,
		[]string{"4111111111111111", "79927398713", "5555555555554444", "378282246310005", "0"},
		[]string{"", "4111111111111112", "79927398710", "12a4", "1234567812345678"})
	check(t, "IsCard", IsCard,
		[]string{"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005", "6011111111111117", "3782 822463 10005"},
		[]string{"", "4111111111111112", "0000000000000000", "79927398713" /* 11 digits */, "41111111111111111111", /* 20 */
			"4111 1111 1111 1112", "4111_1111_1111_1111", "550e8400-e29b-41d4-a716-446655440000", "+4111111111111111"})
}

func TestIsIBAN(t *testing.T) {
	check(t, "IsIBAN", IsIBAN,
		[]string{"DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "gb82 west 1234 5698 7654 32", "NL91ABNA0417164300", "FR1420041010050500013M02606"},
		[]string{"", "DE88370400440532013000", "GB82WEST12345698765433", "DE89", "XX00", "1234567890123456", "DE89-3704-0044-0532-0130-00"})
}

func TestIsIP(t *testing.T) {
	check(t, "IsIP", IsIP,
		[]string{"192.168.1.1", "10.0.0.0/8", "::1", "2001:db8::ff00:42:8329", "fe80::1%eth0", "0.0.0.0"},
		[]string{"", "192.168.1", "256.1.1.1", "1.2.3.4.5", "example.com", "10.0.0.0/33", "550e8400-e29b-41d4-a716-446655440000", "12345"})
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"first_name":       {"first", "name"},
		"firstName":        {"first", "name"},
		"Full Name":        {"full", "name"},
		"IPAddress":        {"ip", "address"},
		"shippingAddress2": {"shipping", "address", "2"},
		"address_line_1":   {"address", "line", "1"},
		"hotel":            {"hotel"},
		"e-mail":           {"e", "mail"},
		"CustomerID":       {"customer", "id"},
		"__x__":            {"x"},
		"":                 nil,
	} {
		if got := Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}
