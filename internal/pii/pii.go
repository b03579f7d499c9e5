// Package pii finds columns that look personal: by their definition (name,
// type, comment) and by a small sample of their values, read in the caller's
// snapshot. Each finding says why, and suggests a mask kind of package mask
// that fits the column.
//
// Nothing here ever prints, logs or returns a column's value: reasons carry
// counts only ("sampled values look like emails (18 of 20)").
//
//	found := pii.FromCatalog(cat, include)           // no server needed
//	more, warnings, err := pii.Sample(ctx, tx, cat, include, found)
//	all := pii.Merge(found, more)
package pii

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/pgtwin/pgtwin/internal/catalog"
	"github.com/pgtwin/pgtwin/internal/mask"
)

// Finding is a column that looks personal.
type Finding struct {
	Table  catalog.Name `json:"table"`
	Column string       `json:"column"`
	// Reasons say why, one short phrase each ("name suggests an email
	// address"); never a value of the column.
	Reasons []string `json:"reasons"`
	// Suggest is a mask kind (mask.Email, mask.Digits, …) that fits the
	// column's type, length, NOT NULL and uniqueness; "" when no built-in
	// mask does (a unique inet column, say): a person must write the rule.
	Suggest string `json:"suggest,omitempty"`
	// Value is the constant of a suggested mask.Value.
	Value string `json:"value,omitempty"`

	num int16 // column order, for sorting
}

// Reason joins the reasons for one line of text.
func (f Finding) Reason() string { return strings.Join(f.Reasons, "; ") }

// what a column looks like it holds; decides the suggested mask.
type sem int

const (
	semNone sem = iota
	semEmail
	semName
	semFirstName
	semLastName
	semPhone
	semNationalID
	semCard
	semIBAN
	semAccount
	semAddress
	semPostal
	semBirth
	semIP
	semMAC
	semUserAgent
	semGeo
	semSecret
	semFreeText
	semGender
	semMoney
	semUsername
	semOther // personal by type or comment, nothing more specific
)

// family is a type's family, as far as masks care.
type family int

const (
	famOther family = iota // enums, composites, geometry, …
	famString
	famInt
	famNumeric
	famDate
	famTimestamp
	famUUID
	famJSON
	famNet // inet, cidr
	famMAC // macaddr, macaddr8
	famBytea
	famBool
)

// types a category may be found on.
const (
	tString = 1 << iota
	tInt
	tNumeric
	tDate
	tTimestamp
	tNet
	tMAC
	tBytea

	tNumber = tInt | tNumeric
)

func (f family) bit() int {
	switch f {
	case famString:
		return tString
	case famInt:
		return tInt
	case famNumeric:
		return tNumeric
	case famDate:
		return tDate
	case famTimestamp:
		return tTimestamp
	case famNet:
		return tNet
	case famMAC:
		return tMAC
	case famBytea:
		return tBytea
	}
	return 0
}

// category is one kind of personal column, found by its name.
type category struct {
	sem  sem
	what string // "an email address", for the reason
	// pats are word sequences; one must occur in the column's words.
	pats  [][]string
	types int
	// people: only on a people-like table (name, notes).
	people bool
	// related: also on a table that references a people-like table.
	related bool
}

func w(s string) []string { return strings.Fields(s) }

