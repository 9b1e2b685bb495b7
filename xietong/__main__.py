"""The `xietong` console script: the project's manage.py.

`xietong matching ...` is dispatched to the framework-free matching CLI before Django is set
up, so it starts fast and needs no settings or database; `xietong matching reindex` rebuilds
the product's own indexes from the database, so it is the Django command `enterprise reindex`.
"""

import os
import sys


def main() -> None:
    if sys.argv[1:3] == ["matching", "reindex"]:
        sys.argv[1:3] = ["enterprise", "reindex"]
    if len(sys.argv) > 1 and sys.argv[1] == "matching":
        from xietong.matching.cli import main as matching_main

        sys.exit(matching_main(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
