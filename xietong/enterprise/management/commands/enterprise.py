"""``xietong enterprise industry-codes`` reloads GB/T 4754-2017 from the shipped CSV;
``xietong enterprise import FILE --pair ID --side REGION --user NAME`` imports a workbook
(all or nothing, errors listed by row and column); ``xietong enterprise demo`` loads the
demo records; ``xietong enterprise reindex [--pair ID]`` rebuilds the matching indexes;
``xietong enterprise daily`` runs the daily postings job now."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xietong.core.models import Partnership, Region, User
from xietong.core.xlsx_import import ImportRejected


class Command(BaseCommand):
    help = "Enterprise databases: industry codes, Excel import, demo data."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("industry-codes", help="Load or correct GB/T 4754-2017 codes.")
        imp = sub.add_parser("import", help="Import an enterprise workbook (.xlsx).")
        imp.add_argument("file")
        imp.add_argument("--pair", type=int, required=True, help="Partnership id.")
        imp.add_argument("--side", required=True, help="Region name or id of the side.")
        imp.add_argument("--user", required=True, help="Username of the importing staff.")
        sub.add_parser("demo", help="Load the demo records of 两江新区 ↔ 万州区.")
        rei = sub.add_parser("reindex", help="Rebuild the matching index of every pair.")
        rei.add_argument("--pair", type=int, help="Only this partnership id.")
        sub.add_parser("daily", help="Run the daily postings and matches job now.")

    def handle(self, *args, action, **options):
        if action == "industry-codes":
            from xietong.enterprise.models import IndustryCode
            from xietong.enterprise.reference import load_industry_codes

            created, updated = load_industry_codes(IndustryCode)
            self.stdout.write(f"industry codes: {created} created, {updated} updated")
        elif action == "demo":
            from xietong.enterprise import demo

            self.stdout.write(str(demo.load()))
        elif action == "reindex":
            self._reindex(options.get("pair"))
        elif action == "daily":
            from xietong.enterprise.tasks import run_daily

            self.stdout.write(str(run_daily()))
        else:
            self._import(options)

    def _reindex(self, pair_id):
        from xietong.enterprise.suggestions import service

        pairs = Partnership.objects.all()
        if pair_id is not None:
            pairs = pairs.filter(pk=pair_id)
            if not pairs.exists():
                raise CommandError(f"no partnership with id {pair_id}")
        for pair in pairs:
            engine = service.rebuild(pair)
            self.stdout.write(f"{pair}: {len(engine)} records → {service.directory(pair)}")

    def _import(self, options):
        from xietong.enterprise import imports

        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            pair = Partnership.objects.get(pk=options["pair"])
            side_key = options["side"]
            side = Region.objects.get(
                **({"pk": int(side_key)} if side_key.isdigit() else {"name": side_key})
            )
            user = User.objects.get(username=options["user"])
        except (Partnership.DoesNotExist, Region.DoesNotExist, User.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        try:
            result = imports.import_file(user, pair, side, path.name, path.read_bytes())
        except ImportRejected as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} errors; nothing was imported")
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}"
        )
