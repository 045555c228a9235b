package neo4j

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	drv "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/socialscore/socialscore/graph"
)

// codeConstraint is the status of a uniqueness-constraint violation.
const codeConstraint = "Neo.ClientError.Schema.ConstraintValidationFailed"

// wrap prefixes err with the operation and makes the domain kinds visible
// to errors.Is: errors that already carry a graph kind keep it; a server
// that cannot be reached (or answers "try again later") becomes
// graph.ErrUnavailable; a uniqueness violation becomes graph.ErrConflict.
func (s *Store) wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, graph.ErrNotFound), errors.Is(err, graph.ErrConflict),
		errors.Is(err, graph.ErrInvalid), errors.Is(err, graph.ErrUnavailable):
		return fmt.Errorf("neo4j: %s: %w", op, err)
	case isConflict(err):
		return fmt.Errorf("neo4j: %s: %w: %w", op, graph.ErrConflict, err)
	case isUnavailable(ctx, err):
		return fmt.Errorf("neo4j: %s: %w: %w", op, graph.ErrUnavailable, err)
	}
	return fmt.Errorf("neo4j: %s: %w", op, err)
}

// isConflict reports a uniqueness-constraint violation.
func isConflict(err error) bool {
	var ne *drv.Neo4jError
	return errors.As(err, &ne) && ne.Code == codeConstraint
}

// isUnavailable reports whether err means the server could not be reached
// or could not serve the request right now, so that retrying later may
// succeed. A context cancelled by the caller is not unavailability; a
// deadline that ran out while waiting for the server is.
func isUnavailable(ctx context.Context, err error) bool {
	var (
		connErr  *drv.ConnectivityError
		limitErr *drv.TransactionExecutionLimit
		ne       *drv.Neo4jError
		netErr   net.Error
	)
	switch {
	case errors.As(err, &connErr), errors.As(err, &limitErr), errors.As(err, &netErr):
		return true
	case errors.As(err, &ne):
		// Transient errors (database unavailable, leader switch, memory
		// pressure, deadlocks beyond the retry budget) are retryable.
		return ne.IsRetriable() || ne.Code == "Neo.TransientError.General.DatabaseUnavailable"
	case drv.IsRetryable(err):
		return true
	case errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return ctx.Err() == context.DeadlineExceeded
}
