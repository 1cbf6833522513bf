"""Print where Morrow can be reached, including from a phone on this network.

`python -m app.serve_hint PORT [HOST]`: HOST is the address gunicorn binds
(`make run HOST=…`); only every interface (0.0.0.0, the default) is reachable
from a phone, so only then is the phone's address printed.

Until the owner account exists, also print the one-time setup code: the setup
page asks for it, so only someone who can see this terminal can claim Morrow.
"""

from __future__ import annotations

import socket
import sys


def lan_address() -> str | None:
    """Return this machine's address on the local network, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            # No packet is sent: connecting a UDP socket only picks a route.
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def setup_code_if_unclaimed() -> str | None:
    """The first-run setup code while Morrow has no account, else None."""
    from . import create_app
    from .auth import setup_code
    from .extensions import db
    from .models import User

    app = create_app()
    with app.app_context():
        if db.session.execute(db.select(User.id).limit(1)).first():
            return None
        return setup_code()


# gunicorn's bind addresses meaning every interface (compared, never bound here).
EVERY_INTERFACE = frozenset({"", "::", "0.0.0.0"})  # nosec B104


def main(port: str, host: str = "") -> None:
    print(f"\n  Morrow is starting on http://127.0.0.1:{port}")
    code = setup_code_if_unclaimed()
    if code:
        print(f"  First visit: create the owner account with setup code {code}")
    address = lan_address() if host in EVERY_INTERFACE else None
    if address:
        print(f"  From a phone on the same Wi-Fi: http://{address}:{port}")
        print(
            "  (The camera and offline mode need HTTPS: see 'Deploying' in README.md.)"
        )
    elif host.startswith("127.") or host in {"localhost", "::1"}:
        print("  Only this machine can reach it (HOST=0.0.0.0 opens it to the Wi-Fi).")
    print()


if __name__ == "__main__":
    main(*sys.argv[1:3] or ["5000"])
