"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

The OpenAPI document states every rule the server enforces that OpenAPI can
express. The rules below it cannot: they tie two values together, depend on
the clock, on the caller's role or on what is stored. The document states
them in words (descriptions) and Go tests in api/ check them. These hooks
keep schemathesis from offering a request that breaks one of them as a
*valid* one (positive data): such a positive case is dropped. Negative
cases are never dropped, so the server is still checked to refuse them.

  - a friendship or recruitment joins two different people (no self-ties);
  - GET /v1/exports: depth and limit only with ego, seed and method only
    with sample, ego and sample exclude each other;
  - GET /v1/disputes: overdue=true only with no status or status=open;
  - event dates (at, paid) are not in the future (a minute of skew);
  - a profile verifies only fields it provides (verified within provided;
    if/contains per field name says it, which schemathesis cannot generate);
  - a shock changes each person at most once (uniqueItems cannot look at
    one property of the items);
  - a simulation's policy object has weights that sum to 1 and a sweep
    axis's values fit the field it names: positive simulation requests
    name a preset and have no axes;
  - an operator changing an existing person's consent gives ?reason=;
  - an app says why it reads a score (?purpose=; the auditors' low-score
    listing, theirs alone, requires it in the document);
  - a simulation's cost (person-rounds: people, or the stored network's,
    times rounds times runs) is within the role's budget (README, Heavy
    work: 1e10 for operators, 1e9 for other roles);
  - a shock's cursor is one the server issued (page.next_cursor): positive
    shock requests ask for the first page.
"""

import os
from datetime import datetime, timedelta, timezone

import schemathesis
from schemathesis import GenerationMode

_DISTINCT = {
    "/v1/friendships/{a}/{b}": ("a", "b"),
    "/v1/recruitments/{recruiter}/{recruit}": ("recruiter", "recruit"),
}
_NEEDS = {"/v1/exports": {"depth": "ego", "limit": "ego", "seed": "sample", "method": "sample"}}
# The routes whose readers must give ?purpose=, by role (accessTable's purpose).
_PURPOSE = {"/v1/people/{id}/score": "app", "/v1/scores/batch": "app"}
_NOT_FUTURE = ("at", "paid")
# scripts/schemathesis.sh seeds 200 people; simulate.DefaultConfig has 10 rounds.
_STORED_PEOPLE = 200
_DEFAULT_ROUNDS = 10


def _positive(case):
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode == GenerationMode.POSITIVE


def _positive_body(case):
    """Whether the body is generated as valid, whatever the other parts are
    (the coverage phase pairs a valid body with invalid query variants, and
    the server checks the body's cross-field rules first)."""
    meta = getattr(case, "meta", None)
    if meta is None:
        return False
    for loc, info in (meta.components or {}).items():
        if str(getattr(loc, "name", loc)).lower() == "body":
            return info.mode == GenerationMode.POSITIVE
    return meta.generation.mode == GenerationMode.POSITIVE


def _unissued_cursor(case):
    """A shock request carrying a cursor: only the server issues cursors."""
    return (case.operation.path == "/v1/experiments/shock" and isinstance(case.body, dict)
            and case.body.get("cursor") is not None)


def _parse_time(value):
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None


def _future_event(body):
    """Whether an event anywhere in the body is dated in the future."""
    limit = datetime.now(timezone.utc) + timedelta(minutes=1)
    stack = [body]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            for k, x in v.items():
                if k in _NOT_FUTURE:
                    t = _parse_time(x)
                    if t is not None:
                        if t.tzinfo is None:
                            t = t.replace(tzinfo=timezone.utc)
                        if t > limit:
                            return True
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _unprovided_verified(body):
    """Whether a profile anywhere in the body verifies a field it does not provide."""
    stack = [body]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            verified = v.get("verified")
            if isinstance(verified, list) and verified:
                provided = v.get("provided") if isinstance(v.get("provided"), list) else []
                if any(f not in provided for f in verified):
                    return True
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _same_number(v):
    """A key under which 1 and 1.0 (the same integer in JSON Schema) are equal."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer():
        return ("n", int(v))
    return ("v", repr(v))


def breaks_unexpressible_rule(case):
    path = case.operation.path
    pp = case.path_parameters or {}
    pair = _DISTINCT.get(path)
    if pair and str(pp.get(pair[0])) == str(pp.get(pair[1])):
        return True
    needs = _NEEDS.get(path)
    if needs:
        q = case.query or {}
        if any(name in q and need not in q for name, need in needs.items()):
            return True
        if "ego" in q and "sample" in q:
            return True
    if path == "/v1/simulations" and isinstance(case.body, dict):
        base = case.body.get("base")
        if isinstance(base, dict) and isinstance(base.get("policy"), dict):
            return True
        if case.body.get("axes"):
            return True
        if isinstance(base, dict) or base is None:
            b = base or {}
            people = b.get("people") or _STORED_PEOPLE
            rounds = b.get("rounds") or _DEFAULT_ROUNDS
            runs = case.body.get("replicates") or 1
            budget = 1e10 if os.environ.get("SCHEMATHESIS_ROLE") == "operator" else 1e9
            if isinstance(people, (int, float)) and isinstance(rounds, (int, float)) and isinstance(runs, (int, float)):
                if people * rounds * runs > budget:
                    return True
    if path == "/v1/experiments/shock" and isinstance(case.body, dict):
        ids = [_same_number(c.get("id")) for c in case.body.get("changes") or [] if isinstance(c, dict)]
        if len(ids) != len(set(ids)):
            return True
    if path == "/v1/people/{id}" and case.method.upper() == "PUT" and os.environ.get("SCHEMATHESIS_ROLE") == "operator":
        if not (case.query or {}).get("reason"):
            return True
    if _PURPOSE.get(path) == os.environ.get("SCHEMATHESIS_ROLE") and not (case.query or {}).get("purpose"):
        return True
    if path == "/v1/disputes":
        q = case.query or {}
        if str(q.get("overdue")).lower() == "true" and q.get("status") not in (None, "open"):
            return True
    if isinstance(case.body, (dict, list)) and (_future_event(case.body) or _unprovided_verified(case.body)):
        return True
    return False


@schemathesis.hook
def filter_case(ctx, case):
    if _positive_body(case) and _unissued_cursor(case):
        return False
    return not (_positive(case) and breaks_unexpressible_rule(case))
