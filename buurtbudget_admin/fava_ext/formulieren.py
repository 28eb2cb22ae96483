"""The beheerder's forms in /beheer/<slug>/extension/Buurtbudget/: one pipeline for every write.

    kosten      a cost with its receipt (`ledger.schrijver.boekingen.maak_kosten`, as `buurtbudget boek`);
                with the payee's IBAN an invoice to pay later (`^fact-`, flag `!`) that waits for a
                second person; from the four-eyes threshold on only so (the bank pays nothing unapproved)
    declaratie  a claim entered for a resident (`maak_declaratie`, its IBAN check)
    goedkeuren  a second person approves a claim or invoice (`maak_goedkeuring`, the seal)
    afwijzen    a second person rejects it, with a reason (`maak_afwijzing`)

Each form is a WTForms class (Flask-WTF; its labels and the entered values to show again) and a
pydantic model of the submitted values, whose validators are the ledger's own checks
(`parse_amount`, `check_iban`, `controleer_bon`, `vereis_zichtbaar`). `verwerk` is the one
function that validates, runs the builder through `ledger.schrijver.schrijven.schrijf` as the person behind
the login (gebruikers.toml) and turns every `ledger.buurtbudget.fouten.Fout` into a Dutch message, beside the
field it concerns when there is one (`veld_van`). A refusal leaves the ledger byte-identical. The
CSRF token is checked before any of this (`service.fava_apps.install_csrf`).
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Mapping

from flask_wtf import FlaskForm
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from wtforms import BooleanField, FileField, HiddenField, SelectField, StringField

from ledger.buurtbudget.fouten import Fout
from ledger.schrijver.boekingen import InvoerFout, VeldFout
from ledger.schrijver.toch import Toch

KOSTEN_PATH = "extension/Buurtbudget/kosten"
DECLARATIE_PATH = "extension/Buurtbudget/declaratie"


def may_book(mode: str, user: Any) -> bool:
    return mode == "beheer" and user is not None and getattr(user, "role", None) == "beheerder"


# -- the forms: labels, choices, the values entered ------------------------------------------------
class _Formulier(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST of the extension; the field is in the template


class KostenFormulier(_Formulier):
    plan = SelectField("Plan", validate_choice=False, render_kw={"required": True})
    categorie = SelectField("Categorie", validate_choice=False, render_kw={"required": True})
    bedrag = StringField("Bedrag", render_kw={"required": True, "inputmode": "decimal", "placeholder": "1.234,56"})
    datum = StringField("Datum", render_kw={"type": "date", "required": True})
    begunstigde = StringField("Betaald aan", render_kw={"required": True})
    omschrijving = StringField("Omschrijving", render_kw={"required": True})
    iban = StringField("IBAN van de begunstigde, als nog te betalen (nodig vanaf de vier-ogengrens)",
                       render_kw={"autocomplete": "off"})
    bon = FileField("Bon (PDF, JPEG of PNG)", render_kw={"required": True, "accept": "image/*,application/pdf",
                                                           "capture": "environment"})


class DeclaratieFormulier(_Formulier):
    declarant = StringField("Declarant (bewoner)", render_kw={"required": True})
    iban = StringField("IBAN van de declarant", render_kw={"required": True, "autocomplete": "off"})
    plan = SelectField("Plan", validate_choice=False, render_kw={"required": True})
    categorie = SelectField("Categorie", validate_choice=False, render_kw={"required": True})
    bedrag = StringField("Bedrag", render_kw={"required": True, "inputmode": "decimal", "placeholder": "64,20"})
    datum = StringField("Datum", render_kw={"type": "date", "required": True})
    omschrijving = StringField("Omschrijving", render_kw={"required": True})
    bon = FileField("Bon (PDF, JPEG of PNG)", render_kw={"required": True, "accept": "image/*,application/pdf",
                                                           "capture": "environment"})
    # Shown only after a claim was refused as a double (`Uitslag.bevestigen`): the CLI's --toch --reden.
    toch = BooleanField("Toch indienen")
    reden = StringField("Reden", render_kw={"required": True})


class GoedkeurFormulier(_Formulier):
    link = HiddenField()


class AfwijsFormulier(_Formulier):
    link = HiddenField()
    reden = StringField("Reden van de afwijzing", render_kw={"required": True})


# -- the values submitted, checked by the ledger's own functions ----------------------------------
@dataclass(frozen=True)
class Upload:
    """A receipt as uploaded; `controleer_bon` found it a PDF, JPEG or PNG."""

    naam: str
    inhoud: bytes
    extensie: str


def _tekst(value: object) -> str:
    text = str(value if value is not None else "").strip()
    if not text:
        raise ValueError("vul dit veld in")
    return text


def _datum(value: object) -> datetime.date:
    text = _tekst(value)
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is geen datum; schrijf JJJJ-MM-DD") from None


def _bedrag(value: object) -> Decimal:
    from ledger.buurtbudget.money import parse_amount

    bedrag = parse_amount(str(value if value is not None else ""))
    if bedrag <= 0:
        raise ValueError("het bedrag moet groter dan nul zijn")
    return bedrag


def _iban(value: object) -> str:
    from ledger.schrijver.boekingen import check_iban

    return check_iban(_tekst(value))


def _naam(value: object) -> str:
    from ledger.evaluatie.vier_ogen import vereis_zichtbaar

    return vereis_zichtbaar(_tekst(value), "deze naam")


def _categorie(value: object) -> str:
    from ledger.schrijver.boekingen import controleer_vooraf

    categorie = _tekst(value)
    controleer_vooraf(categorie=categorie, door="")  # the kader's never-refunded categories, before any file
    return categorie


def _bon(value: object) -> Upload:
    from ledger.buurtbudget.bonnen import controleer_bon

    naam, inhoud = value if isinstance(value, tuple) else ("", b"")
    _, extensie = controleer_bon(inhoud, naam or "de bon")
    return Upload(naam, inhoud, extensie)


class _Velden(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    def geforceerd(self) -> Toch | None:
        """The writer's `Toch` when the form confirms a change anyway; most forms never do."""
        return None


