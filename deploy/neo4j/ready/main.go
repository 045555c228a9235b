// Command ready waits until a Neo4j server answers a real query.
//
// It is used by deploy/neo4j/neo4j.sh: it retries the driver's
// VerifyConnectivity followed by `RETURN 1` on database "neo4j" until both
// succeed or the timeout expires. With -pid it gives up as soon as that
// process has exited (a server that died will never become ready).
//
// Exit codes: 0 ready, 1 timed out, 2 bad usage, 3 process exited,
// 4 authentication rejected.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

func main() {
	uri := flag.String("uri", os.Getenv("NEO4J_URI"), "bolt URI, e.g. bolt://127.0.0.1:7687")
	user := flag.String("user", envOr("NEO4J_USER", "neo4j"), "user name (ignored with -no-auth)")
	password := flag.String("password", os.Getenv("NEO4J_PASSWORD"), "password (ignored with -no-auth)")
	noAuth := flag.Bool("no-auth", false, "connect without authentication")
	database := flag.String("database", "neo4j", "database to run RETURN 1 against")
	timeout := flag.Duration("timeout", 180*time.Second, "give up after this long")
	pid := flag.Int("pid", 0, "stop waiting if this process exits (0: do not watch)")
	flag.Parse()
	if *uri == "" {
		fmt.Fprintln(os.Stderr, "ready: -uri (or NEO4J_URI) is required")
		os.Exit(2)
	}
	os.Exit(run(*uri, *user, *password, *noAuth, *database, *timeout, *pid))
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func alive(pid int) bool {
	if pid <= 0 {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func run(uri, user, password string, noAuth bool, database string, timeout time.Duration, pid int) int {
	auth := neo4j.BasicAuth(user, password, "")
	if noAuth {
		auth = neo4j.NoAuth()
	}
	driver, err := neo4j.NewDriverWithContext(uri, auth, func(c *neo4j.Config) {
		c.SocketConnectTimeout = 5 * time.Second
		c.ConnectionAcquisitionTimeout = 10 * time.Second
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ready: %v\n", err)
		return 2
	}
	defer driver.Close(context.Background())

	start := time.Now()
	deadline := start.Add(timeout)
	var lastErr error
	for attempt := 1; ; attempt++ {
		if !alive(pid) {
			fmt.Fprintf(os.Stderr, "ready: process %d exited before the server became ready (last error: %v)\n", pid, lastErr)
			return 3
		}
		lastErr = try(driver, database)
		if lastErr == nil {
			fmt.Fprintf(os.Stderr, "ready: %s answered RETURN 1 after %.1fs (%d attempts)\n", uri, time.Since(start).Seconds(), attempt)
			return 0
		}
		var n4jErr *neo4j.Neo4jError
		if errors.As(lastErr, &n4jErr) && n4jErr.Code == "Neo.ClientError.Security.Unauthorized" {
			fmt.Fprintf(os.Stderr, "ready: authentication rejected: %v\n", lastErr)
			return 4
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "ready: %s not ready after %s: %v\n", uri, timeout, lastErr)
			return 1
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func try(driver neo4j.DriverWithContext, database string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := driver.VerifyConnectivity(ctx); err != nil {
		return err
	}
	res, err := neo4j.ExecuteQuery(ctx, driver, "RETURN 1 AS n", nil,
		neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(database))
	if err != nil {
		return err
	}
	if len(res.Records) != 1 {
		return fmt.Errorf("RETURN 1 gave %d records", len(res.Records))
	}
	n, ok := res.Records[0].Get("n")
	if !ok || n != int64(1) {
		return fmt.Errorf("RETURN 1 gave %v", n)
	}
	return nil
}
