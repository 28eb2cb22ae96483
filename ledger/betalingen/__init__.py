"""Paying: SEPA batches (pain.001) of approved claims and invoices, returns, the settlement.

Owns what is paid once and how (`batches`, with the XSD in `schemas/`), what
the bank sent back (`retouren`) and what is owed back to the city at the end
(`afsluiten`). May import `ledger.buurtbudget`, `ledger.evaluatie` and
`ledger.schrijver`.
"""
