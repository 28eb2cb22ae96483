"""What a buurtbudget is: its directives, its figures, reading and writing it.

`ledger` imports none of `rules`, `reports` or `buurtbudget_admin`. Import the
module you need (`ledger.evaluatie.view`, `ledger.evaluatie.loading`, ...): the
packages load nothing themselves, so that the rules plugin inside `bean-check`
imports only what it uses.

The rooms, each importing only the rooms above it in this list:

    buurtbudget/   what a buurtbudget is: header, kader, accounts, money, receipts, its text, errors
    evaluatie/     reading a ledger and its one evaluation: the view's folds, four eyes, signals
    schrijver/     the one writer: lock, intent, verdict, atomic write, git, the builders of changes
    betalingen/    payment batches (pain.001), returns, the settlement
    importers/     bank statements (CAMT.053, MT940, CSV) and vote results into changes
    publiek/       the public copy: the same figures, nobody's private data
"""