def _aangevinkt(value: object) -> bool:
    return bool(str(value or "").strip())


def _vrije_tekst(value: object) -> str:
    return str(value or "")


class KostenVelden(_Velden):
    datum: datetime.date
    bedrag: Decimal
    plan: str
    categorie: str
    begunstigde: str
    omschrijving: str
    iban: str | None = None  # given: an invoice to pay later, waiting for a second person
    bon: Upload

    _d = field_validator("datum", mode="before")(_datum)
    _b = field_validator("bedrag", mode="before")(_bedrag)
    _t = field_validator("plan", "omschrijving", mode="before")(_tekst)
    _n = field_validator("begunstigde", mode="before")(_naam)
    _c = field_validator("categorie", mode="before")(_categorie)
    _bon = field_validator("bon", mode="before")(_bon)

    @field_validator("iban", mode="before")
    @classmethod
    def _iban_als_gegeven(cls, value: object) -> str | None:
        return _iban(value) if str(value or "").strip() else None


class DeclaratieVelden(_Velden):
    datum: datetime.date
    bedrag: Decimal
    declarant: str
    iban: str
    plan: str
    categorie: str
    omschrijving: str
    bon: Upload
    toch: bool = False  # a double claim confirmed, with `reden` (checked by `maak_declaratie`, as the CLI's)
    reden: str = ""

    _d = field_validator("datum", mode="before")(_datum)
    _b = field_validator("bedrag", mode="before")(_bedrag)
    _t = field_validator("plan", "omschrijving", mode="before")(_tekst)
    _n = field_validator("declarant", mode="before")(_naam)
    _i = field_validator("iban", mode="before")(_iban)
    _c = field_validator("categorie", mode="before")(_categorie)
    _bon = field_validator("bon", mode="before")(_bon)
    _toch = field_validator("toch", mode="before")(_aangevinkt)
    _r = field_validator("reden", mode="before")(_vrije_tekst)

    def geforceerd(self) -> Toch | None:
        # As `buurtbudget declaratie indienen --toch --reden`: the writer gets the reason too, so a rule
        # violation the claim adds is marked `toch-reden:` exactly as there. An empty reason goes to the
        # builder alone, which refuses it beside the field.
        return Toch(self.reden) if self.toch and self.reden.strip() else None


def _link(value: object) -> str:
    link = str(value or "").strip().lstrip("^")
    if not link:
        raise ValueError("welke declaratie of factuur (bijv. decl-2025-004)?")
    return link


