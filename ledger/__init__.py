"""What a buurtbudget is: its directives, its figures, reading and writing it.

`ledger` imports none of `rules`, `reports` or `buurtbudget_admin`. Import the
module you need (`ledger.view`, `ledger.loading`, ...): the package itself loads
nothing, so that the rules plugin inside `bean-check` imports only what it uses.
"""
