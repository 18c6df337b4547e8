"""`python -m bench NAME [--quick] [sizes...]`: run one benchmark against the real system.

Every benchmark prints its figures and ends with one line of JSON (figures, targets with their
verdicts, the machine). Exit status: 0 when the run completed (whatever the verdicts; add
--strict to exit 3 on a missed target), 1 when it could not run, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback

from bench.common import fail

BENCHMARKS = {
    "provisioning": "VIP create -> first response through the VIP; -> ACTIVE  [count]",
    "provisioning_v2": "populated v2 create -> first response; -> ACTIVE  [count]",
    "changes": "member add / admin-down / weight change -> in effect  [trials]",
    "hitless": "wrk load during member changes and reloads  [member_changes reloads]",
    "overhead": "API-made LB vs hand-written HAProxy, HTTP and TCP  [rounds seconds]",
    "hitless_v2": "v2: wrk over HTTP(S), listener/L7/certificate changes  [updates l7 certs]",
    "overhead_tls": "v2 TERMINATED_HTTPS vs hand-written HAProxy, same certificate"
                    "  [rounds seconds]",
    "scale": "N LBs on one agent, memory, agent restart, 10k members  [lbs members]",
    "failure": "backend stopped; agent killed; a pair's MASTER cut  [trials lbs takeovers]",
}
RUNNERS = {"provisioning_v2": ("provisioning", "run_v2")}  # else bench.<name>.run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="lbaas benchmarks (root, haproxy and, for some, wrk needed)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(f"  {name:<13} {text}" for name, text in BENCHMARKS.items()),
    )
    parser.add_argument("name", choices=sorted(BENCHMARKS), metavar="NAME")
    parser.add_argument("sizes", nargs="*", type=int, help="sizes (see each benchmark)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    parser.add_argument("--strict", action="store_true", help="exit 3 if a target is missed")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    module_name, function = RUNNERS.get(args.name, (args.name, "run"))
    module = importlib.import_module(f"bench.{module_name}")
    print(f"== {args.name}{' (quick)' if args.quick else ''}", flush=True)
    try:
        result = getattr(module, function)(args.quick, args.sizes)
    except KeyboardInterrupt:
        fail("interrupted")
        return 1
    except Exception as exc:
        traceback.print_exc()
        fail(f"{args.name} could not run: {exc}")
        return 1
    result.finish()
    if args.strict and not result.passed:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
