"""Reports: a brand's figures for a day, week or month against the period before
(`figures`), drawn as charts (`charts`), HTML and PDF (`render`), and mailed once per
period by the watchlist's `[[reports]]` (`options`, `digest`).

Nothing is imported here: reading a watchlist needs only `options`, and the rest loads
matplotlib and fpdf2.
"""

__all__: list[str] = []
