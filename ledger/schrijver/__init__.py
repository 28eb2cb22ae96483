"""The one writer: every change of a ledger, all or nothing, judged as bean-check judges it.

Owns the lock and atomic replacement (`bestanden`), the intent record
(`intentie`), the verdict (`oordeel`, `veranderd`, `vorige_stand`), git
(`vastleggen`), the write itself (`schrijven`) and the builders of changes
(`boekingen`, `bewerken`, `bonbeheer`, `toch`, `kaderwijziging`, `nieuw`,
`vaststellen`), the refusal to change a decided period (`vastgesteld`), and
where a command may write its own files (`uitvoer`). May import
`ledger.buurtbudget` and `ledger.evaluatie`; payments and importers import it.
"""
