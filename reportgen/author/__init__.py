"""Authoring commands: `importer` (reportgen import), `scaffold` (init, new) and
`translate` (translate new|sync|diff).
"""
