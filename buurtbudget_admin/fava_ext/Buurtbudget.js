// Names for what Fava's frontend draws without one (axe-core: button-name, link-name,
// aria-input-field-name, scrollable-region-focusable). Fava calls onPageLoad after each
// page; the charts and the editor are drawn later, so a MutationObserver labels them too.
// Only attributes and plain text are set: no text of the books is written into the page as markup.
// Also: a journal shows its amounts by default (`boekingenTonen`), and what Fava's frontend writes
// in English whatever its catalog says is made Dutch (`nederlands`).

const KEUZES = [
  [["Maandelijks", "Jaarlijks", "Per kwartaal", "Wekelijks", "Dagelijks"], "Periode van de grafiek"],
  [["Kostprijs", "Marktwaarde", "Eenheden"], "Omrekening van de bedragen"],
];

function naamVanKeuze(button) {
  const list = document.getElementById(button.getAttribute("aria-controls") || "");
  const opties = list ? Array.from(list.querySelectorAll("[role=option]"), (o) => o.textContent.trim()) : [];
  for (const [woorden, naam] of KEUZES) {
    if (opties.some((o) => woorden.includes(o))) return naam;
  }
  return "Keuze";
}

function rekeningVan(href) {
  const found = /\/account\/([^/]+)\//.exec(href || "");
  return found ? decodeURIComponent(found[1]) : null;
}

function benoem(root) {
  for (const button of root.querySelectorAll("button[role=combobox]:not([aria-label])")) {
    button.setAttribute("aria-label", `${naamVanKeuze(button)}: ${button.textContent.trim()}`);
  }
  for (const link of root.querySelectorAll("svg a[href]:not([aria-label])")) {
    const rekening = rekeningVan(link.getAttribute("href"));
    link.setAttribute("aria-label", rekening ? `Rekening ${rekening}` : "Details");
  }
  for (const editor of root.querySelectorAll(".cm-content[role=textbox]:not([aria-label])")) {
    editor.setAttribute("aria-label", "Zoekopdracht (BQL)");
  }
  for (const scroller of root.querySelectorAll(".cm-scroller[tabindex='-1']")) {
    scroller.setAttribute("tabindex", "0");
  }
}

// Fava hides a journal's postings (the amounts) until "Postings" (key p) is pressed; a resident
// should see the amounts at once. Pressed once for whoever has not chosen yet: Fava stores the
// choice (localStorage "fava-journal-show"), so turning it off again stays off.
let gedrukt = false;

function boekingenTonen() {
  if (gedrukt || localStorage.getItem("fava-journal-show") !== null) return;
  const journal = document.querySelector("ol.journal");
  const knop = document.querySelector('button[data-key="p"]');
  if (!journal || !knop) return;
  gedrukt = true;
  if (!journal.classList.contains("show-postings")) knop.click();
}

// Fava's frontend draws some things with fixed English formats, not with its `locale` option: the
// axes of its charts (d3 ".3s": "35.0k", "0.00"), month and day names ("Jan 2025", "February"),
// percentages in tooltips ("12.34%"), the names of the entry types ("Transaction") and the columns
// of the fixed queries behind its holdings and statistics ("book_value").
const getal = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 2 });
const WOORDEN = {
  January: "januari", February: "februari", March: "maart", April: "april", May: "mei", June: "juni",
  July: "juli", August: "augustus", September: "september", October: "oktober", November: "november",
  December: "december", Jan: "jan", Feb: "feb", Mar: "mrt", Apr: "apr", Jun: "jun", Jul: "jul",
  Aug: "aug", Sep: "sep", Oct: "okt", Nov: "nov", Dec: "dec",
  Mon: "ma", Tue: "di", Wed: "wo", Thu: "do", Fri: "vr", Sat: "za", Sun: "zo",
};
// A date label as d3 writes it: a month or day name, optionally with a number ("Jan 2025", "Mon 03").
const DATUM = new RegExp(`^(${Object.keys(WOORDEN).join("|")})( \\d+)?$`);
// Beancount's entry types, as Fava names them above a journal and in its statistics.
const SOORTEN = {
  Open: "Opening", Close: "Sluiting", Transaction: "Transactie", Balance: "Saldocontrole", Note: "Notitie",
  Document: "Document", Pad: "Aanvulling", Query: "Zoekopdracht", Custom: "Eigen", Commodity: "Valuta",
  Event: "Gebeurtenis", Price: "Koers",
};
// The columns of the fixed queries of Fava's holdings and statistics pages (not of a visitor's own query).
const KOLOMMEN = {
  account: "Rekening", units: "Eenheden", book_value: "Boekwaarde", market_value: "Marktwaarde",
  unrealized_profit_pct: "Ongerealiseerd resultaat (%)", "count(account)": "Aantal boekingen",
};

// The titles of the query editor's fold markers (CodeMirror's own English phrases).
const TITELS = { "Fold line": "Regel inklappen", "Unfold line": "Regel uitklappen" };

function vertaal(element, woorden) {
  const tekst = element.firstChild;
  if (!tekst || tekst.nodeType !== Node.TEXT_NODE || !Object.hasOwn(woorden, tekst.nodeValue.trim())) return false;
  if (tekst.nodeValue !== woorden[tekst.nodeValue.trim()]) tekst.nodeValue = woorden[tekst.nodeValue.trim()];
  return true;
}

function zet(node, tekst) {
  if (node.textContent !== tekst) node.textContent = tekst;
}

function datum(tekst) {
  const found = DATUM.exec(tekst.trim());
  return found ? WOORDEN[found[1]] + (found[2] || "") : tekst;
}

function nederlands(root) {
  for (const tick of root.querySelectorAll("svg g.tick")) {
    const label = tick.querySelector("text");
    if (!label) continue;
    const waarde = tick.__data__; // d3 keeps each tick's value on its element
    if (typeof waarde === "number") zet(label, getal.format(waarde));
    else zet(label, datum(label.textContent));
  }
  for (const tooltip of root.querySelectorAll(".tooltip")) {
    const walker = document.createTreeWalker(tooltip, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const tekst = datum(node.nodeValue).replace(/(\d)\.(\d+)%/g, "$1,$2%");
      if (node.nodeValue !== tekst) node.nodeValue = tekst;
    }
  }
  for (const knop of root.querySelectorAll('form button[data-key^="s "]')) {
    if (!vertaal(knop, SOORTEN)) continue;
    const titel = `${knop.textContent} tonen of verbergen`;
    if (knop.getAttribute("title") !== titel) knop.setAttribute("title", titel);
  }
  for (const [engels, titel] of Object.entries(TITELS)) {
    for (const el of root.querySelectorAll(`[title="${engels}"]`)) el.setAttribute("title", titel);
  }
  const pad = window.location.pathname;
  if (pad.endsWith("/statistics/")) {
    for (const cel of root.querySelectorAll("article td:first-child")) vertaal(cel, SOORTEN);
  }
  if (pad.endsWith("/statistics/") || pad.includes("/holdings/")) {
    for (const kop of root.querySelectorAll("article th")) vertaal(kop, KOLOMMEN);
  }
}

let bezig = false;

export default {
  init() {
    new MutationObserver(() => {
      if (bezig) return;
      bezig = true;
      requestAnimationFrame(() => {
        bezig = false;
        benoem(document);
        nederlands(document);
        boekingenTonen();
      });
    }).observe(document.body, { childList: true, subtree: true });
  },
  onPageLoad() {
    benoem(document);
    nederlands(document);
    boekingenTonen();
  },
};
