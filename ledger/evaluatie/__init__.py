"""Reading a ledger and its one evaluation: the view made of pure folds, four eyes, signals.

Owns the load (`loading`, `bronnen`), the immutable view of a buurtbudget's
figures (`view`), the result one evaluation carries (`resultaat`), and the
predicates every reader shares: whether a payable may be paid (`vier_ogen`),
whether it was returned (`retouren`), which payment batches wait
(`betaalopdrachten`), the vaststelling (`vaststelling`) and the signals
(`signalen`). The writes these name are built in `ledger.schrijver`.

May import `ledger.buurtbudget`; never the writer, payments, importers or the
public copy, with one exception: `loading` calls `ledger.schrijver.intentie`
(at run time, inside `_herstel`), because every read first finishes or undoes
a write a crash interrupted, and that recovery is the writer's.
"""
