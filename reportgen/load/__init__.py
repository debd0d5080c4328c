"""Loading: the source folder read and checked into the typed model (`reportgen.model`).

`reader` is the entry (`load_report`); `config` reads report.yaml, `folders` imports other
tools' project layouts, `translations` pairs sections with their translations, `remote`
fetches web images on request; `confine` and `paths` decide which files may be read at all.
"""
