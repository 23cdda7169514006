"""A demo booking calendar for scripts/develop (not part of the Seam integration).

Home Assistant's Local calendar needs a package scripts/develop does not install (it runs with
--skip-pip), so the development setup ships this calendar platform instead.
"""
