"""The operators' command line: `python -m portal COMMAND`.

Every command exits non-zero with a one-line reason on error, so scripts and services can rely on it.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

from portal.config import ConfigError, load_config
from portal.db import StorageBusy
from portal.keys import MissingKeyError
from portal.logs import configure_logging

REJECTED_RETENTION_DAYS = 30  # stories.purge's default, repeated so --help needs no domain import


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
    if args.stories < 0:
        raise CommandError("--stories must be zero or more")
    runtime = _runtime(config)
    if args.letters or not args.stories:
        added = add_demo_letters(runtime, args.letters, seed=args.seed)
        print(f"added {added} demo letters")
    if args.stories:
        from stories.demo import add_demo_stories

        added = add_demo_stories(runtime, args.stories, seed=args.seed)
        print(f"added {added} demo stories")
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    from letters.delivery import run_worker

    runtime = _runtime()
    if runtime.config.delivers_to_files:
        print(f"no SMTP server configured: writing messages as .eml files to {runtime.config.outbox_dir}")
    report = run_worker(runtime, once=args.once)
    print(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")
    return 0


def cmd_stories_import(args: argparse.Namespace) -> int:
    from stories.paper_import import csv_help, csv_template, import_stories

    if args.template:
        if args.file or args.receipts:
            raise CommandError("--template takes no FILE and no --receipts")
        print(csv_template(), end="")
        return 0
    if args.help_columns:
        print(csv_help(), end="")
        return 0
    if not args.file:
        raise CommandError("give the CSV file to import (or --template for its header)")
    if not args.receipts:
        raise CommandError("--receipts FILE is required: receipt codes are shown only once, and "
                           "the storytellers need them to check or withdraw their stories")
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f'{path} is not UTF-8 text; in the spreadsheet use "Save as CSV UTF-8"') from None
    runtime = _runtime()
    # Created before importing: once the stories are stored, the codes exist nowhere else.
    receipts_fd = _create_private_file(Path(args.receipts))
    try:
        report = import_stories(runtime, io.StringIO(text, newline=""),
                                all_or_nothing=not args.row_by_row)
    except BaseException:
        os.close(receipts_fd)
        os.unlink(args.receipts)
        raise
    _write_receipts(receipts_fd, Path(args.receipts), report.receipts)
    for problem in report.problems:
        print(f"line {problem.line}: {problem.field}: {problem.message}")
    rejected = len(report.rejected_lines)
    if report.imported:
        print(f"imported {report.imported} stories; receipt codes written to {args.receipts} "
              "(hand each storyteller theirs, then delete the file)")
    if rejected and report.imported:
        print(f"{rejected} rows rejected; fix them and import only those rows again, "
              "not the whole file")
    elif rejected:
        print(f"nothing imported: {rejected} rows rejected; fix them and import the file again")
    elif not report.imported:
        print("nothing imported: the file has no stories")
    return 1 if rejected else 0


def _create_private_file(path: Path) -> int:
    """A new file only its owner can read (0600); never overwrites earlier receipts."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CommandError(f"{path} already exists; choose a new file for the receipts") from None
    except OSError as exc:
        raise CommandError(f"cannot create {path}: {exc.strerror}") from None
    os.fchmod(fd, 0o600)
    return fd


def _write_receipts(fd: int, path: Path, receipts) -> None:
    if not receipts:
        os.close(fd)
        path.unlink()
        return
    rows = [["line", "receipt_code"], *([r.line, r.code] for r in receipts)]
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    except OSError as exc:
        # The stories are stored and these codes exist nowhere else: show them rather than lose them.
        print(f"error: cannot write {path} ({exc.strerror}); the receipt codes follow, copy them now",
              file=sys.stderr)
        for line, code in rows[1:]:
            print(f"line {line}: receipt {code}")


