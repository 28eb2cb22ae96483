"""The web service: landing page, public Fava over redacted copies, beheer Fava behind a login."""
