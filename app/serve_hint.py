"""Print where Morrow can be reached, including from a phone on this network.

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


def main(port: str) -> None:
    print(f"\n  Morrow is starting on http://127.0.0.1:{port}")
    code = setup_code_if_unclaimed()
    if code:
        print(f"  First visit: create the owner account with setup code {code}")
    address = lan_address()
    if address:
        print(f"  From a phone on the same Wi-Fi: http://{address}:{port}")
        print(
            "  (The camera and offline mode need HTTPS: see 'Deploying' in README.md.)"
        )
    print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "5000")