def cmd_purge(args: argparse.Namespace) -> int:
    from stories.purge import purge

    if args.retention_days < 0:
        raise CommandError("--retention-days must be zero or more")
    report = purge(_runtime(), retention_days=args.retention_days)
    print(f"purged {report.withdrawn} withdrawn and {report.rejected} rejected stories "
          f"(rejected ones older than {args.retention_days} days)")
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from portal.key_rotation import rotate_keys
    from stories.intake import photos_dir

    runtime = _runtime()
    if len(runtime.config.encryption_keys) < 2:
        print("only one encryption key is configured: everything already uses it")
    report = rotate_keys(runtime, photos_dir=photos_dir(runtime))
    print(f"re-encrypted {report.fields} fields and {report.files} photos with the newest key; "
          "the older keys can now be removed from the configuration")
    return 0


def _read_new_password(from_stdin: bool) -> str:
    """The new password from standard input (one line) or typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        # Only the line ending goes: spaces are part of a passphrase.
        return line[:-1].removesuffix("\r") if line.endswith("\n") else line
    first = getpass.getpass("New password (15 characters or more; spaces allowed): ")
    second = getpass.getpass("Same password again: ")
    if first != second:
        raise CommandError("the two passwords differ; nothing was changed")
    return first


def cmd_moderators_add(args: argparse.Namespace) -> int:
    from portal.accounts import AccountError, add_moderator, canonical_email, check_password

    try:
        email = canonical_email(args.email)
        # Checked before the database is opened, so a short password costs nothing to retry.
        password = check_password(_read_new_password(args.password_stdin))
        add_moderator(_runtime(), email, password, is_admin=args.admin)
    except AccountError as exc:
        raise CommandError(str(exc)) from None
    print(f"added {'administrator' if args.admin else 'moderator'} {email}")
    return 0


def cmd_moderators_disable(args: argparse.Namespace) -> int:
    from portal.accounts import AccountError, canonical_email, disable_moderator

    try:
        email = canonical_email(args.email)
        changed = disable_moderator(_runtime(), email)
    except AccountError as exc:
        raise CommandError(str(exc)) from None
    print(f"disabled {email}" if changed else f"{email} was already disabled")
    return 0


def cmd_moderators_list(args: argparse.Namespace) -> int:
    from portal.accounts import list_moderators

    moderators = list_moderators(_runtime())
    if not moderators:
        print("no moderator accounts yet; add one with: python -m portal moderators add EMAIL --admin")
        return 0
    width = max(len("EMAIL"), *(len(m.email) for m in moderators))
    print(f"{'EMAIL':<{width}}  ADMIN  DISABLED  LAST LOGIN (UTC)")
    for m in moderators:
        last = m.last_login_at.strftime("%Y-%m-%d %H:%M") if m.last_login_at else "never"
        print(f"{m.email:<{width}}  {'yes' if m.is_admin else 'no':<5}  "
              f"{'yes' if m.disabled else 'no':<8}  {last}")
    return 0


EXPORT_FORMATS = ("xlsx", "docx")


def _export_format(value: str) -> str:
    if value not in EXPORT_FORMATS:
        raise CommandError(f"unknown format {value!r}; use xlsx or docx")
    return value


def _write_export(path: Path, write: Callable[[object], int]) -> int:
    """Run `write` on a new file only its owner can read (0600); remove the file if it fails."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise CommandError(f"{path} already exists; choose a new file for the export") from None
    except OSError as exc:
        raise CommandError(f"cannot create {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w+b") as fh:
            os.fchmod(fh.fileno(), 0o600)
            return write(fh)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def cmd_export_stories(args: argparse.Namespace) -> int:
    from portal.audit import Actor
    from stories.ledger import clean_outlet, export_stories

    fmt = _export_format(args.format)
    if args.status != "approved":
        raise CommandError("only approved stories can be exported (--status approved)")
    try:
        outlet = clean_outlet(args.outlet)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    runtime = _runtime()
    count = _write_export(Path(args.out), lambda fh: export_stories(
        runtime, Actor(None, "cli"), fh, fmt=fmt, outlet=outlet, campaign=args.campaign_name))
    print(f"wrote {count} stories to {args.out}; the export is recorded in the ledger")
    return 0


