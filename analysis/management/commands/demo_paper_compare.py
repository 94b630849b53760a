"""Run the report on the paper-like demo site and compare its Tables 1–5 with the paper."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.datasets.builders import dataset_build
from analysis.demo_compare import (
    continuous_comparison,
    count_comparison,
    markdown,
    read_csv,
)
from analysis.plans import get_plan
from analysis.services import build_result
from analysis.tables import TableContext

START, END = "<!-- generated: demo_paper_compare -->", "<!-- end generated -->"


class Command(BaseCommand):
    help = "Compare the demo report's Tables 1-5 with the paper's published values (Markdown)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--site", default="RPT")
        parser.add_argument(
            "--reference",
            default=str(Path(settings.BASE_DIR) / "tests" / "reference" / "analysis"),
            help="Folder with paper_continuous.csv and paper_tables.csv",
        )
        parser.add_argument(
            "--write", default="", help="Markdown file whose generated section is replaced"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = get_plan("snrb_peld")
        data = dataset_build(plan=plan, population="itt", sites=(options["site"],))
        if data.wide.empty:
            raise CommandError(f"Site {options['site']} has no randomized participants.")
        correct, paper = (
            build_result(data, plan, TableContext(plan, mode=mode), lambda *_: None)
            for mode in ("correct", "paper")
        )
        folder = Path(options["reference"])
        rows = continuous_comparison(
            correct, paper, plan, read_csv(folder / "paper_continuous.csv")
        ) + count_comparison(correct, paper, plan, read_csv(folder / "paper_tables.csv"))
        exact = sum(r["match"] for r in rows)
        text = markdown(rows) + f"\n{exact} of {len(rows)} published values reproduced.\n"
        if not options["write"]:
            self.stdout.write(text)
            return
        path = Path(options["write"])
        doc = path.read_text(encoding="utf-8")
        if START not in doc or END not in doc:
            raise CommandError(f"{path} has no {START} … {END} section.")
        head, rest = doc.split(START, 1)
        path.write_text(f"{head}{START}\n{text}{END}{rest.split(END, 1)[1]}", encoding="utf-8")
        self.stdout.write(f"{exact} of {len(rows)} published values reproduced; wrote {path}.")
