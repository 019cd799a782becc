"""``jifen service-keys``: generate an Ed25519 key per service and print it with its
public half as environment lines, for docker-compose (.env), or as the kubectl
command that creates the jifen-service-keys Secret of deploy/k8s
(docs/service-auth.md)."""

from __future__ import annotations

import argparse
import json
import shlex

# who calls whom: each service trusts the public keys of its callers only
CALLERS = {"training": ("points",), "points": ("training", "rewards"),
           "rewards": ("training",)}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n")[0].replace("``", "`")
    parser.add_argument("--prefix", default="JIFEN_",
                        help="variable name prefix (default JIFEN_, what docker-compose reads)")
    parser.add_argument("--format", choices=("env", "kubernetes"), default="env",
                        help="env: variable lines; kubernetes: the kubectl command that "
                             "creates the Secret jifen-service-keys")
    parser.add_argument("--namespace", default="jifen", help="kubernetes namespace")


def run(args: argparse.Namespace) -> int:
    from shared.service_auth import SERVICES, generate_key, public_key_of

    keys = {service: generate_key() for service in SERVICES}
    if args.format == "kubernetes":
        literals = [f"--from-literal={s}={k}" for s, k in keys.items()]
        literals += [f"--from-literal={s}-callers=" + json.dumps(
            {c: public_key_of(keys[c]) for c in callers}, separators=(",", ":"))
            for s, callers in CALLERS.items()]
        print(shlex.join(["kubectl", "-n", args.namespace, "create", "secret", "generic",
                          "jifen-service-keys", *literals]))
        return 0
    print("# Jifen service keys (docs/service-auth.md). Keep the *_SERVICE_KEY lines secret;")
    print("# each service gets its own key and the public keys of the services that call it.")
    for service, key in keys.items():
        print(f"{args.prefix}{service.upper()}_SERVICE_KEY={key}")
        print(f"{args.prefix}{service.upper()}_SERVICE_PUBLIC_KEY={public_key_of(key)}")
    return 0