// categories, most specific first: the first that matches wins.
var categories = []category{
	{sem: semIP, what: "an IP address", types: tString | tNet,
		pats: [][]string{w("ip"), w("ipaddr"), w("ipv4"), w("ipv6"), w("remote addr"), w("ip address")}},
	{sem: semMAC, what: "a MAC address", types: tString | tMAC,
		pats: [][]string{w("mac address"), w("macaddr"), w("mac addr")}},
	{sem: semEmail, what: "an email address", types: tString,
		pats: [][]string{w("email"), w("emails"), w("e mail"), w("mail"), w("emailaddress")}},
	{sem: semPhone, what: "a phone number", types: tString | tNumber,
		pats: [][]string{w("phone"), w("phones"), w("telephone"), w("phonenumber"), w("mobile"), w("tel"), w("fax"), w("cell"), w("cellphone"), w("msisdn")}},
	{sem: semFirstName, what: "a first name", types: tString,
		pats: [][]string{w("first name"), w("firstname"), w("given name"), w("givenname"), w("forename"), w("fname")}},
	{sem: semLastName, what: "a last name", types: tString,
		pats: [][]string{w("last name"), w("lastname"), w("surname"), w("family name"), w("familyname"), w("lname"), w("maiden name")}},
	{sem: semName, what: "a person's name", types: tString,
		pats: [][]string{w("full name"), w("fullname"), w("middle name"), w("middlename"), w("legal name"), w("nickname"),
			w("customer name"), w("user name"), w("contact name"), w("person name"), w("holder name"), w("cardholder"),
			w("recipient name"), w("owner name"), w("sender name"), w("billing name"), w("shipping name"), w("patient name"),
			w("employee name"), w("member name"), w("student name"), w("guest name"), w("display name"), w("real name")}},
	{sem: semUsername, what: "a user name", types: tString,
		pats: [][]string{w("username"), w("login"), w("screen name"), w("handle")}, people: true},
	{sem: semName, what: "a person's name", types: tString, people: true,
		pats: [][]string{w("name")}},
	{sem: semNationalID, what: "a national identity number", types: tString | tNumber,
		pats: [][]string{w("ssn"), w("social security"), w("national id"), w("nationalid"), w("national insurance"), w("nino"),
			w("passport"), w("tax id"), w("taxid"), w("tax number"), w("tin"), w("vat id"), w("driver license"), w("drivers license"),
			w("driving licence"), w("licence number"), w("license number"), w("id number"), w("id card"), w("sin"), w("personnummer")}},
	{sem: semIBAN, what: "a bank account (IBAN)", types: tString,
		pats: [][]string{w("iban")}},
	{sem: semAccount, what: "a bank account number", types: tString | tNumber,
		pats: [][]string{w("account number"), w("bank account"), w("routing number"), w("sort code")}},
	{sem: semCard, what: "a payment card number", types: tString | tNumber,
		pats: [][]string{w("credit card"), w("card number"), w("cardnumber"), w("card no"), w("pan"), w("cvv"), w("cvc"), w("card")}},
	{sem: semPostal, what: "a postal code", types: tString | tInt,
		pats: [][]string{w("zip"), w("zipcode"), w("zip code"), w("postal code"), w("postalcode"), w("postcode"), w("post code"), w("plz")}},
	{sem: semAddress, what: "a postal address", types: tString,
		pats: [][]string{w("address"), w("addr"), w("street"), w("city"), w("town"), w("house number"), w("address line"), w("addressline")}},
	{sem: semBirth, what: "a date of birth", types: tString | tInt | tDate | tTimestamp,
		pats: [][]string{w("birth"), w("dob"), w("birthday"), w("birthdate"), w("born")}},
	{sem: semUserAgent, what: "a user agent", types: tString,
		pats: [][]string{w("user agent"), w("useragent")}},
	{sem: semGeo, what: "a location", types: tString | tNumeric,
		pats: [][]string{w("lat"), w("lng"), w("lon"), w("latitude"), w("longitude"), w("geo"), w("geolocation")}},
	{sem: semSecret, what: "a password or secret", types: tString | tBytea,
		pats: [][]string{w("password"), w("passwd"), w("pwd"), w("secret"), w("token"), w("api key"), w("apikey"), w("otp"), w("salt"), w("pin")}},
	{sem: semGender, what: "gender or other sensitive traits", types: tString,
		pats: [][]string{w("gender"), w("sex"), w("ethnicity"), w("religion"), w("nationality"), w("marital status")}},
	{sem: semMoney, what: "a person's pay", types: tNumber | tString,
		pats: [][]string{w("salary"), w("income"), w("wage"), w("wages")}},
	{sem: semFreeText, what: "free text about a person", types: tString, people: true, related: true,
		pats: [][]string{w("note"), w("notes"), w("comment"), w("comments"), w("remark"), w("remarks"), w("bio"), w("biography"), w("about")}},
}

