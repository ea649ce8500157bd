"""Lets tests import this repository's integrations ahead of the harness's own package.

HACS installs only ``custom_components/bpo``; this file exists for the checkout.
"""
