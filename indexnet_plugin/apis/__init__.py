"""User-facing APIs: inference, command line and export."""