// freeTextTables hold free text written about or by people when they
// reference a people-like table: their body/text/content columns count.
var freeTextTables = set("note", "notes", "comment", "comments", "message", "messages", "remark", "remarks", "ticket", "tickets", "memo", "memos")
var freeTextColumns = set("body", "text", "content", "message", "note", "notes", "comment", "description", "details")

// peopleWords name tables of people (the last word of the table's name).
var peopleWords = set("user", "users", "customer", "customers", "client", "clients", "people", "person", "persons",
	"employee", "employees", "staff", "contact", "contacts", "member", "members", "account", "accounts",
	"patient", "patients", "student", "students", "subscriber", "subscribers", "profile", "profiles",
	"applicant", "applicants", "candidate", "candidates", "guest", "guests", "visitor", "visitors",
	"author", "authors", "recipient", "recipients", "driver", "drivers", "passenger", "passengers",
	"teacher", "teachers", "doctor", "doctors", "buyer", "buyers", "user_account", "signup", "signups", "lead", "leads")

// notPersonal ends a column name whose words a category matched only in
// part: email_status, card_type, phone_verified, address_id hold no
// personal data of their own.
var notPersonal = set("id", "ids", "uuid", "guid", "count", "type", "kind", "status", "state", "flag", "enabled",
	"verified", "confirmed", "template", "format", "provider", "preference", "preferences", "frequency", "length",
	"code_id", "fk", "ref", "version", "opt", "optin", "sent", "balance", "amount", "limit", "total", "level", "policy",
	"expires", "expiry", "expiration", "ttl", "name_id", "attempts", "color", "colour", "size", "icon", "url", "tier")

// commentWords in a column's comment mark it as personal.
var commentWords = set("personal", "pii", "gdpr", "sensitive", "confidential", "private", "hipaa", "phi", "personally")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Words splits an identifier into lower-case words at underscores, spaces,
// other punctuation, camelCase humps and letter/digit boundaries:
// "shippingAddress2" → shipping, address, 2; "IPAddress" → ip, address.
func Words(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case len(cur) > 0:
			prev := cur[len(cur)-1]
			switch {
			case unicode.IsDigit(r) != unicode.IsDigit(prev):
				flush()
			case unicode.IsUpper(r) && unicode.IsLower(prev):
				flush()
			case unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1]):
				flush() // the A of "IPAddress"
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// match reports whether pat occurs in words, and whether it covers the
// last word.
func match(words, pat []string) (found, last bool) {
	for i := 0; i+len(pat) <= len(words); i++ {
		if slices.Equal(words[i:i+len(pat)], pat) {
			found = true
			if i+len(pat) == len(words) {
				return true, true
			}
		}
	}
	return found, false
}

// isPeopleTable reports whether a table's name says it holds people.
func isPeopleTable(n catalog.Name) bool {
	ws := Words(n.Name)
	return len(ws) > 0 && peopleWords[ws[len(ws)-1]]
}

// colType is what the suggestion needs to know about a column (or a group
// of columns linked by foreign keys, which must mask alike).
type colType struct {
	fam     family
	base    string
	maxLen  int
	array   bool
	notNull bool
	unique  bool
}

func typeOf(c *catalog.Column) colType {
	base := c.Base
	if base == "" {
		base = strings.TrimSuffix(c.Type, "[]") // a catalog from before Base
	}
	t := colType{base: base, array: c.Array, notNull: c.NotNull, unique: c.Unique}
	t.fam, t.maxLen = classify(base)
	return t
}