def cmd_export_letters(args: argparse.Namespace) -> int:
    from letters.exports import UnknownExportFilter, check_filters, export_letters
    from portal.audit import Actor

    fmt = _export_format(args.format)
    if args.office and fmt != "docx":
        raise CommandError("--office applies to the docx print bundle only")
    if args.with_emails and fmt != "xlsx":
        raise CommandError("--with-emails applies to the xlsx export only")
    runtime = _runtime()
    try:
        with runtime.db.session() as session:  # before creating the file: a typo leaves nothing
            check_filters(runtime, session, campaign_id=args.campaign, office_id=args.office)

        def write_and_record(fh) -> int:
            # Recorded before the file is handed over: if this fails, the file is removed.
            return export_letters(runtime, Actor(None, "cli"), fh, fmt=fmt, campaign_id=args.campaign,
                                  office_id=args.office, include_emails=args.with_emails)

        count = _write_export(Path(args.out), write_and_record)
    except UnknownExportFilter as exc:
        raise CommandError(str(exc)) from None
    what = "letter pages" if fmt == "docx" else "letters counted"
    print(f"wrote {count} {what} to {args.out}")
    return 0


def _print_tables(tables: dict[str, int]) -> None:
    width = max((len(name) for name in tables), default=0)
    for name, rows in tables.items():
        print(f"  {name:<{width}}  {rows} rows")


def cmd_backup(args: argparse.Namespace) -> int:
    from portal.backup import BackupError, backup

    try:
        report = backup(_runtime(), Path(args.path))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"backup written to {report.path} ({report.bytes} bytes, readable by its owner only)")
    _print_tables(report.tables)
    print("integrity ok")
    print("the backup holds no keys: keep the encryption and lookup keys safe apart from it")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from portal.backup import BackupError, restore

    try:
        report = restore(load_config(), Path(args.path), force=args.force)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"restored {report.source} into {report.target}")
    _print_tables(report.tables)
    print("integrity ok")
    return 0


