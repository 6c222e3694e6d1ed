"""The operators' command line: `python -m portal COMMAND`.

Every command exits non-zero with a one-line reason on error, so scripts and services can rely on it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from portal.config import ConfigError, load_config
from portal.keys import MissingKeyError
from portal.logs import configure_logging

class CommandError(Exception):
    """A command could not do what was asked; the message is the one-line reason."""


def _runtime(config=None, upgrade: bool = True):
    from portal.runtime import open_runtime

    return open_runtime(config or load_config(), upgrade=upgrade)


def cmd_init_db(args: argparse.Namespace) -> int:
    runtime = _runtime()
    print(f"database ready: {runtime.db.engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_check_templates(args: argparse.Namespace) -> int:
    from letters.templates import load_campaigns

    config = load_config()
    catalog = load_campaigns(config.templates_dir, config.offices)
    for campaign in catalog:
        print(f"ok       {campaign.id} ({', '.join(sorted(campaign.texts))})")
    for problem in catalog.problems:
        print(f"problem  {problem}")
    return 1 if catalog.problems else 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from letters.demo import add_demo_letters

    config = load_config()
    if config.env == "production":
        raise CommandError("demo-data refuses to write fake records into a production database")
    if args.letters < 0:
        raise CommandError("--letters must be zero or more")
    runtime = _runtime(config)
    added = add_demo_letters(runtime, args.letters, seed=args.seed)
    print(f"added {added} demo letters")
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    from letters.delivery import run_worker

    runtime = _runtime()
    if runtime.config.delivers_to_files:
        print(f"no SMTP server configured: writing messages as .eml files to {runtime.config.outbox_dir}")
    report = run_worker(runtime, once=args.once)
    print(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m portal",
        description="Operate the Families Together portal. Settings come from PORTAL_* "
                    "environment variables and .streamlit/secrets.toml (see the README).")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_text: str):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    add("init-db", cmd_init_db, "create the database or upgrade its schema to the newest version")
    add("check-templates", cmd_check_templates,
        "load every letter template and report problems (exit 1 if any)")
    p = add("demo-data", cmd_demo_data, "add realistic fake records for demos and benchmarks")
    p.add_argument("--letters", type=int, default=0, metavar="N", help="number of fake letters")
    p.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
    p = add("deliver", cmd_deliver, "send queued letters (SMTP, or .eml files when none is set)")
    p.add_argument("--once", action="store_true",
                   help="send what is due now and exit, instead of running until stopped")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return args.func(args)
    except (CommandError, ConfigError, MissingKeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
