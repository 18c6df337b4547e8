"""`./run conformance`: Octavia's test suite (octavia-tempest-plugin) live against lbaas.

    ./run conformance                       # keystone_default_roles, then advanced
    ./run conformance --rbac advanced       # one RBAC type
    ./run conformance --regex 'tests\\.api\\.v2\\.test_load_balancer' --concurrency 3

It holds /tmp/lbaas-dataplane.lock for the whole run (it plugs namespaces), prints every test's
result, then per RBAC type: run / passed / skipped / failed, the skip reasons and the time.
Exit status 1 if any test failed.
"""

from __future__ import annotations

import argparse
import fcntl
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import get_args

from tests.conformance.tempest_lab import EXCLUDED, SELECTION, Conformance, Outcome, RbacType

LOCK = "/tmp/lbaas-dataplane.lock"


@contextmanager
def dataplane_lock() -> Iterator[None]:
    with open(LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for {LOCK} (another data-plane run holds it)", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def report(rbac: str, outcome: Outcome) -> None:
    print(f"\n== {rbac}: {outcome.summary()}")
    for reason, count in outcome.skip_reasons().most_common():
        print(f"   skipped {count:4d}: {reason}")
    for name in outcome.failed:
        print(f"   FAILED: {name}")


def run_one(rbac: RbacType, args: argparse.Namespace) -> Outcome:
    print(f"\n== {rbac}: starting Keystone and lbaas", flush=True)
    run = Conformance(rbac=rbac, keep=args.keep,
                      say=lambda line: print(f"[{rbac}] {line}", flush=True))
    try:
        run.start()
        outcome = run.run(args.regex, args.exclude_regex, args.concurrency)
        if outcome.failed:
            print(f"[{rbac}] failures:\n{outcome.failure_text()}", flush=True)
        return outcome
    finally:
        run.close()
        if args.keep:
            print(f"kept {run.workdir}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="./run conformance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rbac", choices=[*get_args(RbacType), "both"], default="both")
    parser.add_argument("--regex", default=SELECTION, help="tests to run (tempest --regex)")
    parser.add_argument("--exclude-regex", default=EXCLUDED)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch directory (logs, tempest workspace)")
    args = parser.parse_args()
    kinds: list[RbacType] = (list(get_args(RbacType)) if args.rbac == "both" else [args.rbac])
    started = time.monotonic()
    outcomes: dict[str, Outcome] = {}
    with dataplane_lock():
        # One after the other: two `lbaas up` agents on one host would each take the other's
        # load balancer namespaces (same prefix) for orphans.
        for rbac in kinds:
            outcomes[rbac] = run_one(rbac, args)
    for rbac, outcome in outcomes.items():
        report(rbac, outcome)
    print(f"\ntotal time {time.monotonic() - started:.0f} s")
    failed = any(o.failed or o.returncode not in (0, 1) or o.ran == 0 for o in outcomes.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
