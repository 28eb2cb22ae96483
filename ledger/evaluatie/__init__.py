"""Reading a ledger and its one evaluation: the view made of pure folds, four eyes, signals.

Owns the load (`loading`, `bronnen`), the immutable view of a buurtbudget's
figures (`view`), the result one evaluation carries (`resultaat`), and the
predicates every reader shares: whether a payable may be paid (`vier_ogen`),
the vaststelling (`vaststelling`) and the signals (`signalen`). May import
`ledger.buurtbudget`; never the writer, payments, importers or the public copy.
"""
