"""Preflight: what this host needs to run load balancers, checked one thing at a time.

Each check is a function returning a `CheckResult` (ok, missing or warn, what was found, and how
to fix it, naming the Debian package). `lbaas doctor` prints them; `lbaas up` and `lbaas agent`
log what is missing at start; the agent reports `capabilities` with its heartbeat.

Modules: `result` (the types), `tools` (commands found on PATH), `haproxy` (version, features),
`kernel` (root, namespaces, link kinds, nf_tables), `limits` (sysctls, file descriptors, the data
directory), `run` (all checks, and the capabilities they add up to). This package imports nothing
at import time, so a driver can use `tools` without loading the rest.
"""
