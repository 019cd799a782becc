"""``jifen service-keys``: generate an Ed25519 key per service and print it with its
public half as environment lines, for docker-compose (.env) or a secret store
(docs/service-auth.md)."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.add_argument("--prefix", default="JIFEN_",
                        help="variable name prefix (default JIFEN_, what docker-compose reads)")


def run(args: argparse.Namespace) -> int:
    from shared.service_auth import SERVICES, generate_key, public_key_of

    print("# Jifen service keys (docs/service-auth.md). Keep the *_SERVICE_KEY lines secret;")
    print("# each service gets its own key and the public keys of the services that call it.")
    for service in SERVICES:
        key = generate_key()
        print(f"{args.prefix}{service.upper()}_SERVICE_KEY={key}")
        print(f"{args.prefix}{service.upper()}_SERVICE_PUBLIC_KEY={public_key_of(key)}")
    return 0
