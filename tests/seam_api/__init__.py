"""Tests for the library-shaped Seam client (custom_components/seam/seam_api)."""