// classify maps format_type() output to a family and length limit.
func classify(base string) (family, int) {
	name, mod, _ := strings.Cut(base, "(")
	n := 0
	if mod != "" {
		fmt.Sscanf(mod, "%d", &n)
	}
	switch name {
	case "text", "character varying", "character", "citext", "public.citext", "name", "bpchar":
		if name == "name" {
			return famString, 63
		}
		return famString, n
	case "smallint", "integer", "bigint":
		return famInt, 0
	case "numeric", "real", "double precision":
		return famNumeric, 0
	case "date":
		return famDate, 0
	case "timestamp without time zone", "timestamp with time zone":
		return famTimestamp, 0
	case "uuid":
		return famUUID, 0
	case "json", "jsonb":
		return famJSON, 0
	case "inet", "cidr":
		return famNet, 0
	case "macaddr", "macaddr8":
		return famMAC, 0
	case "bytea":
		return famBytea, 0
	case "boolean":
		return famBool, 0
	}
	if strings.HasSuffix(name, ".citext") {
		return famString, 0
	}
	return famOther, 0
}

// minEmailLen is the shortest varchar(n) an email mask is suggested for;
// shorter columns get a text mask.
const minEmailLen = 16

// suggest picks a mask kind for what a column holds, given its type.
func suggest(s sem, t colType) (kind, value string) {
	if t.fam == famString {
		switch s {
		case semEmail:
			if t.maxLen == 0 || t.maxLen >= minEmailLen {
				return mask.Email, ""
			}
			return mask.Text, ""
		case semName, semFirstName, semLastName:
			if t.unique {
				return mask.Text, ""
			}
			return map[sem]string{semName: mask.Name, semFirstName: mask.FirstName, semLastName: mask.LastName}[s], ""
		case semPhone, semNationalID, semCard, semIBAN, semAccount, semPostal, semBirth, semIP, semGeo, semMoney:
			return mask.Digits, ""
		case semSecret:
			if t.unique {
				return mask.Text, ""
			}
			return mask.Hash, ""
		}
		return mask.Text, ""
	}
	switch t.fam {
	case famInt:
		return mask.Int, ""
	case famNumeric:
		return mask.Numeric, ""
	case famDate:
		return mask.Date, ""
	case famTimestamp:
		return mask.Timestamp, ""
	case famUUID:
		return mask.UUID, ""
	}
	// No mask rewrites these types value by value: blank them out.
	switch {
	case t.unique:
		return "", "" // neither null nor a constant keeps it unique
	case !t.notNull:
		return mask.Null, ""
	case t.array:
		return mask.Value, "{}"
	}
	switch t.fam {
	case famNet:
		if strings.HasPrefix(t.base, "cidr") {
			return mask.Value, "192.0.2.0/24"
		}
		return mask.Value, "192.0.2.1" // TEST-NET-1, for documentation
	case famMAC:
		if strings.HasPrefix(t.base, "macaddr8") {
			return mask.Value, "02:00:00:00:00:00:00:00"
		}
		return mask.Value, "02:00:00:00:00:00" // locally administered
	case famJSON:
		return mask.Value, "{}"
	case famBytea:
		return mask.Value, `\x`
	}
	return "", ""
}

