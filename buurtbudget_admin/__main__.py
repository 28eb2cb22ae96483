"""`python -m buurtbudget_admin` is the `buurtbudget` command."""

from buurtbudget_admin.cli import run

run()