class GoedkeurVelden(_Velden):
    link: str

    _l = field_validator("link", mode="before")(_link)


class AfwijsVelden(_Velden):
    link: str
    reden: str

    _l = field_validator("link", mode="before")(_link)

    @field_validator("reden", mode="before")
    @classmethod
    def _reden(cls, value: object) -> str:
        from ledger.evaluatie.vier_ogen import vereis_zichtbaar

        text = str(value or "").strip()
        if not text:
            raise ValueError("geef een reden voor de afwijzing")
        return vereis_zichtbaar(text, "de reden")


# -- the builders, each as the person behind the login ---------------------------------------------
def _kosten(stand: Any, v: KostenVelden, user: Any, bon: Path | None) -> Any:
    from ledger.schrijver.boekingen import KostenInvoer, maak_kosten
    from ledger.buurtbudget.money import format_eur

    drempel = stand.structuur.kader.vier_ogen_vanaf
    if v.bedrag >= drempel and v.iban is None:
        # Paid from the bank at once it would need a second person's approval already (BB-VIER-OGEN);
        # booked as an invoice it waits (`!`) until a second person approves it, and is paid after that.
        raise VeldFout(f"vanaf {format_eur(drempel)} keurt een tweede persoon de betaling eerst goed: "
                       "geef de IBAN van de begunstigde, dan wacht de boeking als factuur op goedkeuring", veld="iban")
    return maak_kosten(stand, KostenInvoer(
        datum=v.datum, bedrag=v.bedrag, plan=v.plan, categorie=v.categorie, begunstigde=v.begunstigde,
        omschrijving=v.omschrijving, door=user.persoon, bon=bon, factuur_iban=v.iban))


def _declaratie(stand: Any, v: DeclaratieVelden, user: Any, bon: Path | None) -> Any:
    from ledger.schrijver.boekingen import DeclaratieInvoer, maak_declaratie

    return maak_declaratie(stand, DeclaratieInvoer(
        datum=v.datum, declarant=v.declarant, iban=v.iban, bedrag=v.bedrag, plan=v.plan, categorie=v.categorie,
        omschrijving=v.omschrijving, door=user.persoon, bon=bon, toch=v.toch, reden=v.reden or None))


def _goedkeuring(stand: Any, v: GoedkeurVelden, user: Any, _bon: Path | None) -> Any:
    from ledger.schrijver.boekingen import maak_goedkeuring

    return maak_goedkeuring(stand, v.link, user.persoon)


def _namen(user: Any) -> tuple[str, ...]:
    """One person's names for four eyes: the full name and the login (`vier_ogen.mag_goedkeuren`)."""
    return tuple(n for n in (getattr(user, "persoon", None), getattr(user, "name", None)) if n)


def _afwijzing(stand: Any, v: AfwijsVelden, user: Any, _bon: Path | None) -> Any:
    from ledger.schrijver.boekingen import find_payable, maak_afwijzing
    from ledger.evaluatie.vier_ogen import mag_goedkeuren

    payable = find_payable(stand, v.link)
    # Rejecting is judging, as approving is: never by the declarant or by who entered it.
    if not mag_goedkeuren(_namen(user), ingevoerd_door=payable.entered_by, declarant=payable.declarant):
        raise InvoerFout(f"{user.persoon} heeft ^{payable.link} ingevoerd of gedeclareerd en mag die niet ook "
                         "afwijzen (vier-ogenprincipe); laat een tweede persoon beslissen")
    return maak_afwijzing(stand, v.link, v.reden, user.persoon)


@dataclass(frozen=True)
class Soort:
    """One form of the extension: what it shows, what it accepts, what it writes."""

    naam: str  # the endpoint, and the ids' prefix `bb-<naam>-`
    formulier: type[_Formulier]
    velden: type[_Velden]
    bouw: Callable[[Any, Any, Any, Path | None], Any]  # (stand, values, user, receipt) -> Wijziging
    gelukt: str
    mislukt: str
    geen_toegang: str
    mag: Callable[[str, Any], bool] = may_book

    @property
    def met_bon(self) -> bool:
        return "bon" in self.velden.model_fields

    def namen(self) -> tuple[str, ...]:
        return tuple(self.velden.model_fields)


