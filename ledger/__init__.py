"""What a buurtbudget is: its directives, its figures, reading and writing it.

`ledger` imports none of `rules`, `reports` or `buurtbudget_admin`. Import the
module you need (`ledger.evaluatie.view`, `ledger.evaluatie.loading`, ...): the
packages load nothing themselves, so that the rules plugin inside `bean-check`
imports only what it uses.

The rooms, each importing only the rooms it lists (at the top of a module and
inside functions alike; `tests/test_kamers.py` holds every module to it):

    buurtbudget/   what a buurtbudget is: header, kader, accounts, money, receipts, its text, errors
                   imports no other room
    evaluatie/     reading a ledger and its one evaluation: the view's folds, returns, batches as
                   recorded, four eyes, vaststelling, signals                    imports buurtbudget
    publiek/       the public copy: the same figures, nobody's private data
                                                                     imports buurtbudget, evaluatie
    schrijver/     the one writer: lock, intent, verdict, atomic write, git, the builders of changes
                                                                     imports buurtbudget, evaluatie
    betalingen/    payment batches (pain.001), the settlement: changes the writer writes
                                                          imports buurtbudget, evaluatie, schrijver
    importers/     bank statements (CAMT.053, MT940, CSV) and vote results into changes
                                              imports buurtbudget, evaluatie, schrijver, betalingen

One exception: `evaluatie.loading` calls `schrijver.intentie` (at run time) so that
every read first finishes or undoes a write a crash interrupted.
"""
