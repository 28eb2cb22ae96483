"""Paying: SEPA batches (pain.001) of approved claims and invoices, and the settlement.

Owns what is paid once and how (`batches`, with the XSD in `schemas/`) and what
is owed back to the city at the end (`afsluiten`): changes for the writer. What
the ledger already says about batches and returns is a read
(`ledger.evaluatie.betaalopdrachten`, `ledger.evaluatie.retouren`). May import
`ledger.buurtbudget`, `ledger.evaluatie` and `ledger.schrijver`; the importers
import it.
"""