SOORTEN: Mapping[str, Soort] = {s.naam: s for s in (
    Soort("kosten", KostenFormulier, KostenVelden, _kosten, "Geboekt", "Niet geboekt",
          "Alleen een ingelogde beheerder boekt kosten."),
    Soort("declaratie", DeclaratieFormulier, DeclaratieVelden, _declaratie, "Ingediend", "Niet ingediend",
          "Alleen een ingelogde beheerder voert declaraties in."),
    Soort("goedkeuren", GoedkeurFormulier, GoedkeurVelden, _goedkeuring, "Goedgekeurd", "Niet goedgekeurd",
          "Alleen een ingelogde beheerder keurt declaraties en facturen goed."),
    Soort("afwijzen", AfwijsFormulier, AfwijsVelden, _afwijzing, "Afgewezen", "Niet afgewezen",
          "Alleen een ingelogde beheerder wijst declaraties en facturen af."),
)}


# -- the one pipeline -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Uitslag:
    status: int  # 200 written; 400 the input; 403 not this user; 409 the books refused it
    titel: str
    bericht: str  # the whole outcome, Dutch
    velden: Mapping[str, str] = field(default_factory=dict)  # field name -> its Dutch message
    bevestigen: bool = False  # refused as a double claim: the form offers "Toch indienen" with a reason


def veld_van(fout: Fout, namen: tuple[str, ...]) -> str | None:
    """The field of the form a refusal is about (the `veld` the error carries), or None: the whole form."""
    from ledger.buurtbudget.bonnen import BonFout
    from ledger.buurtbudget.money import AmountError

    veld = getattr(fout, "veld", None)
    if veld is None and isinstance(fout, AmountError):
        veld = "bedrag"
    elif veld is None and isinstance(fout, BonFout):
        veld = "bon"
    return veld if veld in namen else None


def melding(fout: Fout, ledger_path: str | None = None) -> tuple[int, str]:
    """The HTTP status and the Dutch message of a refusal, for every write of /beheer/.

    Input the form can fix is 400; what the books or git refuse is 409. Files are named relative
    to the ledger's folder (`main.beancount:112`): a web page shows no server paths.
    """
    import os

    from ledger.schrijver.schrijven import SchrijfFout, WijzigingGeweigerd
    from ledger.schrijver.vastleggen import GitFout
    from rules.checking import to_problem

    if isinstance(fout, WijzigingGeweigerd):
        status, tekst = 409, "de boeken zouden nieuwe fouten krijgen: " + "; ".join(
            to_problem(f).format() for f in fout.fouten)
    elif isinstance(fout, (SchrijfFout, GitFout)):
        status, tekst = 409, str(fout)
    else:
        status, tekst = 400, str(fout)
    if ledger_path:
        folder = os.path.dirname(os.path.abspath(ledger_path))
        tekst = tekst.replace(folder + os.sep, "").replace(folder, ".")
    return status, tekst


def _pydantic_melding(error: Mapping[str, Any]) -> str:
    if str(error.get("type", "")).startswith("value_error"):
        return str(error["msg"]).removeprefix("Value error, ")
    return "vul dit veld correct in"


def _gevalideerd(soort: Soort, waarden: Mapping[str, object]) -> _Velden | Uitslag:
    """The submitted values as `soort.velden`, or the refusal with each message beside its field (400)."""
    try:
        return soort.velden.model_validate(waarden)
    except ValidationError as exc:
        fouten: dict[str, str] = {}
        for error in exc.errors():
            naam = str(error["loc"][0]) if error.get("loc") else ""
            fouten.setdefault(naam, _pydantic_melding(error))
        lijst = "; ".join(f"{naam}: {tekst}" for naam, tekst in fouten.items())
        return Uitslag(400, soort.mislukt, f"Controleer het formulier: {lijst}.", fouten)


def _geweigerd(soort: Soort, fout: Exception, status: int, tekst: str) -> Uitslag:
    """A builder's or the writer's refusal, beside its field when it names one of this form."""
    from ledger.schrijver.boekingen import DubbeleDeclaratie

    veld = veld_van(fout, soort.namen())
    return Uitslag(status, soort.mislukt, tekst, {veld: tekst} if veld else {},
                   bevestigen=isinstance(fout, DubbeleDeclaratie) and "toch" in soort.namen())


