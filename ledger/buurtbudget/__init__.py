"""What a buurtbudget is: its header and plans, the kader, account names, money, receipts, its text.

Owns the values every other room speaks of (`Header`, `Kader`, `Accounts`,
money as `Decimal` and as Dutch text), the one receipt policy (`bonnen`), where
a receipt lives (`documents`), the one serializer (`tekst`) and the one error
base (`fouten.Fout`). Imports only beancount and the standard library
(plus pydantic, schwifty, Pillow): nothing else of `ledger`.
"""
