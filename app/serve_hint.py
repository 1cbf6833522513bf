"""Print where Morrow can be reached, including from a phone on this network."""

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


def main(port: str) -> None:
    print(f"\n  Morrow is starting on http://127.0.0.1:{port}")
    address = lan_address()
    if address:
        print(f"  From a phone on the same Wi-Fi: http://{address}:{port}")
        print(
            "  (The camera and offline mode need HTTPS: see 'Deploying' in README.md.)"
        )
    print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "5000")