def verwerk(soort: Soort, ledger_path: str, mode: str, user: Any, formdata: Mapping[str, str],
            bon: tuple[str, bytes] | None = None) -> Uitslag:
    """Validate the submitted form, write its builder's change as the logged-in person; never raises a Fout."""
    from buurtbudget_admin.valideren import valideer
    from ledger.schrijver.schrijven import schrijf

    if not soort.mag(mode, user):
        return Uitslag(403, "Geen toegang", soort.geen_toegang)
    waarden: dict[str, object] = {naam: formdata.get(naam, "") for naam in soort.namen() if naam != "bon"}
    if soort.met_bon:
        waarden["bon"] = bon or ("", b"")
    velden = _gevalideerd(soort, waarden)
    if isinstance(velden, Uitslag):
        return velden
    tmp: Path | None = None
    try:
        upload = getattr(velden, "bon", None)
        if upload is not None:
            fd, name = tempfile.mkstemp(prefix=".bon-upload.", suffix=f".{upload.extensie}")
            tmp = Path(name)
            with os.fdopen(fd, "wb") as handle:
                handle.write(upload.inhoud)
        result = schrijf(ledger_path, lambda stand: soort.bouw(stand, velden, user, tmp),
                         door=user.persoon, valideer=valideer, email=user.email, toch=velden.geforceerd())
    except Fout as exc:
        return _geweigerd(soort, exc, *melding(exc, ledger_path))
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    return Uitslag(200, soort.gelukt, result.omschrijving)


