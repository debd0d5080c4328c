"""Rendering: the model turned into HTML — section bodies (`markdown`, `rawhtml`,
`extensions`, `cjk`, `body`, `sanitize`), what an edition shows (`editions`), the HTML
edition (`site`, `search`, `templates`), the dashboard and the charts.
"""
