package mask

import (
	"testing"
)

// BenchmarkMask reports the cost of masking one value of each kind, with
// the output appended to a reused buffer (as the stream does).
func BenchmarkMask(b *testing.B) {
	cases := []struct {
		name string
		r    Rule
		t    Type
		v    string
	}{
		{"email", rule(Email), varchar(254), "jane.doe+news@example.com"},
		{"text", rule(Text), tText, "Order 2024 ABC-123 ok"},
		{"digits", rule(Digits), tText, "+1 (555) 010-99999"},
		{"int", rule(Int), tInt4, "123456"},
		{"numeric", rule(Numeric), tNumeric, "12345.6789"},
		{"date", rule(Date), tDate, "2024-03-05"},
		{"timestamp", rule(Timestamp), tTZ, "2024-03-05 12:34:56.123456+00"},
		{"uuid", rule(UUID), tUUID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"name", rule(Name), varchar(40), "Jane Doe"},
		{"hash", rule(Hash), varchar(40), "jane.doe@example.com"},
		{"array", rule(Text), Type{Kind: StringType, Array: true}, `{alpha,"beta gamma",NULL,delta}`},
		{"json", Rule{Paths: []PathRule{{"$.email", rule(Email)}, {"$.phones[*]", rule(Digits)}}}, tJSONB, `{"email": "jane@example.com", "phones": ["555-0100", "555-0199"], "vip": true}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m := compile(b, testKey, c.r, col(c.t))
			v := []byte(c.v)
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(v)))
			for b.Loop() {
				var err error
				buf, _, err = m.Mask(buf[:0], v, false, nil)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
