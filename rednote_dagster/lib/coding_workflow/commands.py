"""``python -m rednote_dagster coding {prepare,import}``: the workflow from a terminal, on $REDNOTE_DATA_DIR.

``prepare`` does what the asset analysis/coding_sample_<scheme> does (draw or grow the sample, write the
hand-outs), reading the warehouse read-only; ``import`` takes returned workbooks, disagreement sheets and
Label Studio exports into the manual coding files. Heavy imports wait until a command runs, so building the
parser costs nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _user(text: str) -> tuple[str, str]:
    key, sep, name = text.partition("=")
    if not sep or not key or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: write USER=CODER, e.g. 3=coder_a or ana@uni.edu=coder_a")
    return key.strip(), name.strip()


def add_coding_parser(sub: argparse._SubParsersAction) -> None:
    coding = sub.add_parser("coding", help="manual coding: draw the sample, write workbooks, import codes")
    actions = coding.add_subparsers(dest="action", required=True)
    prepare = actions.add_parser(
        "prepare", help="draw or grow a scheme's sample; write coder workbooks, Label Studio files, disagreements"
    )
    prepare.add_argument("--scheme", required=True, help="taxonomy, emotion, stance or sentiment")
    size = prepare.add_mutually_exclusive_group()
    size.add_argument("--share", type=float, help="sample size as a share of the items, e.g. 0.2")
    size.add_argument("--count", type=int, help="sample size as a number of items")
    prepare.add_argument("--seed", type=int, default=0)
    prepare.add_argument(
        "--coder",
        action="append",
        help="a coder's name, once per coder (default: coder_a and coder_b, as in the bundled corpus)",
    )
    prepare.add_argument("--adjudicator", default="adjudicator")
    prepare.set_defaults(func=_reported(_prepare))
    take = actions.add_parser(
        "import", help="take filled workbooks, disagreement sheets and Label Studio JSON exports into manual/"
    )
    take.add_argument("files", nargs="+", type=Path)
    take.add_argument("--scheme", help="for a Label Studio export whose tasks do not name it")
    take.add_argument(
        "--label-studio-user",
        type=_user,
        action="append",
        default=[],
        metavar="USER=CODER",
        help="the coder name of a Label Studio user (id or e-mail); repeat per coder",
    )
    take.add_argument("--check", action="store_true", help="check and report only; write nothing")
    take.set_defaults(func=_reported(_import))


def _reported(command):
    """A bad argument or file (an unknown scheme, a file that is not a workbook) is one line, not a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except (ValueError, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1

    return run


def _prepare(args: argparse.Namespace) -> int:
    import duckdb

    from rednote_dagster.lib.coding_workflow.handout import DEFAULT_CODERS, prepare_handout
    from rednote_dagster.lib.coding_workflow.sample import SampleSize
    from rednote_dagster.lib.coding_workflow.targets import coding_target
    from rednote_dagster.lib.settings import DataPaths

    paths = DataPaths.from_env()
    target = coding_target(args.scheme)
    if not paths.warehouse.exists():
        print(f"no warehouse at {paths.warehouse}: run `make run` first", file=sys.stderr)
        return 1
    size = SampleSize(args.share, args.count) if args.share is not None or args.count is not None else None
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        handout = prepare_handout(
            con,
            target,
            paths.root,
            paths.manual,
            size,
            args.seed,
            tuple(args.coder or DEFAULT_CODERS),
            args.adjudicator,
        )
    print("\n".join(handout.lines()))
    return 0


def _import(args: argparse.Namespace) -> int:
    from rednote_dagster.lib.coding_workflow.handout import coding_folder, read_sample
    from rednote_dagster.lib.coding_workflow.importing import (
        CodingImportError,
        check_submission,
        import_submissions,
        read_submission,
    )
    from rednote_dagster.lib.coding_workflow.sample import KEY
    from rednote_dagster.lib.settings import DataPaths

    paths = DataPaths.from_env()
    names = dict(args.label_studio_user)
    submissions = [read_submission(path, args.scheme, names) for path in args.files]
    samples = {}
    for target in {s.target.name: s.target for s in submissions}.values():
        sample = read_sample(coding_folder(paths.root, target).sample)
        if sample is not None:
            samples[target.name] = sample.select(KEY)
    if args.check:
        reports = [check_submission(s, samples.get(s.target.name))[0] for s in submissions]
        print("\n".join(line for r in reports for line in r.lines()))
        return 0 if all(r.ok for r in reports) else 1
    try:
        reports = import_submissions(submissions, paths.manual, samples)
    except CodingImportError as error:
        print(f"{error}\nnothing was written: correct the files and import them again", file=sys.stderr)
        return 1
    print("\n".join(line for r in reports for line in r.lines()))
    print(f"written to {paths.manual}")
    return 0
