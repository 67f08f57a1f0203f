"""ptrack: statutory and local deadlines for children's social care in England."""

__version__ = "0.1.0"
