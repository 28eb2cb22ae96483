// Names for what Fava's frontend draws without one (axe-core: button-name, link-name,
// aria-input-field-name, scrollable-region-focusable). Fava calls onPageLoad after each
// page; the charts and the editor are drawn later, so a MutationObserver labels them too.
// Only attributes are set: no text of the books is written into the page as markup. Also:
// a journal shows its amounts by default (`boekingenTonen`).

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

let bezig = false;

export default {
  init() {
    new MutationObserver(() => {
      if (bezig) return;
      bezig = true;
      requestAnimationFrame(() => {
        bezig = false;
        benoem(document);
        boekingenTonen();
      });
    }).observe(document.body, { childList: true, subtree: true });
  },
  onPageLoad() {
    benoem(document);
    boekingenTonen();
  },
};
