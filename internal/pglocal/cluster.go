package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options tune a throwaway cluster. The zero value is a socket-only cluster.
type Options struct {
	// BinDir holds initdb, pg_ctl and postgres; empty means FindServerBin.
	BinDir string
	// TCP also listens on a free loopback port.
	TCP bool
	// Settings are extra server settings (name → value) passed to postgres.
	Settings map[string]string
	// Password, when set, is the postgres superuser's password, and TCP
	// connections must give it (scram-sha-256); the Unix socket stays
	// trusted.
	Password string
}

// Cluster is a running throwaway PostgreSQL server.
type Cluster struct {
	BinDir  string
	Dir     string // temporary directory holding data, socket and log
	DataDir string
	Socket  string // directory of the Unix socket
	Port    int
	TCP     bool
	cred    *syscall.Credential
}

// Start creates a new cluster in a temporary directory and starts it.
// The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bin := opts.BinDir
	if bin == "" {
		var err error
		if bin, err = FindServerBin(); err != nil {
			return nil, err
		}
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(baseDir(cred), "pgtwin-pg-")
	if err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	c := &Cluster{BinDir: bin, Dir: dir, DataDir: filepath.Join(dir, "data"), Socket: dir, Port: 5432, TCP: opts.TCP, cred: cred}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("hand cluster directory to the postgres user: %w", err)
		}
	}
	if opts.TCP {
		if c.Port, err = freePort(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	initdb := []string{"-D", c.DataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"}
	if opts.Password != "" {
		pwfile := filepath.Join(dir, "pwfile")
		if err := os.WriteFile(pwfile, []byte(opts.Password+"\n"), 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("write password file: %w", err)
		}
		defer os.Remove(pwfile)
		initdb = append(initdb, "--pwfile", pwfile, "--auth-host=scram-sha-256")
	}
	if err := c.run(ctx, "initdb", initdb...); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.start(ctx, opts.Settings); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// settings returns the server settings used for every throwaway cluster.
func (c *Cluster) settings(extra map[string]string) []string {
	listen := "''"
	if c.TCP {
		listen = "127.0.0.1"
	}
	s := map[string]string{
		"listen_addresses":        listen,
		"port":                    strconv.Itoa(c.Port),
		"unix_socket_directories": "'" + c.Socket + "'",
		"fsync":                   "off",
		"synchronous_commit":      "off",
		"full_page_writes":        "off",
		"max_connections":         "500",
		"shared_buffers":          "128MB",
		"max_wal_size":            "4GB",
		"checkpoint_timeout":      "30min",
		"log_min_messages":        "warning",
	}
	for k, v := range extra {
		s[k] = v
	}
	var args []string
	for k, v := range s {
		args = append(args, "-c "+k+"="+v)
	}
	return args
}

func (c *Cluster) start(ctx context.Context, extra map[string]string) error {
	return c.run(ctx, "pg_ctl", "-D", c.DataDir, "-l", filepath.Join(c.Dir, "server.log"),
		"-w", "-t", "60", "-o", strings.Join(c.settings(extra), " "), "start")
}

// Restart stops the server (fast) and starts it again with the same settings.
func (c *Cluster) Restart(ctx context.Context) error {
	if err := c.run(ctx, "pg_ctl", "-D", c.DataDir, "-w", "-m", "fast", "restart"); err != nil {
		return err
	}
	return nil
}

// Stop shuts the server down immediately and removes its directory.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.run(ctx, "pg_ctl", "-D", c.DataDir, "-m", "immediate", "-w", "stop")
	if rmErr := os.RemoveAll(c.Dir); rmErr != nil && err == nil {
		err = rmErr
	}
	return err
}

// DSN returns a keyword/value connection string for database db as the
// superuser, over the Unix socket.
func (c *Cluster) DSN(db string) string { return c.UserDSN("postgres", db) }

// UserDSN is DSN for another role (the socket trusts every role).
func (c *Cluster) UserDSN(user, db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", c.Socket, c.Port, user, db)
}

// URL returns a postgres:// URL for database db as user over TCP; the
// cluster must have been started with TCP.
func (c *Cluster) URL(user, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", user, c.Port, db)
}

// StopCommand is the shell command that stops the cluster and removes it,
// for users who keep one running.
func (c *Cluster) StopCommand() string {
	ctl := filepath.Join(c.BinDir, "pg_ctl")
	if c.cred != nil {
		ctl = "runuser -u postgres -- " + ctl
	}
	return fmt.Sprintf("%s -D %s -m fast stop && rm -rf %s", ctl, c.DataDir, c.Dir)
}

// Log returns the server log, for test failure messages.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
	return string(b)
}

// run runs a server program from BinDir, as the postgres OS user when the
// caller is root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	// The server outlives pg_ctl; leaving stdout unset keeps exec from
	// waiting on a pipe the server holds open.
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// serverCredential returns the postgres OS user's credential when running as
// root (initdb and postgres refuse root), or nil otherwise.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, but there is no `postgres` OS user to run the server as " +
			"(PostgreSQL refuses to run as root); install the postgresql package, which creates it, or run as a normal user")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// baseDir is where cluster directories go: the temporary directory, unless
// the server runs as another OS user who could not reach it (a private
// $TMPDIR of root's), then /tmp.
func baseDir(cred *syscall.Credential) string {
	dir := os.TempDir()
	if cred == nil {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
