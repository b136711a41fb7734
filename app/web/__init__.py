"""The browser shell: the only code that touches ``js``/``pyodide``/``pyscript``.

Everything here is thin: it performs the actions the pure core (app/client.py)
asks for and turns browser callbacks into core inputs. ``runtime`` is the seam
module; panels live in ``app/web/panels``.
"""
