// Package copytext reads and writes PostgreSQL's COPY TEXT format, the
// default format of COPY ... TO STDOUT and COPY ... FROM STDIN.
//
// In that format a row is a line ended by "\n" and the fields of a row are
// separated by a tab. NULL is the two characters \N, alone as the whole
// field. Inside a value a backslash starts an escape: \\ \t \n \r \b \f \v,
// \NNN (one to three octal digits), \xHH (one or two hex digits), and a
// backslash before any other character stands for that character. See
// https://www.postgresql.org/docs/15/sql-copy.html, "Text Format".
//
// The package is built for streaming a table from one server to another
// while looking at a few key columns of each row:
//
//	r := copytext.NewReader(src) // src: the CopyTo side of an io.Pipe
//	var fields [][]byte
//	for {
//		row, err := r.Next()
//		if err == io.EOF {
//			break
//		} else if err != nil {
//			return err
//		}
//		fields = row.Split(fields)
//		if !row.IsNull(0) {
//			key := copytext.Decode(fields[0])
//			...
//		}
//		out = copytext.AppendRow(out[:0], fields) // or append(row.Line, '\n'), which does not copy
//		dst.Write(out)
//	}
//
// Raw fields are never copied: Row.Line, Row.Field and Row.Split return
// slices of the Reader's buffer, valid until the next call to Reader.Next.
// Only Decode (which makes a string) allocates.
//
// # Splitting rules
//
// The server escapes every newline, carriage return, tab and backslash in a
// value on output, so its rows can be split on raw '\n' and fields on raw
// '\t'. COPY FROM is a little more liberal: a backslash followed by a raw
// newline or a raw tab makes that character part of the value instead of
// ending the row or the field. The Reader and the field functions follow
// the server's reading of such input too: a '\n' or '\t' preceded by an odd
// number of consecutive backslashes is data. This costs nothing in the
// common case (it is only checked when the byte before a separator is a
// backslash) and keeps rows byte-for-byte intact when they are passed on.
//
// # Stream ends
//
// A line consisting of exactly \. is the end-of-data marker: Next returns
// io.EOF and reads nothing after it. COPY TO STDOUT does not send one; a
// file written by psql's \copy or pg_dump may. A "\." elsewhere in a line is
// treated as ordinary data (PostgreSQL 15's COPY FROM would stop or fail
// there; the server never writes it, since '.' is not escaped on output).
//
// A final row without its "\n" is accepted and returned as a row, as COPY
// FROM does; PostgreSQL itself always ends every row with "\n". A read error
// other than io.EOF in the middle of a row is returned as is, and the
// partial row is dropped.
//
// Only "\n" ends a row: a carriage return before it is kept as part of the
// last field (the server always writes "\n" and escapes carriage returns in
// values as \r). Since an empty line is a row with one empty field, rows
// of a table without columns (which COPY writes as empty lines) look like
// rows with one empty field; callers know their column count.
package copytext
