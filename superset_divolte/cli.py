"""The ``superset-divolte`` command: a thin layer of arguments over the modules that do the work."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import click

from superset_divolte.assets import PACKAGED_TREE, TARGETS, AssetError, load_tree, read_tree

DEFAULT_HOME = Path(".demo")
ASSETS_HELP = "folder holding datasets/ and dashboards/ (default: the tree shipped with superset-divolte)"


class UsageError(Exception):
    """Bad input from the command line; the message says what to change."""


def _utc(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--end {text!r} is not an ISO 8601 time; write it like 2026-11-20T00:00:00+00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _generator_settings(args: argparse.Namespace):
    from superset_divolte.events import GeneratorSettings

    if args.events <= 0 or args.days <= 0:
        raise UsageError("--events and --days must be positive")
    end = {"end": _utc(args.end)} if args.end else {}
    return GeneratorSettings(seed=args.seed, events=args.events, days=args.days, **end)


def cmd_demo(args: argparse.Namespace) -> int:
    from superset_divolte import demo

    settings = demo.DemoSettings(home=args.home.resolve(), assets=args.assets.resolve(),
                                 generator=_generator_settings(args), regenerate=args.regenerate,
                                 verbose=args.verbose)
    app, bundle, _, login = demo.prepare(settings)
    if args.serve:
        demo.serve(app, bundle.uuids("databases")[0], args.port, login)
    else:
        print(login.text(f"http://127.0.0.1:{args.port}{demo.DASHBOARD_PATH} (once served: drop --no-serve)"),
              file=sys.stderr)
    return 0


def cmd_events_generate(args: argparse.Namespace) -> int:
    from superset_divolte import event_sinks

    settings = _generator_settings(args)
    try:
        written = event_sinks.generate_to(args.sink, settings, args.ground_truth, args.replace)
    except event_sinks.SinkError as error:
        raise UsageError(str(error)) from None
    except event_sinks.Interrupted as interrupted:
        print(f"superset-divolte: {interrupted} in {args.sink}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"superset-divolte: {event_sinks.left_after_abort(args.sink)}", file=sys.stderr)
        return 130
    print(f"wrote {written:,} events to {args.sink}", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from superset_divolte.superset_app import validation_context
    from superset_divolte.validation import validate_tree

    tree, problems = read_tree(args.directory)
    with validation_context():
        problems += validate_tree(tree, args.target or TARGETS)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {args.directory}", file=sys.stderr)
        return 2
    print(f"{len(tree.files)} asset files valid for targets {', '.join(args.target or TARGETS)}", file=sys.stderr)
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    from superset_divolte.bundle import build_bundle, write_zip

    bundle = build_bundle(load_tree(args.assets), args.target)
    if bundle.passwords:
        print("note: database passwords are masked in the ZIP; superset import-dashboards cannot take them, "
              "use 'superset-divolte provision' for databases with credentials", file=sys.stderr)
    write_zip(bundle, args.output)
    print(f"wrote {args.output} ({len(bundle.documents)} assets, target {args.target})", file=sys.stderr)
    return 0


def cmd_provision(args: argparse.Namespace) -> int:
    from superset_divolte import provision

    druid = None
    if args.target == "druid" and args.druid_overlord_url:
        druid = provision.DruidTarget(args.druid_overlord_url, args.druid_broker_url or args.druid_overlord_url,
                                      args.kafka_bootstrap)
    report = provision.provision(args.assets, args.target, args.home, args.superset_url, args.username,
                                 druid, args.wait)
    print(report.summary())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from superset_divolte import export

    report = export.pull(args.assets, args.target, args.output, args.home, args.superset_url, args.username)
    print(report.summary())
    return 0


def cmd_stack(args: argparse.Namespace) -> int:
    from superset_divolte import local_stack

    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if args.action == "up":
        local_stack.stack_local_up(args.workdir, progress, args.profile)
    elif args.action == "down":
        local_stack.stack_local_down(args.workdir, progress)
    return 0 if local_stack.stack_local_status(args.workdir, progress) or args.action == "down" else 1


def cmd_druid_materialise(args: argparse.Namespace) -> int:
    from superset_divolte.druid import materialise
    from superset_divolte.druid.client import DruidClient

    if not args.druid_overlord_url:
        raise UsageError("--druid-overlord-url (or SUPERSET_DIVOLTE_DRUID_OVERLORD_URL) is required")
    client = DruidClient(args.druid_overlord_url, args.druid_broker_url or args.druid_overlord_url, timeout=600)
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    materialise.run(client, args.staging, args.every, progress)
    return 0


def _add_generator_options(parser: argparse.ArgumentParser, events: int) -> None:
    parser.add_argument("--seed", type=int, default=42, help="random seed: the same seed gives the same events")
    parser.add_argument("--events", type=int, default=events, help="number of events")
    parser.add_argument("--days", type=int, default=14, help="days of traffic, ending at --end")
    parser.add_argument("--end", help="end of the traffic, ISO 8601 (default: now, to the minute, UTC)")


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--assets", type=Path, default=PACKAGED_TREE, help=ASSETS_HELP)
    parser.add_argument("--target", choices=TARGETS, default="duckdb", help="where the data lives")


def _add_superset_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="local Superset home (in process)")
    parser.add_argument("--superset-url", help="a running Superset; the password comes from "
                        "SUPERSET_DIVOLTE_PASSWORD or a prompt")
    parser.add_argument("--username", default="admin")


def build_parser() -> argparse.ArgumentParser:
    """The command-line grammar."""
    parser = argparse.ArgumentParser(prog="superset-divolte", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="embedded demo: DuckDB events, Superset on 127.0.0.1")
    _add_generator_options(demo, events=300_000)
    demo.add_argument("--home", type=Path, default=DEFAULT_HOME, help="folder for Superset and the events")
    demo.add_argument("--assets", type=Path, default=PACKAGED_TREE, help=ASSETS_HELP)
    demo.add_argument("--port", type=int, default=8088)
    demo.add_argument("--regenerate", action="store_true", help="generate the events again")
    demo.add_argument("--no-serve", dest="serve", action="store_false", help="prepare, then exit")
    demo.add_argument("--verbose", action="store_true", help="keep Superset's and the migrations' INFO logs")
    demo.set_defaults(handler=cmd_demo)

    events = commands.add_parser("events", help="clickstream events").add_subparsers(dest="action", required=True)
    generate = events.add_parser("generate", help="generate realistic Divolte events")
    _add_generator_options(generate, events=100_000)
    generate.add_argument("--sink", default="duckdb:///clickstream.duckdb",
                          help="duckdb:///PATH or kafka://HOST:PORT/TOPIC")
    generate.add_argument("--ground-truth", type=Path, help="write exact counts of the events here (JSON)")
    generate.add_argument("--replace", action="store_true",
                          help="DuckDB: replace a file whose table already holds events (refused otherwise)")
    generate.set_defaults(handler=cmd_events_generate)

    validate = commands.add_parser("validate", help="check the asset files")
    validate.add_argument("directory", nargs="?", type=Path, default=PACKAGED_TREE, help=ASSETS_HELP)
    validate.add_argument("--target", action="append", choices=TARGETS, help="only these targets")
    validate.set_defaults(handler=cmd_validate)

    bundle = commands.add_parser("bundle", help="write the import ZIP for a target")
    _add_target_options(bundle)
    bundle.add_argument("-o", "--output", type=Path, required=True)
    bundle.set_defaults(handler=cmd_bundle)

    provision = commands.add_parser("provision", help="bring a Superset (and Druid) to the files' state")
    _add_target_options(provision)
    _add_superset_options(provision)
    provision.add_argument("--druid-overlord-url", default=os.environ.get("SUPERSET_DIVOLTE_DRUID_OVERLORD_URL"),
                           help="target druid: also create or update the Kafka supervisor through this Overlord "
                                "(or router) URL")
    provision.add_argument("--druid-broker-url", default=os.environ.get("SUPERSET_DIVOLTE_DRUID_BROKER_URL"),
                           help="Druid SQL endpoint (broker or router) for --wait; defaults to the Overlord URL")
    provision.add_argument("--kafka-bootstrap", default=os.environ.get("SUPERSET_DIVOLTE_KAFKA_BOOTSTRAP",
                                                                       "127.0.0.1:9092"),
                           help="Kafka brokers the Druid supervisor reads the Divolte topic from")
    provision.add_argument("--wait", action="store_true", help="wait until the Druid datasource answers SQL")
    provision.set_defaults(handler=cmd_provision)

    druid = commands.add_parser("druid", help="Druid-side jobs").add_subparsers(dest="job", required=True)
    materialiser = druid.add_parser(
        "materialise", help="keep the sessions (one row per session), signup_funnel (per-day sketches) and "
                            "experiments (units per variant and hour) datasources up to date")
    materialiser.add_argument("--druid-overlord-url", default=os.environ.get("SUPERSET_DIVOLTE_DRUID_OVERLORD_URL"),
                              help="Overlord (or router) URL, e.g. http://127.0.0.1:8081")
    materialiser.add_argument("--druid-broker-url", default=os.environ.get("SUPERSET_DIVOLTE_DRUID_BROKER_URL"),
                              help="Druid SQL endpoint (broker or router); defaults to the Overlord URL")
    materialiser.add_argument("--staging", type=Path, help="folder for the rows, readable by Druid's indexer "
                                                           "(default: <tmp>/superset-divolte-staging)")
    materialiser.add_argument("--every", type=float, help="run again every this many seconds (until stopped)")
    materialiser.set_defaults(handler=cmd_druid_materialise)

    export = commands.add_parser("export", help="pull assets edited in the UI back into the tree")
    _add_target_options(export)
    _add_superset_options(export)
    export.add_argument("-o", "--output", type=Path, required=True)
    export.set_defaults(handler=cmd_export)

    stack = commands.add_parser("stack", help="Kafka and Druid without Docker").add_subparsers(dest="where", required=True)
    local = stack.add_parser("local", help="on 127.0.0.1, from Maven Central jars")
    local.add_argument("action", choices=("up", "down", "status"))
    local.add_argument("--workdir", type=Path, default=Path(".stack"))
    local.add_argument("--profile", choices=("test", "bench"),
                       help="JVM sizes for up: test (small, the default) or bench (a 2-core, 24 GiB host)")
    local.set_defaults(handler=cmd_stack)
    return parser


def _user_errors() -> tuple[type[BaseException], ...]:
    """Failures a user causes and can fix (bad files, URLs, passwords, servers): a message, not a traceback.

    Imported only when an error is being handled, so the command stays quick to start.
    """
    from superset_divolte.export import ExportError
    from superset_divolte.provision import ProvisionError
    from superset_divolte.superset_client import SupersetClientError

    return AssetError, UsageError, ExportError, ProvisionError, SupersetClientError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; bad input ends with a message and a non-zero exit."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except _user_errors() as error:
        print(f"superset-divolte: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


@click.command("divolte", add_help_option=False,
               context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def superset_divolte_command(context: click.Context) -> None:
    """superset-divolte's commands inside Superset's own CLI: ``superset divolte validate …``."""
    context.exit(main(context.args))


if __name__ == "__main__":
    sys.exit(main())