// FromCatalog finds the columns of the included tables (nil: every table)
// that look personal by their definition alone: their name (in words:
// "hotel_name" is not a name, "customerEmail" is an email), their type
// (inet, cidr, macaddr), their comment (personal, PII, GDPR, sensitive,
// confidential). Identifiers, foreign keys to tables that are not about
// people, booleans, enums and timestamps such as created_at are not
// flagged. Columns linked by a foreign key to a flagged column are flagged
// too, and every column of such a group gets the same suggestion (masks on
// linked columns must agree).
//
// Findings come sorted by table, then column order.
func FromCatalog(cat *catalog.Catalog, include func(catalog.Name) bool) []Finding {
	fkParent := map[colRef]catalog.Name{} // child column -> parent table
	referencesPeople := map[catalog.Name]catalog.Name{}
	for _, fk := range cat.ForeignKeys {
		for _, c := range fk.ChildColumns {
			fkParent[colRef{fk.Child, c}] = fk.Parent
		}
		if _, ok := referencesPeople[fk.Child]; !ok && isPeopleTable(fk.Parent) && fk.Parent != fk.Child {
			referencesPeople[fk.Child] = fk.Parent
		}
	}
	var out []Finding
	sems := map[colRef]sem{}
	for _, t := range cat.Tables {
		if include != nil && !include(t.Name) {
			continue
		}
		people := isPeopleTable(t.Name)
		peopleParent, related := referencesPeople[t.Name]
		for _, c := range t.Columns {
			f := Finding{Table: t.Name, Column: c.Name, num: c.Num}
			ct := typeOf(c)
			s := semNone
			if parent, ok := fkParent[colRef{t.Name, c.Name}]; !ok || isPeopleTable(parent) {
				s = byName(&f, c.Name, ct, people, related, peopleParent, t.Name)
			}
			switch ct.fam {
			case famNet:
				f.Reasons = append(f.Reasons, "type "+ct.base+" holds IP addresses")
				if s == semNone {
					s = semIP
				}
			case famMAC:
				f.Reasons = append(f.Reasons, "type "+ct.base+" holds hardware addresses")
				if s == semNone {
					s = semMAC
				}
			}
			if word := commentFlag(c.Comment); word != "" {
				f.Reasons = append(f.Reasons, fmt.Sprintf("comment says %q", word))
				if s == semNone {
					s = semOther
				}
			}
			if s == semNone {
				continue
			}
			f.Suggest, f.Value = suggest(s, ct)
			sems[colRef{t.Name, c.Name}] = s
			out = append(out, f)
		}
	}
	out = linkGroups(cat, include, out, sems)
	sortFindings(cat, out)
	return out
}

// byName adds the reason a column's name gives, and returns what it holds.
func byName(f *Finding, name string, ct colType, people, related bool, peopleParent, table catalog.Name) sem {
	words := Words(name)
	if len(words) == 0 || ct.fam == famBool || ct.fam == famOther {
		return semNone
	}
	for _, cat := range categories {
		if cat.types&ct.fam.bit() == 0 {
			continue
		}
		onPeople := people || cat.related && related
		if cat.people && !onPeople {
			continue
		}
		for _, pat := range cat.pats {
			found, last := match(words, pat)
			if !found || !last && notPersonal[words[len(words)-1]] {
				continue
			}
			switch {
			case cat.people && people:
				f.Reasons = append(f.Reasons, "name suggests "+cat.what+" on a table of people")
			case cat.people:
				f.Reasons = append(f.Reasons, fmt.Sprintf("name suggests %s (the table references %s)", cat.what, peopleParent.Display()))
			default:
				f.Reasons = append(f.Reasons, "name suggests "+cat.what)
			}
			return cat.sem
		}
	}
	// body/text/content of a notes or comments table about people.
	tw := Words(table.Name)
	if (people || related) && len(tw) > 0 && freeTextTables[tw[len(tw)-1]] && ct.fam == famString &&
		len(words) == 1 && freeTextColumns[words[0]] {
		about := "a table of people"
		if !people {
			about = "people (the table references " + peopleParent.Display() + ")"
		}
		f.Reasons = append(f.Reasons, "free text in a notes table about "+about)
		return semFreeText
	}
	return semNone
}

// commentFlag returns the word of a column comment that marks it personal,
// or "" (also for "not personal", "no PII", "non-sensitive").
func commentFlag(comment string) string {
	words := Words(comment)
	for i, w := range words {
		if !commentWords[w] {
			continue
		}
		if i > 0 && (words[i-1] == "not" || words[i-1] == "no" || words[i-1] == "non") {
			continue
		}
		return w
	}
	return ""
}

type colRef struct {
	table  catalog.Name
	column string
}

