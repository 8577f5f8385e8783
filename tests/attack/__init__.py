"""The attack suite of issue 14; what it covers is in tests/attack/conftest.py."""
