"""`buurtbudget import` refuses what it cannot trust, in Dutch, and leaves the ledger byte-identical.

Every test runs the real CLI in a subprocess on real files and hashes the
ledger before and after each refusal.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount.core import data

from ledger.evaluatie.loading import read_ledger
from tests.dagelijks_helpers import geen_ongeldige_ledgers  # noqa: F401 - a fixture
from tests.dagelijks_helpers import IBAN, Line, bean_errors, camt053, cli, digest, make_ledger, mt940

D = datetime.date
BANK = "Activa:Bank:Betaalrekening"
START = Decimal("10000.00")  # the test ledger's bank balance (START-0001)

LINES = [
    Line(D(2025, 5, 10), Decimal("25.00"), "REF-0002", "Jan Jansen", "Bijdrage buurtfeest"),
    Line(D(2025, 5, 12), Decimal("-3.50"), "REF-0003", "ABN AMRO", "Kosten betaalrekening"),
]


def _refused(ledger: Path, *args: str, code: int | None = None) -> str:
    """Run a command that must be refused; return its stderr. The ledger stays byte-identical."""
    before = digest(ledger)
    r = cli(*args)
    assert r.returncode != 0, r.stdout
    if code is not None:
        assert r.returncode == code, r.stderr
    assert digest(ledger) == before
    out = r.stdout + r.stderr
    assert "interne fout" not in out and "Traceback" not in out and 'File "' not in out
    return r.stderr


def _bank_refs(ledger: Path) -> list[str]:
    return [str(e.meta["bank-ref"]) for e in read_ledger(ledger).entries
            if isinstance(e, data.Transaction) and e.meta.get("bank-ref")]


# --------------------------------------------------------------------------- closing balance


@pytest.mark.parametrize("fmt", ["camt053", "mt940"])
def test_closing_balance_is_checked_even_when_every_line_is_already_there(tmp_path: Path, fmt: str) -> None:
    ledger = make_ledger(tmp_path / "b")
    ext = "xml" if fmt == "camt053" else "sta"

    def write(name: str, opening: Decimal) -> Path:
        path = tmp_path / f"{name}.{ext}"
        if fmt == "camt053":
            path.write_bytes(camt053(IBAN, LINES, opening, D(2025, 5, 12)))
        else:
            path.write_text(mt940(IBAN, LINES, opening, D(2025, 5, 12)), encoding="utf-8")
        return path

    good = write("goed", START)
    assert cli("import", str(ledger), str(good)).returncode == 0
    # The same lines with a closing balance € 100 higher: nothing new to book, yet the bank disagrees.
    wrong = write("fout", START + 100)
    err = _refused(ledger, "import", str(ledger), str(wrong), code=1)
    assert "saldocontrole klopt niet" in err and str(wrong) in err
    assert "€ 10.121,50" in err and "€ 10.021,50" in err and BANK in err and "niets geïmporteerd" in err
    # A hand edit that changes the bank balance before the closing date: the good statement now disagrees.
    imported = ledger.read_bytes()
    with ledger.open("a", encoding="utf-8") as handle:
        handle.write('\n2025-05-11 * "ABN AMRO" "Bankkosten"\n  Uitgaven:Ondersteuning:Bankkosten   5.00 EUR\n'
                     f"  {BANK}   -5.00 EUR\n")
    err = _refused(ledger, "import", str(ledger), str(good), code=1)
    assert "€ 10.021,50" in err and "€ 10.016,50" in err
    ledger.write_bytes(imported)  # the hand edit broke the earlier balance assertion: undo it


# --------------------------------------------------------------------------- counted dedup


def _csv(path: Path, rows: list[tuple[str, str, str, str]], saldo: Decimal | None = None) -> Path:
    """A bank CSV without a reference column; the last row carries the closing balance when given."""
    lines = ["rekening;datum;bedrag;tegenpartij;tegenrekening;omschrijving;saldo"]
    for i, (datum, bedrag, wie, tekst) in enumerate(rows):
        last = saldo is not None and i == len(rows) - 1
        lines.append(f"{IBAN};{datum};{bedrag};{wie};NL20INGB0001234567;{tekst};{str(saldo).replace('.', ',') if last else ''}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_lines_without_reference_are_deduplicated_counted(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    coffee = ("2025-05-10", "-2,50", "Koffiebar", "Koffie")
    # Two identical coffees on one day in one export stay two.
    first = _csv(tmp_path / "mei-1.csv", [("2025-05-09", "-4,00", "Bakker", "Brood"), coffee, coffee],
                 START - Decimal("9.00"))
    r = cli("import", str(ledger), str(first))
    assert r.returncode == 0, r.stderr
    assert len(_bank_refs(ledger)) == 1 + 3
    # The same export again adds nothing: the file is byte-identical.
    before = digest(ledger)
    r = cli("import", str(ledger), str(first))
    assert r.returncode == 0 and "niets nieuws" in r.stdout and digest(ledger) == before
    # An overlapping export (10 and 11 May) adds only what is new: the two identical coffees of the 11th.
    later = ("2025-05-11", "-2,50", "Koffiebar", "Koffie")
    second = _csv(tmp_path / "mei-2.csv", [coffee, coffee, later, later], START - Decimal("14.00"))
    r = cli("import", str(ledger), str(second))
    assert r.returncode == 0, r.stderr
    loaded = read_ledger(ledger)
    coffees = [e for e in loaded.entries if isinstance(e, data.Transaction) and e.narration == "Koffie"]
    assert [e.date for e in coffees] == [D(2025, 5, 10)] * 2 + [D(2025, 5, 11)] * 2
    assert loaded.view.bank_balance == START - Decimal("14.00")
    before = digest(ledger)
    assert cli("import", str(ledger), str(second)).returncode == 0 and digest(ledger) == before
    assert cli("import", str(ledger), str(first)).returncode == 0 and digest(ledger) == before
    assert bean_errors(ledger) == []


def test_csv_newest_first_takes_the_closing_balance_of_the_latest_line(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    statement = tmp_path / "nieuwste-eerst.csv"
    statement.write_text(
        "rekening;datum;bedrag;omschrijving;referentie;saldo\n"
        f"{IBAN};12-05-2025;-3,50;Kosten;N-3;10.021,50\n"
        f"{IBAN};10-05-2025;-1,00;Koffie;N-2;10.025,00\n"
        f"{IBAN};10-05-2025;26,00;Bijdrage;N-1;10.026,00\n", encoding="utf-8")
    r = cli("import", str(ledger), str(statement))
    assert r.returncode == 0, r.stderr
    (balance,) = [e for e in read_ledger(ledger).entries if isinstance(e, data.Balance)]
    assert (balance.date, balance.amount.number) == (D(2025, 5, 13), Decimal("10021.50"))


# --------------------------------------------------------------------------- currency


def test_foreign_currency_is_refused_with_file_and_line(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    xml = camt053(IBAN, LINES, START, D(2025, 5, 12)).decode()
    # Put the second entry's amount in dollars, on a line of its own so the line number means something.
    lines = xml.replace("<Ntry>", "\n<Ntry>").splitlines()
    usd_line = max(i for i, l in enumerate(lines) if "<Ntry>" in l)
    lines[usd_line] = lines[usd_line].replace('Ccy="EUR"', 'Ccy="USD"', 1)
    camt = tmp_path / "usd.xml"
    camt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    err = _refused(ledger, "import", str(ledger), str(camt))
    assert f"{camt}:{usd_line + 1}:" in err and "USD" in err and "euro" in err

    sta = tmp_path / "usd.sta"
    sta.write_text(mt940(IBAN, LINES, START, D(2025, 5, 12)).replace("EUR", "USD"), encoding="utf-8")
    err = _refused(ledger, "import", str(ledger), str(sta))
    assert f"{sta}:4:" in err and "USD" in err and "euro" in err

    csv = tmp_path / "usd.csv"
    csv.write_text(f"rekening;datum;bedrag;valuta\n{IBAN};2025-05-10;25,00;EUR\n{IBAN};2025-05-11;-3,00;USD\n",
                   encoding="utf-8")
    err = _refused(ledger, "import", str(ledger), str(csv))
    assert f"{csv}:3:" in err and "USD" in err


# --------------------------------------------------------------------------- malformed input

HEAD = "rekening;datum;bedrag;tegenpartij;omschrijving;referentie"


def _malformed(tmp_path: Path) -> dict[str, tuple[str, bytes, str | None]]:
    """name -> (file name, bytes, the `file:line` part expected in the message, None for the file alone)."""
    good = camt053(IBAN, LINES, START, D(2025, 5, 12)).decode().replace("><", ">\n<")
    nan_camt = good.replace(">25.00<", ">NaN<", 1)
    nan_line = nan_camt.splitlines().index(next(l for l in nan_camt.splitlines() if ">NaN<" in l)) + 1
    sta = mt940(IBAN, LINES, START, D(2025, 5, 12))
    return {
        "csv-nan": ("nan.csv", f"{HEAD}\n{IBAN};2025-05-10;NaN;Jan;Bijdrage;R1\n".encode(), ":2:"),
        "csv-drie-decimalen": ("drie.csv", f"{HEAD}\n{IBAN};2025-05-10;0,125;Jan;Bijdrage;R1\n".encode(), ":2:"),
        "csv-extra-kolom": ("extra.csv", f"{HEAD}\n{IBAN};2025-05-10;25,00;Jan;Bijdrage;R1\n"
                                         f"{IBAN};2025-05-11;1,00;Piet;Koffie;R2;extra\n".encode(), ":3:"),
        "csv-kolom-te-weinig": ("kort.csv", f"{HEAD}\n{IBAN};2025-05-10;25,00;Jan\n".encode(), ":2:"),
        "csv-latin1": ("latin1.csv", f"{HEAD}\n{IBAN};2025-05-10;25,00;Jan;Café;R1\n".encode("latin-1"), ":2:"),
        "csv-afgebroken": ("afgebroken.csv", f'{HEAD}\n{IBAN};2025-05-10;25,00;Jan;"Bijdrage'.encode(), ":2:"),
        "csv-datum": ("datum.csv", f"{HEAD}\n{IBAN};2025-13-45;25,00;Jan;Bijdrage;R1\n".encode(), ":2:"),
        "csv-alleen-kop": ("leeg.csv", f"{HEAD}\n".encode(), None),
        "camt-kapot": ("kapot.xml", good.replace("</Ntry>", "</Ntr>", 1).encode(), None),
        "camt-afgebroken": ("afgebroken.xml", good.encode()[: len(good) // 2], None),
        "camt-nan": ("nan.xml", nan_camt.encode(), f":{nan_line}:"),
        "camt-latin1": ("latin1.xml", good.replace("Jan Jansen", "Jan Müller").encode("latin-1"), None),
        "mt940-afgebroken": ("afgebroken.sta", sta[: sta.index(":62F:")].encode(), None),
        "mt940-latin1": ("latin1.sta", sta.replace("Jan Jansen", "Jan Müller").encode("latin-1"), ":6:"),
        "mt940-kapotte-regel": ("kapot.sta", sta.replace(":61:250510", ":61:25XX10", 1).encode(), None),
        "leeg": ("leeg.xml", b"", None),
        "csv-utf16": ("utf16.csv", f"{HEAD}\n{IBAN};2025-05-10;25,00;Jan;Bijdrage;R1\n".encode("utf-16"), ":1:"),
    }


CASES = ["csv-nan", "csv-drie-decimalen", "csv-extra-kolom", "csv-kolom-te-weinig", "csv-latin1", "csv-afgebroken",
         "csv-datum", "csv-alleen-kop", "camt-kapot", "camt-afgebroken", "camt-nan", "camt-latin1",
         "mt940-afgebroken", "mt940-latin1", "mt940-kapotte-regel", "leeg", "csv-utf16"]


@pytest.mark.parametrize("case", CASES)
def test_malformed_statement_is_a_dutch_error_naming_file_and_line(tmp_path: Path, case: str) -> None:
    ledger = make_ledger(tmp_path / "b")
    name, content, where = _malformed(tmp_path)[case]
    path = tmp_path / name
    path.write_bytes(content)
    err = _refused(ledger, "import", str(ledger), str(path), code=2)
    assert str(path) in err
    if where is not None:
        assert f"{path}{where}" in err, err
    assert err.startswith("fout: ") and len(err.strip().splitlines()) == 1, err


def test_camt_error_names_the_line_of_broken_xml(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    good = camt053(IBAN, LINES, START, D(2025, 5, 12)).decode().replace("><", ">\n<")
    broken = good.replace("</Ntry>", "</Ntr>", 1)
    line = next(i for i, l in enumerate(broken.splitlines(), start=1) if "</Ntr>" in l)
    path = tmp_path / "kapot.xml"
    path.write_text(broken, encoding="utf-8")
    err = _refused(ledger, "import", str(ledger), str(path), code=2)
    assert f"{path}:{line}:" in err and "geen geldige XML" in err


def test_mt940_library_says_nothing_on_the_terminal(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path / "b")
    good = tmp_path / "goed.sta"
    good.write_text(mt940(IBAN, LINES, START, D(2025, 5, 12)), encoding="utf-8")
    r = cli("import", str(ledger), str(good))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert all(not line.startswith((" ", "DEBUG", "INFO", "ERROR", "WARNING")) or line.startswith("  ")
               for line in r.stdout.splitlines())
    bad = tmp_path / "kapot.sta"
    bad.write_text(good.read_text(encoding="utf-8").replace(":62F:C", ":62F:X"), encoding="utf-8")
    err = _refused(ledger, "import", str(ledger), str(bad))
    assert len(err.strip().splitlines()) == 1 and err.startswith("fout: ")
    for chatter in ("matching", "no match", "matched", "pattern", "DEBUG", "Unable to parse"):
        assert chatter not in err


@pytest.fixture(autouse=True)
def _ledgers_blijven_geldig(geen_ongeldige_ledgers):
    """No test in this file leaves a ledger that bean-check rejects."""
    yield