// linkGroups flags the columns linked by a foreign key to a flagged one
// and gives every flagged column of a linked group the same suggestion,
// made for the group's narrowest type, and unique and NOT NULL when any
// member is.
func linkGroups(cat *catalog.Catalog, include func(catalog.Name) bool, found []Finding, sems map[colRef]sem) []Finding {
	parent := map[colRef]colRef{}
	var find func(colRef) colRef
	find = func(r colRef) colRef {
		p, ok := parent[r]
		if !ok || p == r {
			return r
		}
		root := find(p)
		parent[r] = root
		return root
	}
	type link struct {
		fk       *catalog.ForeignKey
		from, to colRef
	}
	var links []link
	linked := map[colRef]bool{}
	for _, fk := range cat.ForeignKeys {
		for i := range fk.ChildColumns {
			a, b := colRef{fk.Child, fk.ChildColumns[i]}, colRef{fk.Parent, fk.ParentColumns[i]}
			links = append(links, link{fk, a, b})
			linked[a], linked[b] = true, true
			ra, rb := find(a), find(b)
			if ra != rb {
				parent[ra] = rb
			}
		}
	}
	if len(links) == 0 {
		return found
	}
	index := map[colRef]int{}
	for i, f := range found {
		index[colRef{f.Table, f.Column}] = i
	}
	// Flag the unflagged ends of links, until nothing changes.
	for changed := true; changed; {
		changed = false
		for _, l := range links {
			for _, e := range [][2]colRef{{l.from, l.to}, {l.to, l.from}} {
				this, other := e[0], e[1]
				if _, ok := index[this]; ok {
					continue
				}
				if _, ok := index[other]; !ok {
					continue
				}
				if include != nil && !include(this.table) {
					continue
				}
				t := cat.Table(this.table)
				if t == nil || t.Column(this.column) == nil {
					continue
				}
				c := t.Column(this.column)
				found = append(found, Finding{Table: this.table, Column: this.column, num: c.Num,
					Reasons: []string{fmt.Sprintf("linked by foreign key %s to %s.%s", l.fk.Name, other.table.Display(), catalog.QuoteIfNeeded(other.column))}})
				index[this] = len(found) - 1
				sems[this] = sems[other]
				changed = true
			}
		}
	}
	// One suggestion per group.
	groups := map[colRef][]int{}
	for i, f := range found {
		r := colRef{f.Table, f.Column}
		if linked[r] {
			groups[find(r)] = append(groups[find(r)], i)
		}
	}
	for _, members := range groups {
		var gt colType
		s := semNone
		for k, i := range members {
			f := found[i]
			r := colRef{f.Table, f.Column}
			if s == semNone {
				s = sems[r]
			}
			ct := typeOf(cat.Table(f.Table).Column(f.Column))
			if k == 0 {
				gt = ct
				continue
			}
			if ct.maxLen > 0 && (gt.maxLen == 0 || ct.maxLen < gt.maxLen) {
				gt.maxLen = ct.maxLen
			}
			gt.unique = gt.unique || ct.unique
			gt.notNull = gt.notNull || ct.notNull
		}
		kind, value := suggest(s, gt)
		for _, i := range members {
			found[i].Suggest, found[i].Value = kind, value
		}
	}
	return found
}

// Merge returns the findings of a and b, one per column (reasons joined),
// sorted by table, then column order.
func Merge(cat *catalog.Catalog, a, b []Finding) []Finding {
	out := slices.Clone(a)
	index := map[colRef]int{}
	for i, f := range out {
		index[colRef{f.Table, f.Column}] = i
	}
	for _, f := range b {
		if i, ok := index[colRef{f.Table, f.Column}]; ok {
			out[i].Reasons = append(slices.Clone(out[i].Reasons), f.Reasons...)
			continue
		}
		index[colRef{f.Table, f.Column}] = len(out)
		out = append(out, f)
	}
	sortFindings(cat, out)
	return out
}

func sortFindings(cat *catalog.Catalog, fs []Finding) {
	for i := range fs {
		if fs[i].num == 0 {
			if t := cat.Table(fs[i].Table); t != nil {
				if c := t.Column(fs[i].Column); c != nil {
					fs[i].num = c.Num
				}
			}
		}
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Table != b.Table {
			if a.Table.Less(b.Table) {
				return -1
			}
			return 1
		}
		return int(a.num) - int(b.num)
	})
}
