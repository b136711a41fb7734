"""One module per panel of the dashboard; each is a ``Panel`` (see ``app.web.panels.base``)."""