def cmd_copy_db(args: argparse.Namespace) -> int:
    from portal.db_copy import CopyError, copy_database

    config = load_config()
    try:
        report = copy_database(args.source or config.database_url, args.target,
                               busy_timeout_seconds=config.busy_timeout_seconds)
    except CopyError as exc:
        raise CommandError(str(exc)) from None
    print(f"copied {report.source} into {report.target}")
    _print_tables(report.tables)
    print("now set PORTAL_DATABASE_URL to the new database and start the portal and the workers")
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
    p.add_argument("--stories", type=int, default=0, metavar="N",
                   help="number of fake stories, in every status")
    p.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")
    p = add("deliver", cmd_deliver, "send queued letters (SMTP, or .eml files when none is set)")
    p.add_argument("--once", action="store_true",
                   help="send what is due now and exit, instead of running until stopped")
    p = add("purge", cmd_purge,
            "remove the content of withdrawn stories, and of rejected ones past the retention")
    p.add_argument("--retention-days", type=int, default=REJECTED_RETENTION_DAYS, metavar="N",
                   help=f"keep rejected stories this many days (default {REJECTED_RETENTION_DAYS})")

    add("rotate-keys", cmd_rotate_keys,
        "re-encrypt every encrypted field and photo with the first (newest) encryption key")
    p = add("backup", cmd_backup,
            "copy the database, while the portal runs, into a new file (mode 0600) and check it")
    p.add_argument("path", metavar="PATH", help="new file to write; never overwritten")
    p = add("restore", cmd_restore,
            "replace the database's content with a checked backup (stop the portal first)")
    p.add_argument("path", metavar="PATH", help="a file written by the backup command")
    p.add_argument("--force", action="store_true",
                   help="replace a database that already holds data")

    p = add("copy-db", cmd_copy_db,
            "copy every row into another, empty database, e.g. from SQLite to PostgreSQL "
            "(stop the portal and the workers first)")
    p.add_argument("--to", dest="target", required=True, metavar="URL",
                   help="the new database's URL; leave its password out and set PGPASSWORD, so "
                        "that it never shows in the process list")
    p.add_argument("--from", dest="source", default=None, metavar="URL",
                   help="the database to copy (default: the configured one)")

    stories = sub.add_parser("stories", help="story tools", description="story tools")
    stories_sub = stories.add_subparsers(dest="stories_command", required=True, metavar="ACTION")
    text = "import stories collected on paper forms from a CSV file (exit 1 if any row is rejected)"
    p = stories_sub.add_parser("import", help=text, description=text)
    p.set_defaults(func=cmd_stories_import)
    p.add_argument("file", nargs="?", metavar="FILE.csv", help="the CSV file (UTF-8)")
    p.add_argument("--template", action="store_true", help="print the CSV header line and exit")
    p.add_argument("--help-columns", action="store_true",
                   help="describe each column and its allowed values, and exit")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--all-or-nothing", dest="row_by_row", action="store_false",
                      help="import nothing if any row is rejected (the default)")
    mode.add_argument("--row-by-row", dest="row_by_row", action="store_true",
                      help="import the good rows and report the rejected ones")
    p.set_defaults(row_by_row=False)  # else the store_false option's default (True) would win
    p.add_argument("--receipts", metavar="FILE",
                   help="new file (mode 0600) for each imported row's receipt code; required")

    moderators = sub.add_parser("moderators", help="moderator accounts",
                                description="moderator accounts (passwords are never shown)")
    mod_sub = moderators.add_subparsers(dest="moderators_command", required=True, metavar="ACTION")
    text = "add a moderator account; the password is asked twice at a hidden prompt"
    p = mod_sub.add_parser("add", help=text, description=text)
    p.set_defaults(func=cmd_moderators_add)
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--admin", action="store_true",
                   help="also allow administration (the audit log)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input instead")
    text = "disable a moderator account; its open sessions end at once"
    p = mod_sub.add_parser("disable", help=text, description=text)
    p.set_defaults(func=cmd_moderators_disable)
    p.add_argument("email", metavar="EMAIL")
    text = "list moderator accounts: e-mail, administrator, disabled, last sign-in"
    p = mod_sub.add_parser("list", help=text, description=text)
    p.set_defaults(func=cmd_moderators_list)

    export = sub.add_parser("export", help="export files for the press or for delivery",
                            description="export files for the press or for delivery; "
                                        "files are created new, readable by their owner only")
    export_sub = export.add_subparsers(dest="export_command", required=True, metavar="WHAT")
    text = ("approved stories whose tellers allowed press use, publication version only; "
            "recorded in the export ledger")
    p = export_sub.add_parser("stories", help=text, description=text)
    p.set_defaults(func=cmd_export_stories)
    p.add_argument("--format", required=True, metavar="xlsx|docx", help="spreadsheet or press kit")
    p.add_argument("--out", required=True, metavar="PATH", help="new file to write (mode 0600)")
    p.add_argument("--status", default="approved", help="only approved is allowed")
    p.add_argument("--for", dest="outlet", default=None, metavar="OUTLET",
                   help="who receives the file, for the recall list if a story is withdrawn")
    p.add_argument("--campaign-name", default="Families Together", metavar="NAME",
                   help="campaign name on the cover and summary (default: Families Together)")
    text = "letters: a print bundle for hand delivery (docx) or senders by place (xlsx)"
    p = export_sub.add_parser("letters", help=text, description=text)
    p.set_defaults(func=cmd_export_letters)
    p.add_argument("--format", required=True, metavar="xlsx|docx", help="spreadsheet or print bundle")
    p.add_argument("--out", required=True, metavar="PATH", help="new file to write (mode 0600)")
    p.add_argument("--campaign", default=None, metavar="ID", help="only this campaign's letters")
    p.add_argument("--office", default=None, metavar="ID", help="docx: only letters to this office")
    p.add_argument("--with-emails", action="store_true",
                   help="xlsx: add a sheet with each sender's name and e-mail address")
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
    except StorageBusy:
        print("error: the database stayed busy; nothing more was saved, try again", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
