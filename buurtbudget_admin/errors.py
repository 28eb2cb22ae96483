"""The one error type commands raise for what a user can fix."""

from ledger.buurtbudget.fouten import Fout


class UserError(Fout):
    """A failure the user can fix; the message is Dutch and names file and line where known."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
