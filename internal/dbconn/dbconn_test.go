package dbconn_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/pgtwin/pgtwin/internal/dbconn"
	"github.com/pgtwin/pgtwin/internal/pglocal"
)

const secret = "s3cret-Pa55"

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestResolvePrecedence(t *testing.T) {
	vars := map[string]string{"PROD_DATABASE_URL": "postgres://env/db"}
	ep, err := dbconn.Resolve("source", "source", "postgres://flag/db", "PROD_DATABASE_URL", env(vars))
	if err != nil || ep.DSN != "postgres://flag/db" || ep.From != "--source" {
		t.Errorf("flag: got %+v, %v", ep, err)
	}
	ep, err = dbconn.Resolve("source", "source", "", "PROD_DATABASE_URL", env(vars))
	if err != nil || ep.DSN != "postgres://env/db" || ep.From != "$PROD_DATABASE_URL" {
		t.Errorf("env: got %+v, %v", ep, err)
	}
	ep, err = dbconn.Resolve("source", "source", "", "PROD_DATABASE_URL", env(map[string]string{"PGHOST": "db.example"}))
	if err != nil || ep.DSN != "" || ep.From != "the PG* environment" {
		t.Errorf("PG*: got %+v, %v", ep, err)
	}
	_, err = dbconn.Resolve("target", "target", "", "DEV_DATABASE_URL", env(nil))
	want := "no target database: pass --target URL or set $DEV_DATABASE_URL (a postgres:// URL or a keyword/value string)"
	if err == nil || err.Error() != want {
		t.Errorf("nothing: got %v, want %q", err, want)
	}
}

func TestConnectErrors(t *testing.T) {
	ctx := context.Background()
	c, err := pglocal.Start(ctx, pglocal.Options{TCP: true, Password: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()

	url := func(pw, db string) string {
		return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", pw, c.Port, db)
	}
	for _, tc := range []struct {
		name, dsn, want string
	}{
		{"wrong password", url("wrong-"+secret, "postgres"),
			`password authentication failed for user "postgres": check the password in $PROD_DATABASE_URL or ~/.pgpass`},
		{"unknown database", url(secret, "nope"),
			`database "nope" does not exist on that server: check the database name in $PROD_DATABASE_URL`},
		{"refused port", fmt.Sprintf("host=127.0.0.1 port=%d user=postgres password=%s sslmode=disable", closedPort, secret),
			"connection refused: is the server running and accepting connections on that host and port?"},
		{"unknown host", "postgres://postgres:" + secret + "@no-such-host.invalid/db",
			`host "no-such-host.invalid" not found: check the host name in $PROD_DATABASE_URL`},
		{"ssl required", strings.Replace(url(secret, "postgres"), "sslmode=disable", "sslmode=require", 1),
			"the server does not support SSL: use sslmode=prefer or sslmode=disable"},
		{"malformed url", "postgres://postgres:" + secret + "@127.0.0.1:notaport/db",
			"source connection string from $PROD_DATABASE_URL is not valid"},
		{"unknown sslmode", url(secret, "postgres") + "&sslmode=sometimes",
			"source connection string from $PROD_DATABASE_URL is not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := dbconn.Endpoint{Role: "source", DSN: tc.dsn, From: "$PROD_DATABASE_URL"}
			conn, err := ep.Connect(ctx)
			if err == nil {
				conn.Close(ctx)
				t.Fatal("connected, want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q\ndoes not contain %q", msg, tc.want)
			}
			if strings.Contains(msg, secret) {
				t.Errorf("error shows the password: %q", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}

	ep := dbconn.Endpoint{Role: "source", DSN: url(secret, "postgres"), From: "--source"}
	conn, err := ep.Connect(ctx)
	if err != nil {
		t.Fatalf("right password: %v", err)
	}
	var app string
	if err := conn.QueryRow(ctx, "SHOW application_name").Scan(&app); err != nil || app != "pgtwin" {
		t.Errorf("application_name = %q, %v; want pgtwin", app, err)
	}
	conn.Close(ctx)
}

func TestRedact(t *testing.T) {
	dsn := "host=db user=app password='" + secret + "' dbname=x"
	got := dbconn.Redact("could not use "+secret+" here", dsn)
	if strings.Contains(got, secret) || !strings.Contains(got, "xxxxx") {
		t.Errorf("Redact = %q", got)
	}
	got = dbconn.Redact("postgres://app:"+secret+"@db/x failed", "postgres://app:"+secret+"@db/x")
	if strings.Contains(got, secret) {
		t.Errorf("Redact(url) = %q", got)
	}
}