# -- what the page offers -------------------------------------------------------------------------
def keuzes(view: Any, entries: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The plans (last part of each plan's account) and the categories opened under them, for the selects."""
    from beancount.core.data import Open

    plannen = tuple(plan.account.rsplit(":", 1)[-1] for plan in view.plans)
    roots = tuple(plan.account + ":" for plan in view.plans)
    categorieen = sorted({e.account.rsplit(":", 1)[-1] for e in entries
                          if isinstance(e, Open) and e.account.startswith(roots)})
    return plannen, tuple(categorieen)


def wachtende(view: Any, user: Any) -> tuple[tuple[Any, bool], ...]:
    """Claims and invoices waiting for approval, each with whether this user may judge it (`mag_goedkeuren`)."""
    from ledger.evaluatie.vier_ogen import mag_goedkeuren

    return tuple((p, mag_goedkeuren(_namen(user), ingevoerd_door=p.entered_by, declarant=p.declarant))
                 for p in view.payables if p.status == "ingediend" and p.link)


wachtende_declaraties = wachtende  # the name the page used before invoices waited here too


# -- invitations of initiatiefnemers: the workspace's file, outside the books ----------------------
# The same validation and messages as every form above; the builder is `uitnodigingen`' own (the CLI's
# `buurtbudget uitnodigen`), run as the person behind the login; the ledger is never written.
from typing import get_origin  # noqa: E402  (appended section: its own imports)

from wtforms import SelectMultipleField  # noqa: E402

from buurtbudget_admin.uitnodigingen import MAX_DAGEN, STANDAARD_DAGEN  # noqa: E402

class UitnodigFormulier(_Formulier):
    naam = StringField("Volledige naam van de initiatiefnemer", render_kw={"required": True, "autocomplete": "off"})
    plannen = SelectMultipleField("Plannen waarvoor de initiatiefnemer mag declareren", validate_choice=False)
    dagen = StringField("Geldig (dagen)", default=str(STANDAARD_DAGEN),
                        render_kw={"type": "number", "min": 1, "max": MAX_DAGEN, "required": True,
                                   "inputmode": "numeric"})


class UitnodigingIntrekFormulier(_Formulier):
    uitnodiging = HiddenField()


class UitnodigVelden(_Velden):
    naam: str
    plannen: tuple[str, ...]
    dagen: int

    _n = field_validator("naam", mode="before")(_naam)

    @field_validator("plannen", mode="before")
    @classmethod
    def _plannen(cls, value: object) -> tuple[str, ...]:
        gekozen = tuple(str(p).strip() for p in (value or ()) if str(p).strip())
        if not gekozen:
            raise ValueError("kies minstens één plan")
        return gekozen

    @field_validator("dagen", mode="before")
    @classmethod
    def _dagen(cls, value: object) -> int:
        text = _tekst(value)
        if not text.isdigit() or not 1 <= int(text) <= MAX_DAGEN:
            raise ValueError(f"kies 1 tot en met {MAX_DAGEN} dagen")
        return int(text)


class UitnodigingIntrekVelden(_Velden):
    uitnodiging: str

    @field_validator("uitnodiging", mode="before")
    @classmethod
    def _id(cls, value: object) -> str:
        text = str(value or "").strip()
        if not text:
            raise ValueError("welke uitnodiging?")
        return text


@dataclass(frozen=True)
class Werkruimte:
    """Where a form outside the books works: the workspace, this ledger's slug and its plans."""

    pad: Path
    ledger: str
    view: Any


def werkruimte_van(ledger_path: str, view: Any) -> Werkruimte:
    from buurtbudget_admin.uitnodigingen import werkruimte_van as pad_van

    return Werkruimte(pad_van(Path(ledger_path)), Path(ledger_path).resolve().parent.name, view)


def _uitnodiging(plek: Werkruimte, v: UitnodigVelden, user: Any, _bon: Path | None) -> Any:
    from buurtbudget_admin import uitnodigingen
    from buurtbudget_admin.errors import UserError

    try:
        plannen = uitnodigingen.kies_plannen(plek.view, v.plannen, "plan", plek.ledger)
    except UserError as exc:
        raise VeldFout(str(exc), veld="plannen") from None
    return uitnodigingen.nodig_uit(plek.pad, plek.ledger, plannen, v.naam, v.dagen, user.persoon)


def _intrekking(plek: Werkruimte, v: UitnodigingIntrekVelden, _user: Any, _bon: Path | None) -> Any:
    from buurtbudget_admin import uitnodigingen

    return uitnodigingen.trek_in(plek.pad, plek.ledger, v.uitnodiging)


SOORTEN = {**SOORTEN, **{s.naam: s for s in (
    Soort("uitnodigen", UitnodigFormulier, UitnodigVelden, _uitnodiging, "Uitgenodigd", "Niet uitgenodigd",
          "Alleen een ingelogde beheerder nodigt initiatiefnemers uit."),
    Soort("uitnodiging_intrekken", UitnodigingIntrekFormulier, UitnodigingIntrekVelden, _intrekking,
          "Ingetrokken", "Niet ingetrokken", "Alleen een ingelogde beheerder trekt uitnodigingen in."),
)}}


@dataclass(frozen=True)
class UitslagMet(Uitslag):
    resultaat: Any = None  # what the builder returned (an invitation and its token: shown once)


def verwerk_buiten_boeken(soort: Soort, plek: Werkruimte, mode: str, user: Any,
                          formdata: Any) -> UitslagMet:
    """`verwerk` for a form that writes the workspace, not the ledger: the same checks, the same messages."""
    from buurtbudget_admin.errors import UserError
    from buurtbudget_admin.uitnodigingen import BESTAND, pad

    if not soort.mag(mode, user):
        return UitslagMet(403, "Geen toegang", soort.geen_toegang)
    lijsten = {naam for naam, info in soort.velden.model_fields.items() if get_origin(info.annotation) is tuple}
    waarden = {naam: (formdata.getlist(naam) if naam in lijsten else formdata.get(naam, ""))
               for naam in soort.namen()}
    velden = _gevalideerd(soort, waarden)
    if isinstance(velden, Uitslag):
        return UitslagMet(velden.status, velden.titel, velden.bericht, velden.velden)
    try:
        resultaat = soort.bouw(plek, velden, user, None)
    except (Fout, UserError) as exc:
        status, tekst = melding(exc)
        tekst = tekst.replace(str(pad(plek.pad)), BESTAND)  # the server's folders are not the browser's business
        geweigerd = _geweigerd(soort, exc, status, tekst)
        return UitslagMet(geweigerd.status, geweigerd.titel, geweigerd.bericht, geweigerd.velden)
    return UitslagMet(200, soort.gelukt, "", resultaat=resultaat)


def uitnodigingen_van(plek: Werkruimte) -> tuple[Any, ...]:
    """This ledger's invitations, newest first (never a token: the file keeps only its hash)."""
    from buurtbudget_admin import uitnodigingen

    return tuple(reversed([u for u in uitnodigingen.lees(plek.pad) if u.ledger == plek.ledger]))
