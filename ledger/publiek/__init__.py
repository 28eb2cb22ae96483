"""The public copy of a buurtbudget: the same figures, nobody's private data.

Owns `redact`: entries in, redacted entries and their text out (by the one
serializer). May import `ledger.buurtbudget` and `ledger.evaluatie`.
"""
