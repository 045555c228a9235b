package neo4j

import (
	"context"
	"fmt"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Exists reports whether the database cfg names holds a socialscore store:
// the schema Open creates (its person_id constraint) or any stored person.
// Unlike Open it changes nothing, so a command that only reads can refuse
// an empty database instead of creating a store in it. A server that
// cannot be reached gives an error wrapping graph.ErrUnavailable.
func Exists(ctx context.Context, cfg Config) (bool, error) {
	if err := takeURIOptions(&cfg); err != nil {
		return false, fmt.Errorf("neo4j: exists: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return false, fmt.Errorf("neo4j: exists: %w", err)
	}
	cfg = cfg.withDefaults()
	auth := drv.NoAuth()
	if cfg.User != "" || cfg.Password != "" {
		auth = drv.BasicAuth(cfg.User, cfg.Password, "")
	}
	d, err := drv.NewDriverWithContext(cfg.URI, auth, func(c *drv.Config) {
		c.SocketConnectTimeout = cfg.ConnectTimeout
		c.ConnectionAcquisitionTimeout = cfg.ConnectTimeout + cfg.RetryTime
		c.MaxTransactionRetryTime = cfg.RetryTime
	})
	if err != nil {
		return false, fmt.Errorf("neo4j: exists %s: %w", redact(cfg.URI), err)
	}
	s := &Store{cfg: cfg, driver: d}
	defer s.Close()
	v, err := s.read(ctx, func(ctx context.Context, tx drv.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, `SHOW CONSTRAINTS YIELD name WHERE name = 'person_id' RETURN count(*) AS n`, nil)
		if err != nil {
			return nil, err
		}
		if asInt(rec.Values[0]) > 0 {
			return true, nil
		}
		rec, err = single(ctx, tx, `OPTIONAL MATCH (p:Person) WITH p LIMIT 1 RETURN count(p) AS n`, nil)
		if err != nil {
			return nil, err
		}
		return asInt(rec.Values[0]) > 0, nil
	})
	if err != nil {
		return false, s.wrap(ctx, "exists "+redact(cfg.URI), err)
	}
	return v.(bool), nil
}
