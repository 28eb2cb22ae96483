"""Accountability statements of buurtbudgetten: tagged PDF/A-3a reports (the auditor's dossier), the stadsdeel overview, exports.

    context.py   the view of a ledger -> the values a statement shows (no figure computed twice)
    tier.py      which accountability tier of the subsidy ordinance applies to an award
    sources.py   SHA-256 of a ledger's source files (shown on the cover, embedded as attachments)
    labels.py    Dutch (default) and English labels
    render.py    Jinja2 (autoescaped) -> HTML -> WeasyPrint PDF/A-3a, byte-identical per input
    overview.py  one overview for all buurtbudgetten of a workspace, in parallel
    export.py    the annex as CSV or XLSX, safe against formula injection
"""
