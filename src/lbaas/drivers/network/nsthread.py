"""Working inside a named network namespace from the calling thread, without forking.

pyroute2 0.9 forks a child process to create a namespace and again for every netlink socket it
opens inside one; from a large agent process each fork costs tens of milliseconds, several times
per load balancer deployed. setns(2) and unshare(2) with CLONE_NEWNET change the namespace of the
calling thread only, so the same work can be done in the thread itself: switch, make the socket
(or the namespace, or write a sysctl), switch back. A socket stays in the namespace it was made in
whichever thread uses it later.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

NETNS_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SHARED = 0x100000
NETLINK_ROUTE = 0

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_void_p]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _setns(fd: int) -> None:
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


def path(name: str) -> str:
    return f"{NETNS_DIR}/{name}"


@contextmanager
def entered(name: str) -> Iterator[None]:
    """Run the block with this thread in namespace `name`; back in its own one afterwards."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(path(name), os.O_RDONLY)
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _return(own)
    finally:
        os.close(own)


def _return(own: int) -> None:
    try:
        _setns(own)
    except OSError as exc:  # never go on in the wrong namespace
        os.write(2, f"lbaas: cannot return to the thread's namespace: {exc}\n".encode())
        os.abort()


def netlink_socket(name: str) -> socket.socket:
    """A NETLINK_ROUTE socket inside namespace `name`."""
    with entered(name):
        return socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE)


def create(name: str) -> bool:
    """Make namespace `name` as `ip netns add` does; False if it exists already."""
    os.makedirs(NETNS_DIR, exist_ok=True)
    _share_netns_dir()
    target = path(name)
    try:
        os.close(os.open(target, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    except FileExistsError:
        return False
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        try:
            _check(_libc.unshare(CLONE_NEWNET), "unshare")
            try:
                _check(_libc.mount(b"/proc/thread-self/ns/net", target.encode(), b"none",
                                   MS_BIND, None), f"bind mount {target}")
            finally:
                _return(own)
        except OSError:
            os.unlink(target)
            raise
    finally:
        os.close(own)
    return True


def _share_netns_dir() -> None:
    """Make /run/netns a shared mount (bound on itself first if need be), as iproute2 does,
    so namespaces made here are seen by processes in other mount namespaces."""
    directory = NETNS_DIR.encode()
    if _libc.mount(b"none", directory, b"none", MS_SHARED | MS_REC, None) == 0:
        return
    if ctypes.get_errno() != errno.EINVAL:
        _check(-1, f"make {NETNS_DIR} shared")
    _check(_libc.mount(directory, directory, b"none", MS_BIND | MS_REC, None),
           f"bind {NETNS_DIR} on itself")
    _check(_libc.mount(b"none", directory, b"none", MS_SHARED | MS_REC, None),
           f"make {NETNS_DIR} shared")


def write_sysctls(name: str, settings: Sequence[str]) -> None:
    """Set `key=value` sysctls inside namespace `name` (/proc/sys/net follows the thread)."""
    with entered(name):
        for setting in settings:
            key, _, value = setting.partition("=")
            with open("/proc/sys/" + key.strip().replace(".", "/"), "w") as f:
                f.write(value.strip())
